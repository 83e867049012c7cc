#!/usr/bin/env bash
# README command #2 (and what .ci/run executes): the whole test suite.
#   1. build/       RelWithDebInfo, what ships only (--target webui_product); ctest -L packaging
#   2. build-asan/  Debug with -DWEBUI_SANITIZE=ON (ASan + UBSan + LeakSanitizer): everything,
#                   ctest of every test but packaging (unit, integration, services, plugins, e2e)
#   3. build-fuzz/  clang + libFuzzer: every tests/fuzz target for a bounded time (scripts/fuzz.sh --ci)
# PostgreSQL 15, Redis and an OpenLDAP directory (scripts/slapd.sh) are started privately on
# 127.0.0.1 for the run and always stopped.
#
# Environment:
#   WEBUI_TEST_SKIP_ASAN=1     only the release pass (packaging; quick local check)
#   WEBUI_TEST_SKIP_FUZZ=1     no fuzz stage
#   WEBUI_TEST_FUZZ_SECONDS=N  fuzzing time per target in the fuzz stage (default 10)
#   WEBUI_TEST_PG_PORT=N       PostgreSQL port (default 55440, or any free port if that is taken)
#   WEBUI_TEST_REDIS_PORT=N    Redis port (default 6400, or any free port if that is taken)
#   WEBUI_TEST_JOBS=N          parallel tests per pass (default 2)
#   WEBUI_TEST_BUILD_DIR=D     build dir of the first pass (default build)
#   WEBUI_TEST_ASAN_BUILD_DIR=D  build dir of the sanitizer pass (default build-asan)
# Arguments are passed to both ctest runs, e.g. `scripts/test.sh -L services` or `-R Kv`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
t_start=$SECONDS

scripts/install-deps.sh

pg_bin=/usr/lib/postgresql/15/bin
jobs="${WEBUI_TEST_JOBS:-2}"
ctest_args=("$@")

log() { printf '\n=== %s\n' "$*" >&2; }

# initdb and postgres refuse to run as root: use the `postgres` account Debian creates.
as_postgres() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# $1 = explicitly requested port (may be empty), $2 = default. An explicit port must be free; the
# default silently moves aside when another run (or another developer) already holds it.
choose_port() {
  if [[ -n "$1" ]]; then
    port_is_free "$1" || { echo "test.sh: port $1 is already in use" >&2; return 1; }
    echo "$1"
  elif port_is_free "$2"; then
    echo "$2"
  else
    free_port
  fi
}

# --- services ------------------------------------------------------------------------------------
tmp_root="$(mktemp -d /tmp/webui-test.XXXXXX)"
chmod 711 "$tmp_root" # the postgres user must reach its data dir inside
pg_data="$tmp_root/pg"
redis_dir="$tmp_root/redis"
slapd_dir="$tmp_root/slapd"
pg_started=""
redis_started=""
slapd_started=""

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$pg_started" ]]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [[ -n "$redis_started" ]]; then
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1
    if [[ -f "$redis_dir/redis.pid" ]] && kill -0 "$(cat "$redis_dir/redis.pid")" 2>/dev/null; then
      kill "$(cat "$redis_dir/redis.pid")"
    fi
  fi
  if [[ -n "$slapd_started" ]]; then
    scripts/slapd.sh stop "$slapd_dir" >/dev/null 2>&1
  fi
  rm -rf "$tmp_root"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port="$(choose_port "${WEBUI_TEST_PG_PORT:-}" 55440)"
redis_port="$(choose_port "${WEBUI_TEST_REDIS_PORT:-}" 6400)"

