#!/usr/bin/env bash
# Runs the client scenarios (scenarios/*.test.mjs, one file per scenario) against a running host:
#   WEBUI_URL=http://127.0.0.1:8080 [WEBUI_TOKEN=user:1] [WEBUI_UPSTREAM_URL=...] tests/clients/run.sh
# Installs the locked npm packages into tests/clients/node_modules first (npm ci; skipped when the
# lock file has not changed since the last install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.webui-lock-sha256 || "$(cat node_modules/.webui-lock-sha256)" != "$lock_sum" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.webui-lock-sha256
fi

shopt -s nullglob
files=(scenarios/*.test.mjs)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "run.sh: no scenarios found" >&2
  exit 1
fi
exec node --test "${files[@]}"
