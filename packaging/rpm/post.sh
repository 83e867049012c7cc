# webui-host %post ($1 = 1 install, 2 upgrade). Not enabled or started: see the Debian postinst
# (the first account to sign up becomes admin, so the admin starts the service deliberately).
install -d -m 0750 -o webui-host -g webui-host /var/lib/webui-host
if [ -f /etc/webui-host/webui-host.env ]; then
  chown root:webui-host /etc/webui-host/webui-host.env
  chmod 0640 /etc/webui-host/webui-host.env
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
