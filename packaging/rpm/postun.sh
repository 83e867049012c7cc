# webui-host %postun ($1 = 0 erase, 1 upgrade): the expansion of
# %systemd_postun_with_restart webui-host.service (written out: CPack builds without the systemd
# RPM macros): after an upgrade, restart the service if it was running. RPM has no purge: data in
# /var/lib/webui-host and the account stay after an erase, as is usual for RPM packages.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -ge 1 ]; then
  if [ -x /usr/lib/systemd/systemd-update-helper ]; then
    /usr/lib/systemd/systemd-update-helper mark-restart-system-units webui-host.service || :
  elif [ -d /run/systemd/system ]; then
    systemctl try-restart webui-host.service >/dev/null 2>&1 || :
  fi
fi
exit 0
