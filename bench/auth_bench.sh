#!/usr/bin/env bash
# Auth plugin cost vs nginx on the same machine, same run (only ratios are meaningful on a
# shared machine). With wrk, keep-alive:
#   1. POST /api/v1/auths/signin   (bcrypt cost 12 verify + JWT) — p50 latency and req/s
#   2. GET  /api/v1/auths/         (JWT verify + revocation check + user row + permissions)
#      GET  /api/models            (signed in; one OpenAI connection: bench/stream_upstream.js)
#      GET  /api/v1/chats/         (signed in; the chat plugin's list, empty)
#   3. nginx `return 200` of a small JSON body
#   4. cold start with every plugin (exec -> /health 200) and the first unknown-email sign-in
# Usage: bench/auth_bench.sh [build-dir]   (default: build-bench, built Release here)
# Env: BENCH_DURATION (5s), BENCH_RUNS (3), BENCH_CONNS (64), BENCH_SIGNIN_CONNS (4),
# BENCH_COLD_RUNS (5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${1:-build-bench}
DURATION=${BENCH_DURATION:-5s}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-64}
SIGNIN_CONNS=${BENCH_SIGNIN_CONNS:-4}
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v curl >/dev/null &&
  command -v node >/dev/null ||
  scripts/install-deps.sh

if [[ ! -f $BUILD/build.ninja ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEBUI_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j2 --target webui-host auth chat openai >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d /tmp/wh-auth-bench.XXXXXX)
HOST_PORT=$(free_port); NGINX_PORT=$(free_port)
cleanup() {
  [[ -n ${HOST_PID:-} ]] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null || true
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

# Cold start: exec -> first /health 200 with every plugin the build has (median of
# BENCH_COLD_RUNS fresh data dirs), then the first sign-in of an unknown e-mail on a fresh
# process, which must still cost a full bcrypt verification (T01).
cmake --build "$BUILD" -j2 --target chat openai ollama >/dev/null
cold_start() {
  python3 - "$BUILD/host/app/webui-host" "$WORK" "${BENCH_COLD_RUNS:-5}" "$BUILD/plugins" <<'PY'
import json, os, socket, statistics, subprocess, sys, time, urllib.request
binary, work, runs, plugins = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
starts, first_unknown = [], []
for i in range(runs):
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), DATA_DIR=f"{work}/cold{i}",
               WEBUI_PLUGIN_PATH=plugins, WEBUI_SECRET_KEY="cold-start-bench-secret",
               GLOBAL_LOG_LEVEL="WARNING")
    env.pop("WEBUI_PLUGINS", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.status == 200: break
            except OSError:
                time.sleep(0.002)
            if time.perf_counter() - t0 > 30: raise SystemExit("no /health 200 within 30 s")
        starts.append((time.perf_counter() - t0) * 1000)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auths/signin",
            data=json.dumps({"email": "nobody@example.com", "password": "x"}).encode(),
            headers={"Content-Type": "application/json"})
        t1 = time.perf_counter()
        try: urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError as e: assert e.code == 400, e.code
        first_unknown.append((time.perf_counter() - t1) * 1000)
    finally:
        proc.terminate(); proc.wait()
print(f"{statistics.median(starts):.0f} {statistics.median(first_unknown):.0f}")
PY
}
read -r cold_ms first_unknown_ms <<<"$(cold_start)"

# One OpenAI-format upstream for /api/models (its list is cached by the openai plugin).
UP_PORT=$(free_port)
node bench/stream_upstream.js --port "$UP_PORT" >"$WORK/upstream.log" 2>&1 &
UP_PID=$!
trap 'kill "$UP_PID" 2>/dev/null || true; cleanup' EXIT

# auth, chat and openai; the sign-in limiters are lifted so the benchmark measures sign-in itself
# (the per-address one would otherwise answer the T01 probes below with quick 429s).
HOST=127.0.0.1 PORT=$HOST_PORT DATA_DIR=$WORK/data WEBUI_PLUGIN_PATH=$BUILD/plugins \
  WEBUI_PLUGINS=auth,chat,openai WEBUI_SECRET_KEY=$(head -c 32 /dev/urandom | base64) \
  OPENAI_API_BASE_URLS="http://127.0.0.1:$UP_PORT/v1" OPENAI_API_KEYS=bench-key \
  WEBUI_AUTH_SIGNIN_RATE_LIMIT=1000000 WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT=0 GLOBAL_LOG_LEVEL=WARNING \
  "$BUILD/host/app/webui-host" >"$WORK/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HOST_PORT/health" >/dev/null && break; sleep 0.1; done

