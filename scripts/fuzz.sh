#!/usr/bin/env bash
# libFuzzer targets of tests/fuzz, built with clang in build-fuzz/ (ASan + UBSan + coverage).
#
#   scripts/fuzz.sh [target|all] [seconds]   local run (default: all, 300 s per target): new
#                                            interesting inputs are merged into the repo corpus
#                                            tests/fuzz/corpus/<target>/ (-merge=1); commit them
#   scripts/fuzz.sh --ci [seconds]           CI (scripts/test.sh): every target for a bounded time
#                                            (default 15 s), two at a time; the repo corpus is only
#                                            read; fails on any crash, leak, timeout or OOM
#   scripts/fuzz.sh --list                   the target names
#
# Crash inputs land in build-fuzz/artifacts/<target>/; reproduce one with
#   build-fuzz/fuzz/<target>_fuzz <file>
# Environment: WEBUI_FUZZ_BUILD_DIR (default build-fuzz), WEBUI_FUZZ_JOBS (targets run at once,
# default 2), CCACHE_DIR/CCACHE_BASEDIR as for any build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
build_dir="${WEBUI_FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${WEBUI_FUZZ_JOBS:-2}"
fuzz_src="$repo_root/tests/fuzz"

mode=local
case "${1:-}" in
  --ci) mode=ci; shift ;;
  --list) mode=list; shift ;;
  -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# Only the fuzz targets and the libraries they link (no plugins, no host binary, no tests).
# -O1 -gline-tables-only: fast enough to fuzz, quicker to compile, symbolized stacks; no NDEBUG,
# so assertions in the code under test stay armed.
flags="-O1 -gline-tables-only"
cmake -S "$repo_root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DWEBUI_FUZZ=ON -DWEBUI_BUILD_TESTS=OFF \
  -DCMAKE_UNITY_BUILD=ON \
  "${launcher[@]}" >/dev/null
cmake --build "$build_dir" --target webui_fuzz

mapfile -t all_targets < <(grep -v '^$' "$build_dir/fuzz/targets.txt")
if [[ "$mode" == "list" ]]; then
  printf '%s\n' "${all_targets[@]}"
  exit 0
fi

if [[ "$mode" == "ci" ]]; then
  seconds="${1:-15}"
  targets=("${all_targets[@]}")
else
  target="${1:-all}"
  seconds="${2:-300}"
  if [[ "$target" == "all" ]]; then
    targets=("${all_targets[@]}")
  else
    printf '%s\n' "${all_targets[@]}" | grep -qx "$target" || {
      echo "fuzz.sh: unknown target '$target' (known: ${all_targets[*]})" >&2
      exit 2
    }
    targets=("$target")
  fi
fi

work="$(mktemp -d /tmp/webui-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# run_target <name>: fuzzes into a scratch corpus seeded (read-only) from the repo corpus; the
# exit status is libFuzzer's (non-zero on a crash, leak, timeout or OOM).
run_target() {
  local name="$1" dict=()
  local seeds="$fuzz_src/corpus/$name" scratch="$work/$name"
  local artifacts="$repo_root/$build_dir/artifacts/$name"
  mkdir -p "$scratch" "$artifacts" "$seeds"
  [[ -f "$fuzz_src/$name.dict" ]] && dict=("-dict=$fuzz_src/$name.dict")
  "$build_dir/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "$scratch" "$seeds" >"$work/$name.log" 2>&1
}

# Two at a time (2-core machine); each result in $work/<name>.rc.
running=0
for name in "${targets[@]}"; do
  if [[ "$running" -ge "$jobs" ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  (
    rc=0
    run_target "$name" || rc=$?
    echo "$rc" >"$work/$name.rc"
  ) &
  running=$((running + 1))
done
wait

failed=0
for name in "${targets[@]}"; do
  rc="$(cat "$work/$name.rc" 2>/dev/null || echo 1)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -1)"
  corpus="$(find "$work/$name" -type f | wc -l)"
  if [[ "$rc" -eq 0 ]]; then
    printf 'fuzz: PASS  %-18s %10s execs in %s s, %s new inputs\n' "$name" "${execs:-?}" "$seconds" "$corpus" >&2
  else
    printf 'fuzz: FAIL  %-18s exit %s; log:\n' "$name" "$rc" >&2
    tail -60 "$work/$name.log" >&2
    failed=1
  fi
  if [[ "$mode" == "local" && "$rc" -eq 0 ]]; then
    # Keep only the inputs that add coverage over what the repo corpus already has.
    "$build_dir/fuzz/${name}_fuzz" -merge=1 "$fuzz_src/corpus/$name" "$work/$name" \
      >"$work/$name.merge.log" 2>&1 || { cat "$work/$name.merge.log" >&2; failed=1; }
    printf '      merged: %s files in tests/fuzz/corpus/%s\n' \
      "$(find "$fuzz_src/corpus/$name" -type f | wc -l)" "$name" >&2
  fi
done
exit "$failed"
