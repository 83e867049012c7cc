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
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=$(realpath -m "${1:-build-bench}")
IDLE=${CONN_IDLE:-8000}
WRK_CONNS=${CONN_WRK_CONNS:-64}
DURATION=${BENCH_DURATION:-10s}
STREAMS=${CONN_STREAMS:-0}
command -v wrk >/dev/null || scripts/install-deps.sh

if [[ ! -x $BUILD/host/app/webui-host ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEBUI_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j2 --target webui-host auth openai >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d /tmp/wh-conn.XXXXXX)
export WORK
PORT=$(free_port)
export HOST_URL=http://127.0.0.1:$PORT
cleanup() {
  for pid in ${STREAM_PID:-} ${IDLE_PID:-} ${HOST_PID:-} ${UP_PID:-}; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Descriptors for the host (it raises its soft limit to the hard one itself) and for wrk.
ulimit -n "$(ulimit -Hn)"
STREAM_ENV=()
if ((STREAMS > 0)); then
  node bench/stream_upstream.js >"$WORK/up.port" &
  UP_PID=$!
  for _ in $(seq 50); do [[ -s $WORK/up.port ]] && break; sleep 0.1; done
  mkdir -p "$WORK/plugins"
  cp "$BUILD/plugins/auth.so" "$BUILD/plugins/openai.so" "$WORK/plugins/"
  STREAM_ENV=(WEBUI_PLUGIN_PATH="$WORK/plugins" WEBUI_SECRET_KEY=bench-secret-bench-secret-bench
              OPENAI_API_BASE_URLS="http://127.0.0.1:$(head -1 "$WORK/up.port")/v1"
              OPENAI_API_KEYS=x WEBUI_AUTH_BCRYPT_ROUNDS=4)
fi
# shellcheck disable=SC2086  # CONN_HOST_ENV is a list of NAME=value words
env HOST=127.0.0.1 PORT="$PORT" DATA_DIR="$WORK/data" GLOBAL_LOG_LEVEL=WARNING \
  WEBUI_KEEPALIVE_TIMEOUT=3600 "${STREAM_ENV[@]}" ${CONN_HOST_ENV:-} "$BUILD/host/app/webui-host" \
  >"$WORK/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 100); do curl -sf "$HOST_URL/health" >/dev/null && break; sleep 0.1; done
curl -sf "$HOST_URL/health" >/dev/null || { cat "$WORK/host.log"; exit 1; }

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$HOST_PID/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$HOST_PID/status"; }
# Peak RSS (kB) and thread count while a command runs: "rss threads" in $WORK/peak.
sample_peaks() {
  local rss=0 thr=0 r t
  while kill -0 "$1" 2>/dev/null; do
    r=$(rss_kb) t=$(threads)
    ((r > rss)) && rss=$r
    ((t > thr)) && thr=$t
    sleep 0.2
  done
  echo "$rss $thr" >"$WORK/peak"
}

echo "host idle: RSS $(rss_kb) kB, $(threads) threads"

# The idle connections: each served one request, then silent.
python3 bench/idle_conns.py 127.0.0.1 "$PORT" "$IDLE" >"$WORK/idle.log" 2>&1 &
IDLE_PID=$!
until grep -q '^ready' "$WORK/idle.log"; do
  kill -0 "$IDLE_PID" 2>/dev/null || { cat "$WORK/idle.log"; exit 1; }
  sleep 0.5
done
echo "idle connections: $(grep '^ready' "$WORK/idle.log")"
echo "host with them: RSS $(rss_kb) kB, $(threads) threads"

# The built-in stream load: signed in, streams that outlast the /health load (50 tokens/s).
if ((STREAMS > 0)); then
  TOKEN=$(curl -sf -X POST -H 'content-type: application/json' \
    -d '{"name":"Bench","email":"bench@example.com","password":"bench-password"}' \
    "$HOST_URL/api/v1/auths/signup" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
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
  sleep 2  # streams opened before /health is measured
  [[ -z ${WAIT_STREAMS:-} ]] || echo "during the streams: RSS $(rss_kb) kB, $(threads) threads"
}
stop_stream_load() {
  [[ -n ${STREAM_PID:-} ]] || return 0
  if [[ -n ${WAIT_STREAMS:-} ]]; then
    wait "$STREAM_PID" || true  # they end on their own; the client reports errors
  else
    kill "$STREAM_PID" 2>/dev/null && wait "$STREAM_PID" 2>/dev/null || true
  fi
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