BODY='{"name":"Bench","email":"bench@example.com","password":"bench-password-1"}'
TOKEN=$(curl -sf -H 'Content-Type: application/json' -d "$BODY" \
  "http://127.0.0.1:$HOST_PORT/api/v1/auths/signup" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cat >"$WORK/signin.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"bench-password-1"}'
wrk.headers["Content-Type"] = "application/json"
LUA

# wrk once: prints "<req/s> <p50 in ms>"
run() {
  wrk -t"$(( $1 < 2 ? 1 : 2 ))" -c"$1" -d"$DURATION" --latency "${@:2}" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                     if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ {rps=$2} $1=="50%" {p50=ms($2)} /Non-2xx/ {bad=$NF}
    END {if (bad) {print "non-2xx responses: " bad > "/dev/stderr"}; printf "%s %.2f\n", rps, p50}'
}
# median over $RUNS runs of req/s, with the p50 of that run
median() {
  local out=()
  for _ in $(seq "$RUNS"); do out+=("$(run "$@")"); done
  printf '%s\n' "${out[@]}" | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

read -r nginx_rps nginx_p50 <<<"$(median "$CONNS" "http://127.0.0.1:$NGINX_PORT/")"
read -r me_rps me_p50 <<<"$(median "$CONNS" -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$HOST_PORT/api/v1/auths/")"
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HOST_PORT/api/models" >/dev/null
read -r models_rps models_p50 <<<"$(median "$CONNS" -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$HOST_PORT/api/models")"
read -r chats_rps chats_p50 <<<"$(median "$CONNS" -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$HOST_PORT/api/v1/chats/")"
read -r in_rps in_p50 <<<"$(median "$SIGNIN_CONNS" -s "$WORK/signin.lua" \
  "http://127.0.0.1:$HOST_PORT/api/v1/auths/signin")"

printf '\n%-44s %12s %10s %10s\n' "endpoint (wrk -t2, keep-alive)" "req/s" "p50 ms" "vs nginx"
printf '%-44s %12s %10s %10s\n' "nginx return 200 (c$CONNS)" "$nginx_rps" "$nginx_p50" "1.00"
printf '%-44s %12s %10s %10s\n' "GET /api/v1/auths/ (JWT, c$CONNS)" "$me_rps" "$me_p50" \
  "$(awk -v a="$me_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a / b}')"
printf '%-44s %12s %10s %10s\n' "GET /api/models (one provider, c$CONNS)" "$models_rps" "$models_p50" \
  "$(awk -v a="$models_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a / b}')"
printf '%-44s %12s %10s %10s\n' "GET /api/v1/chats/ (c$CONNS)" "$chats_rps" "$chats_p50" \
  "$(awk -v a="$chats_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a / b}')"
printf '%-44s %12s %10s %10s\n' "POST /api/v1/auths/signin (bcrypt 12, c$SIGNIN_CONNS)" \
  "$in_rps" "$in_p50" "-"
# T01: a wrong password and an unknown account must cost the same (median of 15 each).
signin_ms() {
  for _ in $(seq 15); do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
      -d "{\"email\":\"$1\",\"password\":\"wrong-password\"}" \
      "http://127.0.0.1:$HOST_PORT/api/v1/auths/signin"
  done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[8] * 1000}'
}
wrong_ms=$(signin_ms bench@example.com)
unknown_ms=$(signin_ms nobody@example.com)
printf '%-44s %12s %10s %10s\n' "signin wrong password / unknown email (T01)" "-" \
  "$wrong_ms/$unknown_ms" "$(awk -v a="$unknown_ms" -v b="$wrong_ms" 'BEGIN {printf "%.2f", a / b}')"
printf '%-44s %12s %10s %10s\n' "cold start, all plugins: exec -> /health 200" "-" "$cold_ms" "-"
printf '%-44s %12s %10s %10s\n' "first unknown-email signin after start (T01)" "-" \
  "$first_unknown_ms" "$(awk -v a="$first_unknown_ms" -v b="$wrong_ms" 'BEGIN {printf "%.2f", a / b}')"
echo "(${RUNS} runs of ${DURATION} each, median by req/s; $(nproc) cores shared by wrk and servers)"
