# webui-host %preun ($1 = 0 erase, 1 upgrade): stop the service when the package goes away.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl disable --now webui-host.service >/dev/null 2>&1 || true
fi
exit 0
