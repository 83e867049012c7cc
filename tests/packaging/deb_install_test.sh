#!/usr/bin/env bash
# The Debian packages, as an admin gets them: build them with cpack, unpack webui-host into a
# scratch root (dpkg-deb -x, no real install) and run <root>/usr/bin/webui-host. With no
# WEBUI_PLUGIN_PATH it must find the packaged plugins next to itself, inside the scratch root.
# Then a module package (webui-host-mod-test-basic, cmake/ModulePackages.cmake) on top: the host
# loads exactly the core plugins and the module's; the module removed, its data stays.
#   deb_install_test.sh <build dir>
set -euo pipefail
build="$(cd "$1" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v dpkg-deb >/dev/null || skip "dpkg-deb not installed"
setup_work_dir
cd "$work"

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkgs" >"$work/cpack.log" 2>&1 ||
  fail "cpack -G DEB: $(tail -20 "$work/cpack.log")"
host_deb="$(find "$work/pkgs" -maxdepth 1 -name 'webui-host_*.deb' -print -quit)"
dev_deb="$(find "$work/pkgs" -maxdepth 1 -name 'webui-host-dev_*.deb' -print -quit)"
[[ -n "$host_deb" ]] || fail "no webui-host_*.deb: $(ls "$work/pkgs")"
[[ -n "$dev_deb" ]] || fail "no webui-host-dev_*.deb: $(ls "$work/pkgs")"

# --- webui-host: control data ----------------------------------------------------------------------
field() { dpkg-deb -f "$1" "$2"; }
[[ "$(field "$host_deb" Package)" == webui-host ]] || fail "host package name"
depends="$(field "$host_deb" Depends)"
for lib in libpoco libspdlog libsqlite3 libpq libstdc++6 passwd; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
mkdir -p "$work/control"
dpkg-deb -e "$host_deb" "$work/control"
grep -qx /etc/webui-host/webui-host.env "$work/control/conffiles" || fail "env file is not a conffile"
for script in postinst prerm postrm; do
  [[ -x "$work/control/$script" ]] || fail "no executable $script"
  sh -n "$work/control/$script" || fail "$script: syntax error"
done
grep -q 'useradd --system' "$work/control/postinst" || fail "postinst does not create the user"

# --- webui-host: files -----------------------------------------------------------------------------
root="$work/root"
dpkg-deb -x "$host_deb" "$root"
bin="$root/usr/bin/webui-host"
unit="$root/usr/lib/systemd/system/webui-host.service"
env_file="$root/etc/webui-host/webui-host.env"
[[ -x "$bin" ]] || fail "no /usr/bin/webui-host"
[[ -f "$env_file" ]] || fail "no /etc/webui-host/webui-host.env"
[[ -f "$unit" ]] || fail "no systemd unit"
compgen -G "$root/usr/lib/webui-host/plugins/*.so" >/dev/null || fail "no plugins packaged"
# Every setting in the env file is a commented-out default: a fresh install changes nothing.
! grep -Eq '^[[:space:]]*[A-Z_]+=' "$env_file" || fail "env file sets a value: $(grep -E '^[A-Z_]+=' "$env_file")"
grep -q '^#PORT=8080$' "$env_file" || fail "env file does not document PORT"
for line in ExecStart=/usr/bin/webui-host EnvironmentFile=-/etc/webui-host/webui-host.env \
  User=webui-host StateDirectory=webui-host Environment=DATA_DIR=/var/lib/webui-host \
  ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" MemoryDenyWriteExecute=yes \
  KillSignal=SIGTERM TimeoutStopSec=30 Restart=on-failure; do
  grep -qxF "$line" "$unit" || fail "unit lacks '$line'"
done

# --- webui-host: runs from the scratch root with its packaged plugins --------------------------------
start_host "$bin" "$work/data"
status="$(http_get "$host_url/health" "$work/health.json")"
[[ "$status" == 200 ]] || fail "/health: HTTP $status"
json_equals "$work/health.json" "{'status': True}"
status="$(http_get "$host_url/api/version" "$work/version.json")"
[[ "$status" == 200 ]] || fail "/api/version: HTTP $status"
python3 - "$work/version.json" <<'PY' || fail "/api/version: $(head -c 200 "$work/version.json")"
import json, sys
v = json.load(open(sys.argv[1]))["version"]
sys.exit(0 if isinstance(v, str) and v.count(".") >= 2 else 1)
PY
# The default plugin directory is relative to the binary: every packaged plugin must have been
# loaded from the scratch root (not from /usr/lib/webui-host/plugins of this machine), and the
# packaged set must be complete: no plugin refused, e.g. for a dependency left out.
packaged="$(find "$root/usr/lib/webui-host/plugins" -name '*.so' | wc -l)"
loaded="$(grep -F 'plugin loaded: ' "$host_log" |
  grep -cF " from $root/usr/lib/webui-host/plugins/" || true)"
