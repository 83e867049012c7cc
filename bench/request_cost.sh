#!/usr/bin/env bash
# Instructions per request on the host's hot path, under callgrind. Instruction counts do not
# depend on the machine's load (wall-clock numbers on a shared machine do), so this is the
# before/after measure for changes to the request path; bench/host_bench.sh gives the wrk ratio.
#   GET /health        host core route: front + router + middleware chain
#   GET /api/v1/hello  a plugin route through the C ABI (examples/hello-plugin)
#   signed in (the bench user is the first, so an admin): GET /api/v1/auths/, GET /api/models
#   (one OpenAI connection: bench/stream_upstream.js), GET /api/v1/chats/
# Counters are zeroed once the host is up, wrk runs keep-alive load, and the dump's total
# (every thread, user space) is divided by the requests wrk completed.
# Usage: bench/request_cost.sh [build-dir] [callgrind-out-dir]
#   build-dir: default build (any build type with symbols; RelWithDebInfo is what CI builds)
#   callgrind-out-dir: keep the dumps there (for callgrind_annotate --inclusive=yes)
# Env: COST_CONNECTIONS (default 8), COST_DURATION (default 15s), COST_PATHS and
#      COST_SIGNED_IN_PATHS (space separated; either may be empty).
set -euo pipefail
# vgdb (behind callgrind_control) names its pipes after these (and HOST, set for the host below).
export USER=${USER:-$(id -un)} LOGNAME=${LOGNAME:-$(id -un)}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init wrk curl python3
BUILD=$(realpath -m "${1:-build}")
KEEP=${2:-}
CONNS=${COST_CONNECTIONS:-8}
DURATION=${COST_DURATION:-15s}
PATHS=${COST_PATHS-/health /api/v1/hello}
SIGNED_IN_PATHS=${COST_SIGNED_IN_PATHS-/api/v1/auths/ /api/models /api/v1/chats/}
for tool in valgrind callgrind_control callgrind_annotate wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

cmake --build "$BUILD" -j2 --target webui-host auth chat openai >/dev/null
bench_hello_plugin "$BUILD"

bench_workdir wh-cost
# The host starts slowly under valgrind.
BENCH_START_TIMEOUT=${BENCH_START_TIMEOUT:-120}
# One OpenAI-format upstream for /api/models (its list is cached by the openai plugin).
start_node bench/stream_upstream.js
PLUGIN_DIR=$WORK/plugins
mkdir -p "$PLUGIN_DIR"
cp "$HELLO_BUILD"/hello.so "$BUILD"/plugins/{auth,chat,openai}.so "$PLUGIN_DIR/"
start_host host "$(free_port)" WEBUI_PLUGIN_PATH="$PLUGIN_DIR" \
  WEBUI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  OPENAI_API_BASE_URLS="http://127.0.0.1:$NODE_PORT/v1" OPENAI_API_KEYS=bench-key -- \
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BUILD/host/app/webui-host"
HOST_PID=$BENCH_PID PORT=$BENCH_PORT
TOKEN=$(signup_token "http://127.0.0.1:$PORT" \
  '{"name":"Bench","email":"bench@example.com","password":"bench-password-1"}')

echo "| path (wrk -c$CONNS, keep-alive, $DURATION under callgrind) | requests | instructions/request |"
echo "|---|---|---|"
n=0
for path in $PATHS $SIGNED_IN_PATHS; do
  auth=()
  [[ " $SIGNED_IN_PATHS " == *" $path "* ]] && auth=(-H "Authorization: Bearer $TOKEN")
  # Warm up (first-use allocations, lazily created workers), then count.
  wrk -t1 -c"$CONNS" -d2s "${auth[@]}" "http://127.0.0.1:$PORT$path" >/dev/null
  HOST=127.0.0.1 callgrind_control -z "$HOST_PID" >/dev/null
  requests=$(wrk -t1 -c"$CONNS" -d"$DURATION" "${auth[@]}" "http://127.0.0.1:$PORT$path" |
    awk '/requests in/ {print $1}')
  n=$((n + 1))
  HOST=127.0.0.1 callgrind_control -d "cost$n" "$HOST_PID" >/dev/null
  # shellcheck disable=SC2012  # the dumps are named cg.out.<pid>-<part>: no odd characters
  dump=$(ls -t "$WORK"/cg.out.* | head -1)
  total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "| $path | $requests | $((total / requests)) |"
  if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP"
    cp "$dump" "$KEEP/callgrind.$(echo "$path" | tr '/' '_').out"
  fi
done
