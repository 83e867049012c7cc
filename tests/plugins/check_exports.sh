#!/usr/bin/env bash
# Every shipped plugin exports exactly one dynamic symbol: webui_host_plugin_entry (abi.h rule;
# anything more can clash between plugins or pin the .so in memory).
set -euo pipefail
status=0
for so in "$@"; do
  syms=$(nm -D --defined-only "$so" | awk '{print $3}')
  if [[ "$syms" != "webui_host_plugin_entry" ]]; then
    echo "FAIL $so exports: $(echo "$syms" | tr '\n' ' ')"
    status=1
  else
    echo "ok   $so"
  fi
done
exit $status
