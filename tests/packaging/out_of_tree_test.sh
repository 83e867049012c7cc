#!/usr/bin/env bash
# Out-of-tree plugin, the way a plugin author works: install the host and its SDK into a prefix,
# build examples/hello-plugin against that prefix alone, and run the installed host with it.
#   out_of_tree_test.sh <source dir> <build dir>
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_work_dir
cd "$work" # the host reads ./.env: make sure it is not the developer's

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
  fail "cmake --install: $(tail -5 "$work/install.log")"
[[ -x "$prefix/bin/webui-host" ]] || fail "no bin/webui-host in the install"
[[ -f "$prefix/lib/cmake/WebUIHostSDK/WebUIHostSDKConfig.cmake" ]] || fail "no SDK CMake package"
# A temp prefix must stay self-contained: nothing may go to the real /etc.
[[ -f "$prefix/etc/webui-host/webui-host.env" ]] || fail "env file not under the prefix"
grep -qx "ExecStart=$prefix/bin/webui-host" "$prefix/lib/systemd/system/webui-host.service" ||
  fail "unit does not point at the installed binary"

# --- the SDK package's version rule: same ABI major, minor <= the SDK's --------------------------
abi_major="$(sed -n 's/^#define WH_ABI_MAJOR \([0-9]*\).*/\1/p' "$src/sdk/include/webui_host/abi.h")"
abi_minor="$(sed -n 's/^#define WH_ABI_MINOR \([0-9]*\).*/\1/p' "$src/sdk/include/webui_host/abi.h")"
# find_version <version>: exit status of configuring a project that requires WebUIHostSDK <version>.
find_version() {
  local dir="$work/find-$1"
  mkdir -p "$dir"
  cat >"$dir/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(find_sdk LANGUAGES NONE)
find_package(WebUIHostSDK $1 REQUIRED)
if(NOT TARGET WebUIHost::sdk OR NOT COMMAND webui_host_add_plugin)
  message(FATAL_ERROR "WebUIHost::sdk or webui_host_add_plugin missing")
endif()
CM
  cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$dir/log" 2>&1
}
find_version "$abi_major" || fail "find_package(WebUIHostSDK $abi_major) failed: $(tail "$work/find-$abi_major/log")"
find_version "$abi_major.$abi_minor" || fail "find_package(WebUIHostSDK $abi_major.$abi_minor) failed"
! find_version "$abi_major.$((abi_minor + 1))" || fail "SDK $abi_major.$abi_minor accepted a request for minor $((abi_minor + 1))"
! find_version "$((abi_major + 1))" || fail "SDK $abi_major.$abi_minor accepted ABI major $((abi_major + 1))"

# --- build the example against the prefix only ----------------------------------------------------
hello_build="$work/hello-build"
cmake -S "$src/examples/hello-plugin" -B "$hello_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$work/hello-configure.log" 2>&1 ||
  fail "configuring examples/hello-plugin: $(tail -20 "$work/hello-configure.log")"
grep -qx "WebUIHostSDK_DIR:PATH=$prefix/lib/cmake/WebUIHostSDK" "$hello_build/CMakeCache.txt" ||
  fail "the example found an SDK outside the test prefix: $(grep WebUIHostSDK_DIR "$hello_build/CMakeCache.txt")"
cmake --build "$hello_build" >"$work/hello-build.log" 2>&1 ||
  fail "building examples/hello-plugin: $(tail -30 "$work/hello-build.log")"
[[ -f "$hello_build/hello.so" ]] || fail "no hello.so (no lib prefix expected)"
# The example's own unit test, on the installed SDK's fake host (sdk/testing/fake_host.hpp).
[[ -x "$hello_build/hello_test" ]] || fail "the example's unit test (hello_test) was not built"
ctest --test-dir "$hello_build" --output-on-failure >"$work/hello-ctest.log" 2>&1 ||
  fail "the example's unit tests failed: $(tail -30 "$work/hello-ctest.log")"
grep -q "100% tests passed" "$work/hello-ctest.log" ||
  fail "the example's unit tests did not all pass: $(tail -10 "$work/hello-ctest.log")"
exported="$(nm -D --defined-only "$hello_build/hello.so" | awk '{print $3}')"
[[ "$exported" == "webui_host_plugin_entry" ]] ||
  fail "hello.so must export only webui_host_plugin_entry, exports: $exported"

# --- run the installed host with the example plugin -------------------------------------------------
start_host "$prefix/bin/webui-host" "$work/data" WEBUI_PLUGIN_PATH="$hello_build"

status="$(http_get "$host_url/api/v1/hello?name=x" "$work/hello.json")"
[[ "$status" == 200 ]] || fail "GET /api/v1/hello?name=x: HTTP $status: $(head -c 300 "$work/hello.json")"
json_equals "$work/hello.json" "{'message': 'Hello, x'}"

status="$(http_get "$host_url/api/v1/hello" "$work/hello-default.json")"
[[ "$status" == 200 ]] || fail "GET /api/v1/hello: HTTP $status"
json_equals "$work/hello-default.json" "{'message': 'Hello, world'}"

# The verified-user route: the host itself turns an anonymous caller away.
status="$(http_get "$host_url/api/v1/hello/me" "$work/me.json")"
[[ "$status" == 401 || "$status" == 403 ]] ||
  fail "GET /api/v1/hello/me without credentials: HTTP $status (expected 401/403)"

stop_host

# Restart on the same data dir with the setting's environment variable: migrations must be
# idempotent and HELLO_GREETING must reach the plugin through config_declare/config_get.
start_host "$prefix/bin/webui-host" "$work/data" WEBUI_PLUGIN_PATH="$hello_build" \
  HELLO_GREETING=Howdy
status="$(http_get "$host_url/api/v1/hello?name=x" "$work/hello-env.json")"
[[ "$status" == 200 ]] || fail "GET /api/v1/hello?name=x with HELLO_GREETING: HTTP $status"
json_equals "$work/hello-env.json" "{'message': 'Howdy, x'}"
stop_host

echo "PASS: out-of-tree plugin built against $prefix and served by the installed host"
