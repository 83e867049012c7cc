#!/usr/bin/env bash
# README command #1: build the host and its plugins (Release, in build/) and run it in the
# foreground with DATA_DIR=./data. Every variable the host reads (HOST, PORT, DATABASE_URL,
# REDIS_URL, WEBUI_SECRET_KEY, WEBUI_PLUGINS, ...) passes through, e.g.
#   PORT=9000 scripts/run.sh
# Arguments go to the host: scripts/run.sh --check-config
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh

build_dir=build
# Tests are not needed to run the server; scripts/test.sh turns them back on in the same dir.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEBUI_SANITIZE=OFF \
  -DWEBUI_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir"

bin="$build_dir/host/app/webui-host"
if [[ ! -x "$bin" ]]; then
  bin="$(find "$build_dir" -name webui-host -type f -perm -u+x -print -quit)"
fi
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "run.sh: webui-host was not built" >&2
  exit 1
fi

export DATA_DIR="${DATA_DIR:-./data}"
export WEBUI_PLUGIN_PATH="${WEBUI_PLUGIN_PATH:-$build_dir/plugins}"
mkdir -p "$DATA_DIR"
# exec: the host becomes this process, so Ctrl-C / SIGTERM reach it directly.
exec "$bin" "$@"
