# webui-host %preun ($1 = 0 erase, 1 upgrade): the expansion of %systemd_preun webui-host.service
# (written out: CPack builds without the systemd RPM macros). On erase, disable and stop the unit.
if [ "$1" -eq 0 ]; then
  if [ -x /usr/lib/systemd/systemd-update-helper ]; then
    /usr/lib/systemd/systemd-update-helper remove-system-units webui-host.service || :
  elif [ -d /run/systemd/system ]; then
    systemctl --no-reload disable --now webui-host.service >/dev/null 2>&1 || :
  fi
fi
exit 0
