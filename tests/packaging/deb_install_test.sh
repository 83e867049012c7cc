#!/usr/bin/env bash
# The Debian packages, as an admin gets them: build both with cpack, unpack webui-host into a
# scratch root (dpkg-deb -x, no real install) and run <root>/usr/bin/webui-host. With no
# WEBUI_PLUGIN_PATH it must find the packaged plugins next to itself, inside the scratch root.
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

echo "PASS: webui-host and webui-host-dev .deb packages"
