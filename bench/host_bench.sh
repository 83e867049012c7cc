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
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init wrk nginx
BUILD=$(realpath -m "${1:-build-bench}")
DURATION=${BENCH_DURATION:-5s}
RUNS=${BENCH_RUNS:-3}
bench_build "$BUILD" webui-host
bench_hello_plugin "$BUILD"

bench_workdir wh-bench
start_nginx
start_host host "$(free_port)" WEBUI_PLUGIN_PATH="$HELLO_BUILD"
HOST_PID=$BENCH_PID HOST_PORT=$BENCH_PORT
if [[ -n ${BENCH_BASELINE:-} ]]; then
  start_host base "$(free_port)" WEBUI_PLUGIN_PATH="$HELLO_BUILD" -- "$BENCH_BASELINE"
  BASE_PORT=$BENCH_PORT
fi

p99() { wrk -t2 -c"$2" -d"$DURATION" --latency "$1" | awk '$1=="99%" {print $2}'; }

echo "host idle RSS: $(rss_kb "$HOST_PID") kB"
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
    samples[$t]+="$(wrk_rps -t2 -c64 -d"$DURATION" "${url[$t]}") "
  done
done
# shellcheck disable=SC2086  # a sample list is space separated
median_of() { printf '%s\n' ${samples[$1]} | median_line; }
nginx_rps=$(median_of nginx)
health_rps=$(median_of health)
hello_rps=$(median_of hello)
wrk -t2 -c1000 -d"$DURATION" "http://127.0.0.1:$HOST_PORT/health" >"$WORK/c1000.txt" &
sleep 3; rss_load=$(rss_kb "$HOST_PID"); wait $!
c1000_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/c1000.txt")
c1000_err=$(awk '/Socket errors/ {print $0}' "$WORK/c1000.txt")
health_p99=$(p99 "http://127.0.0.1:$HOST_PORT/health" 64)
nginx_p99=$(p99 "http://127.0.0.1:$NGINX_PORT/health" 64)

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
