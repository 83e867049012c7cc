#!/usr/bin/env bash
# Connection scale on one instance (not CI): N idle keep-alive connections held open while wrk
# loads GET /health; reports /health p99, the host's RSS and thread count (peak of samples taken
# during the load). Targets: 10 000 connections, /health p99 < 50 ms, RSS < 300 MB, threads < 100.
#
# Usage: bench/conn_bench.sh [build-dir]     (default: build-bench, built Release here)
# Env:
#   CONN_IDLE          idle keep-alive connections (default 8000)
#   CONN_WRK_CONNS     wrk connections for the /health load (default 64)
#   BENCH_DURATION     wrk duration (default 10s)
#   CONN_STREAM_CMD    optional stream load run during the /health load, e.g. the relay's client
#                      (2 000 streams at 50 tokens/s). Run as `bash -c "$CONN_STREAM_CMD"` with
#                      HOST_URL (http://127.0.0.1:<port>) and WORK (a scratch dir) exported; it
#                      is stopped (SIGTERM) when the load ends; its stdout goes into the report.
#   CONN_HOST_ENV      extra environment for the host, e.g. "WEBUI_PLUGIN_PATH=/x OPENAI_API_BASE_URL=..."
#   CONN_STREAMS       built-in stream load (default 0 = none): this many signed-in streamed chat
#                      completions through the openai plugin at 50 tokens/s (bench/stream_upstream.js
#                      upstream, bench/stream_client.js client), lasting the whole /health load.
#                      The issue's target run: CONN_IDLE=8000 CONN_STREAMS=2000.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init wrk
BUILD=$(realpath -m "${1:-build-bench}")
IDLE=${CONN_IDLE:-8000}
WRK_CONNS=${CONN_WRK_CONNS:-64}
DURATION=${BENCH_DURATION:-10s}
STREAMS=${CONN_STREAMS:-0}
bench_build "$BUILD" webui-host auth openai
bench_workdir wh-conn

# Descriptors for the host (it raises its soft limit to the hard one itself) and for wrk.
ulimit -n "$(ulimit -Hn)"
STREAM_ENV=()
if ((STREAMS > 0)); then
  start_node bench/stream_upstream.js
  mkdir -p "$WORK/plugins"
  cp "$BUILD/plugins/auth.so" "$BUILD/plugins/openai.so" "$WORK/plugins/"
  STREAM_ENV=(WEBUI_PLUGIN_PATH="$WORK/plugins" WEBUI_SECRET_KEY=bench-secret-bench-secret-bench
              OPENAI_API_BASE_URLS="http://127.0.0.1:$NODE_PORT/v1"
              OPENAI_API_KEYS=x WEBUI_AUTH_BCRYPT_ROUNDS=4)
fi
# shellcheck disable=SC2086  # CONN_HOST_ENV is a list of NAME=value words
start_host host "$(free_port)" WEBUI_KEEPALIVE_TIMEOUT=3600 "${STREAM_ENV[@]}" ${CONN_HOST_ENV:-}
HOST_PID=$BENCH_PID PORT=$BENCH_PORT
export HOST_URL=http://127.0.0.1:$PORT

# Peak RSS (kB) and thread count while a command runs: "rss threads" in $WORK/peak.
sample_peaks() {
  local rss=0 thr=0 r t
  while kill -0 "$1" 2>/dev/null; do
    r=$(rss_kb "$HOST_PID") t=$(threads "$HOST_PID")
    ((r > rss)) && rss=$r
    ((t > thr)) && thr=$t
    sleep 0.2
  done
  echo "$rss $thr" >"$WORK/peak"
}

echo "host idle: RSS $(rss_kb "$HOST_PID") kB, $(threads "$HOST_PID") threads"

# The idle connections: each served one request, then silent.
python3 bench/idle_conns.py 127.0.0.1 "$PORT" "$IDLE" >"$WORK/idle.log" 2>&1 &
IDLE_PID=$!
bench_register "$IDLE_PID"
until grep -q '^ready' "$WORK/idle.log"; do
  kill -0 "$IDLE_PID" 2>/dev/null || { cat "$WORK/idle.log"; exit 1; }
  sleep 0.5
done
echo "idle connections: $(grep '^ready' "$WORK/idle.log")"
echo "host with them: RSS $(rss_kb "$HOST_PID") kB, $(threads "$HOST_PID") threads"

# The built-in stream load: signed in, streams that outlast the /health load (50 tokens/s).
if ((STREAMS > 0)); then
  TOKEN=$(signup_token "$HOST_URL" \
    '{"name":"Bench","email":"bench@example.com","password":"bench-password"}')
  curl -sf -H "Authorization: Bearer $TOKEN" "$HOST_URL/openai/models" >/dev/null
  chunks=$(((${DURATION%s} + 8) * 50))
  CONN_STREAM_CMD="node bench/stream_client.js $HOST_URL/openai/chat/completions $TOKEN $STREAMS $chunks 20"
  WAIT_STREAMS=1
fi

# The hook for the stream load (relayed streams): runs alongside the /health load.
start_stream_load() {
  [[ -n ${CONN_STREAM_CMD:-} ]] || return 0
  bash -c "$CONN_STREAM_CMD" >"$WORK/stream.log" 2>&1 &
  STREAM_PID=$!
  bench_register "$STREAM_PID"
  sleep 2  # streams opened before /health is measured
  [[ -z ${WAIT_STREAMS:-} ]] || echo "during the streams: RSS $(rss_kb "$HOST_PID") kB, $(threads "$HOST_PID") threads"
}
stop_stream_load() {
  [[ -n ${STREAM_PID:-} ]] || return 0
  if [[ -n ${WAIT_STREAMS:-} ]]; then
    wait "$STREAM_PID" || true  # they end on their own; the client reports errors
  fi
  bench_stop "$STREAM_PID"
  STREAM_PID=
  echo "stream load output:"
  sed 's/^/  /' "$WORK/stream.log"
}

start_stream_load
wrk -t2 -c"$WRK_CONNS" -d"$DURATION" --latency "$HOST_URL/health" >"$WORK/wrk.txt" &
WRK_PID=$!
sample_peaks "$WRK_PID" &
SAMPLER_PID=$!
wait "$WRK_PID"
wait "$SAMPLER_PID"
stop_stream_load
read -r peak_rss peak_threads <"$WORK/peak"
sleep 5.5  # the generator reports how many connections the host kept
still_open=$(awk '/^open/ {n=$2} END {print n}' "$WORK/idle.log")

p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
errors=$(awk '/Socket errors|Non-2xx/ {print}' "$WORK/wrk.txt")
cat <<EOF_TABLE

| $IDLE idle keep-alive connections + $STREAMS streams (50 tokens/s) + wrk -t2 -c$WRK_CONNS $DURATION GET /health | value | target |
|---|---|---|
| /health p99 | $p99 | < 50 ms |
| /health req/s | $rps | — |
| host RSS, peak | $((peak_rss / 1024)) MB | < 300 MB |
| host threads, peak | $peak_threads | < 100 |
| idle connections still open after the load | ${still_open:-?} of $IDLE | all |
${errors:+
wrk: $errors}
EOF_TABLE