[[ "$loaded" -eq "$packaged" ]] ||
  fail "$loaded of $packaged packaged plugins loaded from $root/usr/lib/webui-host/plugins"
! grep -F 'plugin refused: ' "$host_log" >&2 || fail "a packaged plugin was refused"
stop_host

# --- a module package: webui-host-mod-test-basic ---------------------------------------------------
# Made when the build has WEBUI_PACKAGE_TEST_MODULE=ON (tests/plugins/CMakeLists.txt).
mod_deb="$(find "$work/pkgs" -maxdepth 1 -name 'webui-host-mod-test-basic_*.deb' -print -quit)"
if grep -qx 'WEBUI_PACKAGE_TEST_MODULE:BOOL=ON' "$build/CMakeCache.txt"; then
  [[ -n "$mod_deb" ]] || fail "no webui-host-mod-test-basic_*.deb: $(ls "$work/pkgs")"
  mod_depends="$(field "$mod_deb" Depends)"
  [[ "$mod_depends" == *"webui-host (= $(field "$host_deb" Version))"* ]] ||
    fail "module Depends lacks 'webui-host (= $(field "$host_deb" Version))': $mod_depends"
  [[ "$mod_depends" == *libstdc++6* ]] || fail "module Depends not from dpkg-shlibdeps: $mod_depends"
  mkdir -p "$work/mod-control"
  dpkg-deb -e "$mod_deb" "$work/mod-control"
  grep -qx /etc/webui-host/modules/test-basic.env "$work/mod-control/conffiles" ||
    fail "the module's env snippet is not a conffile"
  mod_files="$(dpkg-deb -c "$mod_deb" | awk '$1 !~ /^d/ {print $6}')"
  # Only the module's own files: nothing of the core package.
  for f in $mod_files; do
    case "$f" in
    ./usr/lib/webui-host/plugins/basic.so | ./etc/webui-host/modules/test-basic.env | \
      ./usr/lib/systemd/system/webui-host.service.d/mod-test-basic.conf | \
      ./usr/share/doc/webui-host-mod-test-basic/* | \
      ./usr/share/lintian/overrides/webui-host-mod-test-basic) ;;
    *) fail "the module package holds $f" ;;
    esac
  done
  dpkg-deb -x "$mod_deb" "$root"
  dropin="$root/usr/lib/systemd/system/webui-host.service.d/mod-test-basic.conf"
  [[ "$(grep -v '^#' "$dropin")" == $'[Service]\nEnvironmentFile=-/etc/webui-host/modules/test-basic.env' ]] ||
    fail "drop-in: $(cat "$dropin")"
  ! grep -Eq '^[[:space:]]*[A-Z_]+=' "$root/etc/webui-host/modules/test-basic.env" ||
    fail "the module's env snippet sets a value"

  # webui-host plugins list, with the environment start_host gives the server.
  plugin_names() {
    env -i PATH="$PATH" HOME="${HOME:-/root}" \
      ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${LSAN_OPTIONS:+LSAN_OPTIONS="$LSAN_OPTIONS"} \
      DATA_DIR="$work/data-mod" WEBUI_SECRET_KEY=packaging-test-secret-key-0123456789abcdef \
      "$bin" plugins list >"$work/plugins.txt" 2>"$work/plugins.err" ||
      fail "webui-host plugins list: $(cat "$work/plugins.err")"
    awk -F '\t' '$3 == "loaded" {print $1}' "$work/plugins.txt" | sort | tr '\n' ' '
  }
  # The database as the module left it: its tables, its migrations, its rows.
  db_snapshot() {
    python3 - "$work/data-mod/webui.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")))
print(sorted(db.execute("SELECT owner, version FROM webui_host_migration WHERE owner = 'basic'")))
print(sorted(db.execute("SELECT n FROM test_migration_run")))
PY
  }
  core_names="$(find "$root/usr/lib/webui-host/plugins" -name '*.so' ! -name basic.so \
    -printf '%f\n' | sed 's/\.so$//' | sort | tr '\n' ' ')"
  with_module="$(printf '%s\n' $core_names basic | sort | tr '\n' ' ')"

  start_host "$bin" "$work/data-mod"
  status="$(http_get "$host_url/api/v1/test/config" "$work/test-config.json")"
  [[ "$status" == 200 ]] || fail "the module's route: HTTP $status"
  json_equals "$work/test-config.json" "{'greeting': 'hello'}"
  grep -qF "plugin loaded: basic 1.2.3 (ABI " "$host_log" || fail "the module was not loaded"
  grep -F 'plugin loaded: basic ' "$host_log" | grep -qF " from $root/usr/lib/webui-host/plugins/basic.so" ||
    fail "the module was not loaded from the scratch root"
  stop_host
  [[ "$(plugin_names)" == "$with_module" ]] ||
    fail "loaded with the module: '$(plugin_names)', expected '$with_module'"
  before="$(db_snapshot)" || fail "cannot read the module's data"
  [[ "$before" == *test_note* && "$before" == *"('basic', 1)"* ]] || fail "no module data: $before"

  # Removing the package (its files; dpkg keeps modified conffiles until purge) leaves the core.
  for f in $mod_files; do rm -f "$root/${f#./}"; done
  [[ ! -e "$root/usr/lib/webui-host/plugins/basic.so" ]] || fail "basic.so not removed"
  start_host "$bin" "$work/data-mod"
  status="$(http_get "$host_url/api/v1/test/config" "$work/test-config.json")"
  [[ "$status" == 404 ]] || fail "the removed module's route: HTTP $status (expected 404)"
  ! grep -F 'plugin refused: ' "$host_log" >&2 || fail "a plugin was refused after the removal"
  stop_host
  [[ "$(plugin_names)" == "$core_names" ]] ||
    fail "loaded without the module: '$(plugin_names)', expected '$core_names'"
  after="$(db_snapshot)" || fail "cannot read the database after the removal"
  [[ "$after" == "$before" ]] || fail "the database changed: before $before, after $after"
  echo "module package: loads with the core, removed leaves its data"
else
  [[ -z "$mod_deb" ]] || fail "webui-host-mod-test-basic made without WEBUI_PACKAGE_TEST_MODULE"
fi

# --- webui-host-dev ----------------------------------------------------------------------------------
[[ "$(field "$dev_deb" Architecture)" == all ]] || fail "webui-host-dev should be Architecture: all"
dev_files="$(dpkg-deb -c "$dev_deb" | awk '{print $6}')"
for f in ./usr/include/webui_host/abi.h ./usr/include/webui_host/sdk.hpp \
  ./usr/lib/cmake/WebUIHostSDK/WebUIHostSDKConfig.cmake \
  ./usr/lib/cmake/WebUIHostSDK/WebUIHostSDKConfigVersion.cmake \
  ./usr/lib/cmake/WebUIHostSDK/WebUIHostSDKTargets.cmake \
  ./usr/lib/cmake/WebUIHostSDK/webui_host_plugin.map; do
  grep -qxF "$f" <<<"$dev_files" || fail "webui-host-dev lacks $f"
done
# The packaged CMake package is relocatable: unpacked anywhere, it finds its own headers.
dev_root="$work/dev-root"
dpkg-deb -x "$dev_deb" "$dev_root"
mkdir -p "$work/find"
cat >"$work/find/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(find_sdk LANGUAGES NONE)
find_package(WebUIHostSDK 1 REQUIRED)
get_target_property(inc WebUIHost::sdk INTERFACE_INCLUDE_DIRECTORIES)
if(NOT EXISTS "${inc}/webui_host/sdk.hpp")
  message(FATAL_ERROR "WebUIHost::sdk include dir ${inc} has no webui_host/sdk.hpp")
endif()
CM
cmake -S "$work/find" -B "$work/find/build" -DCMAKE_PREFIX_PATH="$dev_root/usr" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/find.log" 2>&1 ||
  fail "find_package(WebUIHostSDK) in the unpacked -dev package: $(tail "$work/find.log")"

echo "PASS: webui-host, webui-host-dev and module .deb packages"
