# Helpers shared by the packaging tests (sourced, not run). Each test sets `work` (a temp dir) and
# calls `start_host`/`stop_host`; the EXIT trap installed by `setup_work_dir` kills the host if
# the test fails half-way and removes the temp dir.

fail() {
  echo "FAIL: $*" >&2
  if [[ -n "${host_log:-}" && -f "$host_log" ]]; then
    echo "--- host log (last 60 lines) ---" >&2
    tail -n 60 "$host_log" >&2
  fi
  exit 1
}

skip() {
  echo "SKIP: $*" >&2
  exit 77 # SKIP_RETURN_CODE in tests/packaging/CMakeLists.txt
}

host_pid=""

_cleanup() {
  local rc=$?
  if [[ -n "$host_pid" ]] && kill -0 "$host_pid" 2>/dev/null; then
    kill -KILL "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  if [[ -n "${work:-}" && -d "$work" ]]; then
    if [[ "$rc" -ne 0 && -n "${WEBUI_TEST_KEEP_TMP:-}" ]]; then
      echo "kept $work" >&2
    else
      rm -rf "$work"
    fi
  fi
  exit "$rc"
}

setup_work_dir() {
  work="$(mktemp -d /tmp/webui-pkgtest.XXXXXX)"
  trap _cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http_get <url> <body file>: prints the status code; the body goes to the file.
http_get() {
  curl -sS --max-time 10 -o "$2" -w '%{http_code}' "$1" || echo 000
}

# start_host <binary> <data dir> [NAME=value ...]: starts the host on a free port of 127.0.0.1
# with a clean environment (only PATH/HOME/sanitizer settings pass through, so a developer's
# DATABASE_URL or WEBUI_PLUGIN_PATH cannot leak in) and waits for /health. Sets host_pid,
# host_port, host_url, host_log.
start_host() {
  local bin="$1" data_dir="$2"
  shift 2
  host_port="$(free_port)"
  host_url="http://127.0.0.1:$host_port"
  host_log="$work/host.log"
  mkdir -p "$data_dir"
  # No `cd dir && bin &`: that backgrounds a subshell and $! would not be the host.
  env -i PATH="$PATH" HOME="${HOME:-/root}" \
    ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    ${LSAN_OPTIONS:+LSAN_OPTIONS="$LSAN_OPTIONS"} \
    HOST=127.0.0.1 PORT="$host_port" DATA_DIR="$data_dir" \
    WEBUI_SECRET_KEY=packaging-test-secret-key-0123456789abcdef "$@" \
    "$bin" >"$host_log" 2>&1 &
  host_pid=$!
  local i
  for i in $(seq 300); do
    kill -0 "$host_pid" 2>/dev/null || fail "webui-host exited during start-up"
    if [[ "$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "$host_url/health")" == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  fail "webui-host did not answer /health within 30 s"
}

# stop_host: SIGTERM, then the exit code must be 0 (a clean, drained shutdown; under the
# sanitizers also no leak or error report).
stop_host() {
  kill -TERM "$host_pid"
  local rc=0
  local i
  for i in $(seq 300); do
    kill -0 "$host_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$host_pid" 2>/dev/null; then
    fail "webui-host still running 30 s after SIGTERM"
  fi
  wait "$host_pid" || rc=$?
  host_pid=""
  [[ "$rc" -eq 0 ]] || fail "webui-host exited with $rc after SIGTERM (expected 0)"
}

# json_equals <file> <python literal>: the file's JSON equals the expected value.
json_equals() {
  python3 - "$1" "$2" <<'PY' || fail "$(basename "$1"): got $(head -c 300 "$1"), expected $2"
import ast, json, sys
with open(sys.argv[1]) as f:
    got = json.load(f)
sys.exit(0 if got == ast.literal_eval(sys.argv[2]) else 1)
PY
}
