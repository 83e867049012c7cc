# shellcheck shell=bash
# The start-up every bench script shares: sourced, never run. It owns the scratch dir and every
# process a script starts through it, so one EXIT trap stops them all (last started first) and a
# server that never answers fails the run with its log instead of producing numbers from nothing.
#
#   bench_init TOOL...             cd to the repo; scripts/install-deps.sh when a TOOL is missing
#   bench_build DIR TARGET...      configure DIR as Release when it has no build tree, build TARGETs
#   bench_hello_plugin DIR         build examples/hello-plugin against DIR; sets HELLO_BUILD
#   free_port                      print a free 127.0.0.1 port
#   bench_workdir PREFIX           WORK=$(mktemp -d /tmp/PREFIX.XXXXXX), exported, plus the trap
#   bench_register PID             stop PID at exit (start_* do this themselves)
#   bench_stop PID                 stop a registered PID now
#   start_nginx                    nginx `return 200 {"status":true}`; exports NGINX_PORT
#   start_host NAME PORT [VAR=value...] [-- COMMAND...]
#                                  webui-host (or COMMAND: a wrapper such as valgrind or taskset
#                                  followed by the binary) with HOST=127.0.0.1, DATA_DIR=$WORK/NAME-data,
#                                  GLOBAL_LOG_LEVEL=WARNING and the given variables; log in
#                                  $WORK/NAME.log; waits for /health. PORT 0 lets the host pick
#                                  (WEBUI_PORT_FILE). Sets BENCH_PID and BENCH_PORT.
#   start_node SCRIPT [ARG...]     node SCRIPT (after the words in the NODE_PREFIX array, e.g.
#                                  taskset); ready once it prints its first line (a port), which
#                                  becomes NODE_PORT. Output in $WORK/<script name>.out. Sets BENCH_PID.
#   rss_kb PID / threads PID       the process's resident set (kB) / thread count
#   wrk_rps ARG...                 wrk ARG..., printing only its req/s
#   median_line                     the median of the numbers on stdin (by the first field)
#   ratio A B                      A / B with two decimals
#   signup_token BASE_URL BODY     sign up through the auth plugin, print the token
#
# Env: BENCH_START_TIMEOUT (seconds a server has to answer, default 30).
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_STARTED=()
NODE_PREFIX=()

bench_init() {
  cd "$BENCH_ROOT" || exit 1
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { scripts/install-deps.sh; return; }
  done
}

bench_build() {
  local dir=$1
  shift
  if [[ ! -f $dir/build.ninja ]]; then
    cmake -S "$BENCH_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEBUI_BUILD_TESTS=OFF \
      >/dev/null
  fi
  cmake --build "$dir" -j2 --target "$@" >/dev/null
}

bench_hello_plugin() {
  HELLO_BUILD=$1/hello-plugin
  if [[ ! -f $HELLO_BUILD/hello.so ]]; then
    cmake --install "$1" --prefix "$1/sdk-prefix" --component sdk >/dev/null
    cmake -S "$BENCH_ROOT/examples/hello-plugin" -B "$HELLO_BUILD" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$1/sdk-prefix" >/dev/null
    cmake --build "$HELLO_BUILD" >/dev/null
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  export WORK
  trap _bench_cleanup EXIT
}

bench_register() { BENCH_STARTED+=("$1"); }

# Stops a registered process before the exit (and forgets it, so its pid is never signalled again).
bench_stop() {
  local i
  for i in "${!BENCH_STARTED[@]}"; do
    [[ ${BENCH_STARTED[i]} != "$1" ]] || unset 'BENCH_STARTED[i]'
  done
  BENCH_STARTED=("${BENCH_STARTED[@]}")
  _bench_stop "$1"
}

# nginx daemonizes, so it is registered by its pid file, read when it is stopped.
_bench_stop() {
  local pid=$1
  if [[ $pid == file:* ]]; then
    [[ -s ${pid#file:} ]] || return 0
    pid=$(cat "${pid#file:}")
  fi
  # A process killed by the signal makes `wait` fail; under set -e that must not end the cleanup.
  if kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
}

_bench_cleanup() {
  local i
  for ((i = ${#BENCH_STARTED[@]} - 1; i >= 0; i--)); do _bench_stop "${BENCH_STARTED[i]}"; done
  # BENCH_KEEP=1 leaves the work directory (logs, data) for a look afterwards.
  [[ ${BENCH_KEEP:-} == 1 ]] && echo "kept: $WORK" || rm -rf "$WORK"
}

# Polls CHECK (a command) every 0.1 s while PID lives, up to BENCH_START_TIMEOUT; on failure
# prints LOG and exits the script.
_bench_wait() {
  local what=$1 pid=$2 log=$3 tries
  shift 3
  tries=$((${BENCH_START_TIMEOUT:-30} * 10))
  while ! "$@" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || ((--tries <= 0)); then
      echo "bench: $what did not start within ${BENCH_START_TIMEOUT:-30} s; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

_bench_answers() { curl -sf -o /dev/null "$1"; }

start_nginx() {
  NGINX_PORT=$(free_port)
  export NGINX_PORT
  cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK; proxy_temp_path $WORK; fastcgi_temp_path $WORK;
  uwsgi_temp_path $WORK; scgi_temp_path $WORK;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    default_type application/json;
    location / { return 200 '{"status":true}'; }
  }
}
NGINX
  bench_register "file:$WORK/nginx.pid"
  nginx -c "$WORK/nginx.conf"
}

start_host() {
  local name=$1 port=$2 env=() cmd=()
  shift 2
  while (($#)) && [[ $1 != -- ]]; do env+=("$1") && shift; done
  if (($#)); then
    shift
    cmd=("$@")
  else
    cmd=("$BUILD/host/app/webui-host")
  fi
  local log=$WORK/$name.log port_file=()
  # A fixed port needs no port file (a BENCH_BASELINE binary may predate WEBUI_PORT_FILE).
  ((port != 0)) || port_file=(WEBUI_PORT_FILE="$WORK/$name.port")
  # `env` execs the command, so $! is the host's (or its wrapper's) own pid.
  env HOST=127.0.0.1 PORT="$port" "${port_file[@]}" DATA_DIR="$WORK/$name-data" \
    GLOBAL_LOG_LEVEL=WARNING "${env[@]}" "${cmd[@]}" >"$log" 2>&1 &
  BENCH_PID=$!
  bench_register "$BENCH_PID"
  BENCH_PORT=$port
  if ((port == 0)); then
    _bench_wait "$name" "$BENCH_PID" "$log" test -s "$WORK/$name.port"
    BENCH_PORT=$(head -1 "$WORK/$name.port")
  fi
  _bench_wait "$name" "$BENCH_PID" "$log" _bench_answers "http://127.0.0.1:$BENCH_PORT/health"
}

start_node() {
  local out
  out=$WORK/$(basename "$1" .js).out
  "${NODE_PREFIX[@]}" node "$@" >"$out" 2>&1 &
  BENCH_PID=$!
  bench_register "$BENCH_PID"
  _bench_wait "$1" "$BENCH_PID" "$out" test -s "$out"
  NODE_PORT=$(head -1 "$out")
  export NODE_PORT
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$1/status"; }
wrk_rps() { wrk "$@" | awk '/Requests\/sec/ {print $2}'; }
median_line() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

signup_token() {
  curl -sf -H 'Content-Type: application/json' -d "$2" "$1/api/v1/auths/signup" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
