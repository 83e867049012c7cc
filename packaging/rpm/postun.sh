# webui-host %postun ($1 = 0 erase, 1 upgrade). RPM has no purge: data in /var/lib/webui-host and
# the account stay after an erase, as is usual for RPM packages.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ "$1" -ge 1 ]; then
    systemctl try-restart webui-host.service >/dev/null 2>&1 || true
  fi
fi
exit 0
