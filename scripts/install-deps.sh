#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests, the benchmarks and the packaging need.
# Idempotent: when everything is already installed it does not touch apt at all, so reruns (every
# scripts/test.sh and scripts/run.sh) cost a few milliseconds.
#
#   scripts/install-deps.sh            install what is missing
#   scripts/install-deps.sh --check    only report what is missing (exit 1 if anything is)
set -euo pipefail

# Build: compiler, CMake, Ninja and the libraries cmake/Dependencies.cmake finds.
build_pkgs=(
  g++ cmake ninja-build
  libpoco-dev libboost-dev libboost-filesystem-dev libspdlog-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libcrypt-dev libldap-dev libpoppler-cpp-dev libzip-dev
  libxml2-dev libhnswlib-dev
  libespeak-ng-dev libpocketsphinx-dev libavformat-dev libavcodec-dev libswresample-dev
  libavutil-dev
)
# Tests: GoogleTest, the PostgreSQL, Redis and OpenLDAP (scripts/slapd.sh) servers scripts/test.sh
# starts, curl and python3 for the shell tests (free ports, HTTP checks, the audio plugin's
# speech-server stub, the images plugin's engine stub); the audio plugin's runtime data (espeak-ng's voices, pocketsphinx's en-us
# model) and the espeak-ng and ffmpeg commands its tests make clips with.
test_pkgs=(libgtest-dev libgmock-dev postgresql-15 redis-server slapd ldap-utils curl python3 file
  openssl espeak-ng pocketsphinx-en-us ffmpeg)
# Benchmarks (bench/): wrk against the host, nginx as the yardstick.
bench_pkgs=(wrk nginx-light)
# Packaging (cpack -G DEB / -G RPM): dpkg-shlibdeps and rpmbuild; the checks of
# tests/packaging/package_lint_test.sh: lintian, rpmlint, man-db (groff warnings of the man page).
pkg_pkgs=(dpkg-dev rpm lintian rpmlint man-db)
# Tooling: formatting, the frontend build, clang with libFuzzer for tests/fuzz (scripts/fuzz.sh;
# libclang-rt-14-dev holds libFuzzer and the sanitizer runtimes clang links); clang and lld also
# build the sanitizer pass of scripts/test.sh.
tool_pkgs=(clang-format nodejs npm clang libclang-rt-14-dev lld)

all_pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}" "${pkg_pkgs[@]}" "${tool_pkgs[@]}")

is_installed() {
  case "$1" in
    # NodeSource's nodejs bundles npm and conflicts with Debian's npm package: accept any npm.
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
  esac
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for pkg in "${all_pkgs[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "install-deps: not root and no sudo; install these by hand: ${missing[*]}" >&2
    exit 1
  }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# slapd's package would otherwise make a system directory (and ask for its password); the tests
# run their own (scripts/slapd.sh).
if [[ " ${missing[*]} " == *" slapd "* ]]; then
  echo "slapd slapd/no_configuration boolean true" | "${sudo[@]}" debconf-set-selections
fi
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