log "starting PostgreSQL 15 on 127.0.0.1:$pg_port and Redis on 127.0.0.1:$redis_port"
mkdir -p "$pg_data" "$redis_dir"
[[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$pg_data"
chmod 700 "$pg_data"
as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
pg_started=1
if ! as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 \
  -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null; then
  cat "$pg_data/server.log" >&2
  exit 1
fi

redis_started=1
redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$redis_dir" --logfile "$redis_dir/redis.log" --pidfile "$redis_dir/redis.pid"
for _ in $(seq 100); do
  redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$redis_port" ping | grep -q PONG || {
  cat "$redis_dir/redis.log" >&2
  exit 1
}

# The directory of the ldap plugin's tests (plugins/ldap/tests): ldap:// with StartTLS and ldaps://
# on free ports, a test CA, a small tree. Tests add their own entries, so one serves both passes.
log "starting slapd (scripts/slapd.sh)"
slapd_started=1
slapd_env="$(scripts/slapd.sh start "$slapd_dir")"
eval "$slapd_env"

# A fresh database and an empty Redis for each pass: no state leaks from one pass to the next.
reset_services() {
  "$pg_bin/dropdb" -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists webui
  "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres webui
  redis-cli -h 127.0.0.1 -p "$redis_port" flushall >/dev/null
}

export WEBUI_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/webui"
export WEBUI_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
export WEBUI_TEST_REQUIRE_SERVICES=1

# --- passes --------------------------------------------------------------------------------------
results=()
failed=0

# run_pass <label> <build dir> <build type> <build target> <ctest selection> [cmake args...].
# `pass_env` (NAME=value ...) applies to the build too: gtest_discover_tests runs every test binary
# right after linking it. Unity builds: each library or test binary compiles as a few large
# translation units, which halves the cold build (POCO, nlohmann and GoogleTest headers are
# parsed and their templates instantiated once per batch instead of once per file).
pass_env=()
run_pass() {
  local label="$1" dir="$2" type="$3" target="$4" selection="$5"
  shift 5
  local t0=$SECONDS
  log "[$label] configure + build ($dir, $type, target $target)"
  if ! cmake -S "$repo_root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" \
    -DWEBUI_BUILD_TESTS=ON -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null ||
    ! env "${pass_env[@]}" cmake --build "$dir" --target "$target"; then
    results+=("FAIL  $label: build ($((SECONDS - t0)) s)")
    failed=1
    return 1
  fi
  local built=$((SECONDS - t0))
  log "[$label] ctest $selection"
  if ! reset_services; then
    results+=("FAIL  $label: could not reset PostgreSQL/Redis")
    failed=1
    return 0
  fi
  # shellcheck disable=SC2086 # $selection is one or two words on purpose
  if env "${pass_env[@]}" ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 \
    $selection "${ctest_args[@]}"; then
    results+=("PASS  $label: build $built s + ctest $((SECONDS - t0 - built)) s")
  else
    results+=("FAIL  $label: ctest ($((SECONDS - t0)) s; failures listed above)")
    failed=1
  fi
}

# 1. Release: what ships, built optimised with every warning an error, then packaged and run as
#    an admin installs it (label `packaging`). The test suite itself runs once, in pass 2.
#    The packages are stripped (CPACK_STRIP_FILES), so this pass compiles without debug
#    information: the same -O2 code, a fifth less compile and link time.
if run_pass "release" "${WEBUI_TEST_BUILD_DIR:-build}" RelWithDebInfo webui_product \
  "-L packaging" -DWEBUI_SANITIZE=OFF -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG"; then
  release_built=1
else
  release_built=0
fi

# 2. The whole suite under ASan + UBSan + LeakSanitizer. Debug: the sanitizer pass is about
#    finding bugs; -O0 compiles faster and gives exact stacks. Built with clang and lld: the
#    release pass already holds the code to gcc's warnings, a second compiler's -Werror catches
#    what gcc lets through, and clang compiles this template-heavy code about a third faster at
#    -O0 (the sanitizer build is the longest stage of the run). LeakSanitizer stays on: with the
#    whole suite Debian 12's POCO, libpq, OpenSSL, spdlog and SQLite leak nothing at exit, so no
#    detect_leaks=0 is needed. Should a Debian library ever leak, suppress that library in
#    scripts/lsan.supp rather than turning leak checking off.
if [[ "${WEBUI_TEST_SKIP_ASAN:-0}" == "1" ]]; then
  results+=("SKIP  asan: WEBUI_TEST_SKIP_ASAN=1")
elif [[ "$release_built" == "0" ]]; then
  results+=("SKIP  asan: the release build failed")
else
  pass_env=(
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    "LSAN_OPTIONS=suppressions=$repo_root/scripts/lsan.supp:print_suppressions=0"
  )
  # Line tables are all a sanitizer report needs (file:line in every frame); full debug
  # information would only make the longest build of the run longer.
  run_pass "asan" "${WEBUI_TEST_ASAN_BUILD_DIR:-build-asan}" Debug all "-LE packaging" \
    -DWEBUI_SANITIZE=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_C_FLAGS_DEBUG=-gline-tables-only -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_MODULE_LINKER_FLAGS=-fuse-ld=lld || true
fi

# --- fuzz ----------------------------------------------------------------------------------------
# Independent of the passes above (its own clang build of the fuzz targets and what they link).
if [[ "${WEBUI_TEST_SKIP_FUZZ:-0}" == "1" ]]; then
  results+=("SKIP  fuzz: WEBUI_TEST_SKIP_FUZZ=1")
else
  log "[fuzz] build-fuzz + every target for ${WEBUI_TEST_FUZZ_SECONDS:-10} s"
  t0=$SECONDS
  if scripts/fuzz.sh --ci "${WEBUI_TEST_FUZZ_SECONDS:-10}"; then
    results+=("PASS  fuzz: build + runs ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  fuzz: build or a target failed ($((SECONDS - t0)) s; see above)")
    failed=1
  fi
fi

# --- summary -------------------------------------------------------------------------------------
log "summary ($((SECONDS - t_start)) s)"
printf '  %s\n' "${results[@]}" >&2
if [[ "$failed" -ne 0 ]]; then
  echo "FAIL" >&2
  exit 1
fi
echo "PASS" >&2
