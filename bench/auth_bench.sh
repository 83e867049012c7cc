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
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init wrk nginx curl node
BUILD=${1:-build-bench}
DURATION=${BENCH_DURATION:-5s}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-64}
SIGNIN_CONNS=${BENCH_SIGNIN_CONNS:-4}
bench_build "$BUILD" webui-host auth chat openai ollama

bench_workdir wh-auth-bench
start_nginx

# Cold start: exec -> first /health 200 with every plugin the build has (median of
# BENCH_COLD_RUNS fresh data dirs), then the first sign-in of an unknown e-mail on a fresh
# process, which must still cost a full bcrypt verification (T01).
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
start_node bench/stream_upstream.js

# auth, chat and openai; the sign-in limiters are lifted so the benchmark measures sign-in itself
# (the per-address one would otherwise answer the T01 probes below with quick 429s).
start_host host "$(free_port)" WEBUI_PLUGIN_PATH="$BUILD/plugins" WEBUI_PLUGINS=auth,chat,openai \
  WEBUI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  OPENAI_API_BASE_URLS="http://127.0.0.1:$NODE_PORT/v1" OPENAI_API_KEYS=bench-key \
  WEBUI_AUTH_SIGNIN_RATE_LIMIT=1000000 WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT=0
HOST_PORT=$BENCH_PORT

TOKEN=$(signup_token "http://127.0.0.1:$HOST_PORT" \
  '{"name":"Bench","email":"bench@example.com","password":"bench-password-1"}')
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
  printf '%s\n' "${out[@]}" | median_line
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
  "$(ratio "$me_rps" "$nginx_rps")"
printf '%-44s %12s %10s %10s\n' "GET /api/models (one provider, c$CONNS)" "$models_rps" "$models_p50" \
  "$(ratio "$models_rps" "$nginx_rps")"
printf '%-44s %12s %10s %10s\n' "GET /api/v1/chats/ (c$CONNS)" "$chats_rps" "$chats_p50" \
  "$(ratio "$chats_rps" "$nginx_rps")"
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
  "$wrong_ms/$unknown_ms" "$(ratio "$unknown_ms" "$wrong_ms")"
printf '%-44s %12s %10s %10s\n' "cold start, all plugins: exec -> /health 200" "-" "$cold_ms" "-"
printf '%-44s %12s %10s %10s\n' "first unknown-email signin after start (T01)" "-" \
  "$first_unknown_ms" "$(ratio "$first_unknown_ms" "$wrong_ms")"
echo "(${RUNS} runs of ${DURATION} each, median by req/s; $(nproc) cores shared by wrk and servers)"
