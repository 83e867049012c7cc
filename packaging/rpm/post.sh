# webui-host %post ($1 = 1 install, 2 upgrade). Nothing to create: systemd makes the state
# directory /var/lib/webui-host (StateDirectory=, mode 0750, owned by the service user) when the
# unit starts, and the file list sets the owner and mode of /etc/webui-host. This is the expansion of
# %systemd_post webui-host.service, written out because CPack builds the package without the
# systemd RPM macros: on a first install, apply the preset policy (Fedora/RHEL presets leave
# unknown units disabled, which is what we want: the first account to sign up becomes admin, so
# the admin starts the service deliberately).
if [ "$1" -eq 1 ]; then
  if [ -x /usr/lib/systemd/systemd-update-helper ]; then
    /usr/lib/systemd/systemd-update-helper install-system-units webui-host.service || :
  elif [ -d /run/systemd/system ]; then
    systemctl --no-reload preset webui-host.service >/dev/null 2>&1 || :
  fi
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
