# webui-host %pre: the service account exists before the files it will own are unpacked.
getent group webui-host >/dev/null || groupadd --system webui-host
getent passwd webui-host >/dev/null ||
  useradd --system --gid webui-host --home-dir /var/lib/webui-host --no-create-home \
    --shell /usr/sbin/nologin --comment "webui-host service" webui-host
exit 0
