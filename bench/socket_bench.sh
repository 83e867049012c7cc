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
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-5000}
ROOT=$BENCH_ROOT
# Relative to where the script is called from (bench_init moves to the repository).
BIN=$(realpath -m "${WEBUI_HOST_BIN:-${BUILD_DIR:-$ROOT/build}/host/app/webui-host}")
bench_init node
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

bench_workdir socket-bench
# The sockets are anonymous: their cap is WEBUI_SOCKET_MAX_ANONYMOUS, at most half the total one.
start_host host 0 WEBUI_PLUGIN_PATH="$WORK/no-plugins" WEBUI_ENV_FILE="$WORK/.env" \
  WEBUI_SOCKET_MAX_ANONYMOUS="$N" WEBUI_SOCKET_MAX_TOTAL=$((2 * N + 1000)) -- "$BIN"
NODE_PATH=$MODULES node "$ROOT/bench/socket_bench.js" "http://127.0.0.1:$BENCH_PORT" "$BENCH_PID" "$N" \
  "${HOLD_S:-10}"
