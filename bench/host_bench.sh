#!/usr/bin/env bash
# Host overhead vs nginx on the same machine, same run (only the ratio is meaningful on a shared
# machine). Measures, with wrk, keep-alive:
#   1. GET /health                      (host core route: router + middleware, no plugin)
#   2. GET /api/v1/hello                (a plugin route through the C ABI; examples/hello-plugin)
#   3. nginx `return 200` of the same body
# at 64 connections, then /health at 1000 connections (thread-per-connection must not starve),
# and the server's RSS idle and under the 1000-connection load.
# Usage: bench/host_bench.sh [build-dir]   (default: build-bench, built Release here)
# BENCH_BASELINE=/path/to/other/webui-host adds that binary's /health and /api/v1/hello (same
# plugin) to the run, measured in turn with the others, for a before/after ratio on a busy machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=$(realpath -m "${1:-build-bench}")
DURATION=${BENCH_DURATION:-5s}
RUNS=${BENCH_RUNS:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null || scripts/install-deps.sh

if [[ ! -x $BUILD/host/app/webui-host ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEBUI_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j2 --target webui-host >/dev/null
HELLO_BUILD=$BUILD/hello-plugin
if [[ ! -f $HELLO_BUILD/hello.so ]]; then
  cmake --install "$BUILD" --prefix "$BUILD/sdk-prefix" --component sdk >/dev/null
  cmake -S examples/hello-plugin -B "$HELLO_BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$BUILD/sdk-prefix" >/dev/null
  cmake --build "$HELLO_BUILD" >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d /tmp/wh-bench.XXXXXX)
HOST_PORT=$(free_port); NGINX_PORT=$(free_port)
cleanup() {
  [[ -n ${HOST_PID:-} ]] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null || true
  [[ -n ${BASE_PID:-} ]] && kill "$BASE_PID" 2>/dev/null && wait "$BASE_PID" 2>/dev/null || true
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

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
nginx -c "$WORK/nginx.conf"

HOST=127.0.0.1 PORT=$HOST_PORT DATA_DIR=$WORK/data WEBUI_PLUGIN_PATH=$HELLO_BUILD \
  GLOBAL_LOG_LEVEL=WARNING "$BUILD/host/app/webui-host" >"$WORK/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HOST_PORT/health" >/dev/null && break; sleep 0.1; done
if [[ -n ${BENCH_BASELINE:-} ]]; then
  BASE_PORT=$(free_port)
  HOST=127.0.0.1 PORT=$BASE_PORT DATA_DIR=$WORK/base-data WEBUI_PLUGIN_PATH=$HELLO_BUILD \
    GLOBAL_LOG_LEVEL=WARNING "$BENCH_BASELINE" >"$WORK/base.log" 2>&1 &
  BASE_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$BASE_PORT/health" >/dev/null && break; sleep 0.1; done
fi

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$HOST_PID/status"; }
p99() { wrk -t2 -c"$2" -d"$DURATION" --latency "$1" | awk '$1=="99%" {print $2}'; }

echo "host idle RSS: $(rss_kb) kB"
# Medians of $RUNS rounds; each round measures every target once, so a change in the machine's
# load hits all of them alike.
declare -A samples
targets=(nginx health hello)
declare -A url=([nginx]="http://127.0.0.1:$NGINX_PORT/health"
  [health]="http://127.0.0.1:$HOST_PORT/health" [hello]="http://127.0.0.1:$HOST_PORT/api/v1/hello")
if [[ -n ${BASE_PORT:-} ]]; then
  targets+=(base_health base_hello)
  url[base_health]="http://127.0.0.1:$BASE_PORT/health"
  url[base_hello]="http://127.0.0.1:$BASE_PORT/api/v1/hello"
fi
for _ in $(seq "$RUNS"); do
  for t in "${targets[@]}"; do
    samples[$t]+="$(wrk -t2 -c64 -d"$DURATION" "${url[$t]}" | awk '/Requests\/sec/ {print $2}') "
  done
done
median_of() { printf '%s\n' ${samples[$1]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
nginx_rps=$(median_of nginx)
health_rps=$(median_of health)
hello_rps=$(median_of hello)
wrk -t2 -c1000 -d"$DURATION" "http://127.0.0.1:$HOST_PORT/health" >"$WORK/c1000.txt" &
sleep 3; rss_load=$(rss_kb); wait $!
c1000_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/c1000.txt")
c1000_err=$(awk '/Socket errors/ {print $0}' "$WORK/c1000.txt")
health_p99=$(p99 "http://127.0.0.1:$HOST_PORT/health" 64)
nginx_p99=$(p99 "http://127.0.0.1:$NGINX_PORT/health" 64)

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
cat <<EOF_TABLE

| target (wrk -t2, keep-alive, median of $RUNS × $DURATION) | req/s | vs nginx |
|---|---|---|
| nginx \`return 200\`, c64 | $nginx_rps | 1.00 |
| webui-host GET /health, c64 | $health_rps | $(ratio "$health_rps" "$nginx_rps") |
| webui-host GET /api/v1/hello (plugin), c64 | $hello_rps | $(ratio "$hello_rps" "$nginx_rps") |
| webui-host GET /health, c1000 | $c1000_rps | — |
${BASE_PORT:+| baseline GET /health, c64 | $(median_of base_health) | $(ratio "$(median_of base_health)" "$nginx_rps") |
| baseline GET /api/v1/hello, c64 | $(median_of base_hello) | $(ratio "$(median_of base_hello)" "$nginx_rps") |
}
p99 latency c64: webui-host /health $health_p99, nginx $nginx_p99
RSS under 1000 connections: $rss_load kB ${c1000_err:+(wrk: $c1000_err)}
EOF_TABLE
