#!/usr/bin/env bash
# Holds N idle Socket.IO WebSockets on one webui-host and reports the host's memory per socket
# and its thread count (idle sockets live in the epoll reactor, not on threads).
#
#   bench/socket_bench.sh [N=5000]
#   env: BUILD_DIR (default ./build) or WEBUI_HOST_BIN; HOLD_S (seconds to hold, default 10)
#
# Uses tests/socketio/node_modules (socket.io-client); runs `npm ci` there when it is missing.
# Everything stays on 127.0.0.1 and the host is stopped at the end.
set -euo pipefail
N=${1:-5000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${WEBUI_HOST_BIN:-${BUILD_DIR:-$ROOT/build}/host/app/webui-host}
if [ ! -x "$BIN" ]; then
  echo "socket_bench: no webui-host at $BIN (set BUILD_DIR or WEBUI_HOST_BIN)" >&2
  exit 2
fi
MODULES=$ROOT/tests/socketio/node_modules
if [ ! -f "$MODULES/socket.io-client/package.json" ]; then
  (cd "$ROOT/tests/socketio" && npm ci --no-audit --no-fund >/dev/null)
fi
# Each socket is one descriptor in the host and one in Node.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((N + 1000)) ]; then
  echo "socket_bench: open-file limit $(ulimit -n) is too low for $N sockets" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/socket-bench.XXXXXX)
HPID=""
cleanup() {
  if [ -n "$HPID" ] && kill -0 "$HPID" 2>/dev/null; then
    kill -TERM "$HPID" 2>/dev/null || true
    wait "$HPID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Started directly (not through a subshell) so $! is the host's own pid.
env HOST=127.0.0.1 PORT=0 DATA_DIR="$WORK/data" WEBUI_PORT_FILE="$WORK/port" \
  WEBUI_PLUGIN_PATH="$WORK/no-plugins" WEBUI_ENV_FILE="$WORK/.env" GLOBAL_LOG_LEVEL=WARNING \
  WEBUI_SOCKET_MAX_TOTAL=$((N + 1000)) "$BIN" >"$WORK/host.log" 2>&1 &
HPID=$!
for _ in $(seq 200); do
  [ -s "$WORK/port" ] && break
  sleep 0.05
done
if [ ! -s "$WORK/port" ]; then
  echo "socket_bench: the host did not start:" >&2
  cat "$WORK/host.log" >&2
  exit 1
fi
PORT=$(cat "$WORK/port")
NODE_PATH=$MODULES node "$ROOT/bench/socket_bench.js" "http://127.0.0.1:$PORT" "$HPID" "$N" \
  "${HOLD_S:-10}"
