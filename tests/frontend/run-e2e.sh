#!/usr/bin/env bash
# Manual end-to-end check with the real Open WebUI web frontend (not part of CI: no registry CI
# reaches distributes a frontend build). Build one (`npm ci && npm run build` in an Open WebUI
# 0.6.x checkout), then:
#   FRONTEND_BUILD_DIR=/path/to/build tests/frontend/run-e2e.sh [build-dir]
# Needs Debian's chromium and `npm install playwright-core` somewhere on NODE_PATH (or in
# tests/frontend). Starts the test model upstream and webui-host with every plugin built (as
# scripts/run.sh does; the web UI needs more than auth and chat, e.g. /api/v1/channels), runs
# e2e.mjs. E2E_LDAP=1: also a throwaway OpenLDAP directory with ENABLE_LDAP, runs e2e-ldap.mjs.
# E2E_AUDIO=1: the offline speech engines and a fake microphone, runs e2e-audio.mjs.
# E2E_IMAGES=1: the images module over its tests' stand-in engine, runs e2e-images.mjs.
# E2E_SCRIPT=tests/frontend/e2e-rag.mjs: documents and knowledge bases with citations.
# E2E_WEB=1: pages may be loaded from loopback (the script's stand-in engine), runs e2e-web.mjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=$(realpath -m "${1:-build}")
: "${FRONTEND_BUILD_DIR:?set FRONTEND_BUILD_DIR to a built Open WebUI frontend}"
WORK=$(mktemp -d /tmp/wh-e2e.XXXXXX)
cleanup() {
  kill ${HOST_PID:-} ${UP_PID:-} ${IMG_PID:-} 2>/dev/null || true
  [[ -z ${STOP_SLAPD:-} ]] || scripts/slapd.sh stop "$WORK/slapd" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
node tests/upstream/server.js --models gpt-test >"$WORK/up.port" &
UP_PID=$!
for _ in $(seq 50); do [[ -s $WORK/up.port ]] && break; sleep 0.1; done
# Port 8080 on localhost by default: frontends built for Open WebUI-compatible backends (e.g. the
# 0.6.32-based knoxchat build) may open their Socket.IO connection to http://localhost:8080.
EXTRA_ENV=()
if [[ ${E2E_LDAP:-0} == 1 ]]; then
  # A throwaway OpenLDAP directory (alice/alicepw ...), reached with StartTLS and the test CA.
  scripts/slapd.sh start "$WORK/slapd" >"$WORK/slapd.env"
  # shellcheck disable=SC1091
  source "$WORK/slapd.env"
  STOP_SLAPD=1
  EXTRA_ENV=(ENABLE_LDAP=true LDAP_SERVER_HOST=127.0.0.1 LDAP_SERVER_PORT="${WEBUI_TEST_LDAP_URL##*:}"
    LDAP_USE_TLS=false WEBUI_LDAP_USE_STARTTLS=true LDAP_CA_CERT_FILE="$WEBUI_TEST_LDAP_CA"
    LDAP_APP_DN=cn=svc-webui,dc=example,dc=org LDAP_APP_PASSWORD=svcpw
    LDAP_SEARCH_BASE=ou=people,dc=example,dc=org)
  E2E_SCRIPT=${E2E_SCRIPT:-tests/frontend/e2e-ldap.mjs}
fi
if [[ ${E2E_AUDIO:-0} == 1 ]]; then
  # The offline engines, and a clip espeak-ng speaks as Chromium's fake microphone.
  espeak-ng -v en-us -s 140 -w "$WORK/mic.wav" "hello world. hello world."
  export MIC_WAV=$WORK/mic.wav
  EXTRA_ENV=(AUDIO_TTS_ENGINE=transformers AUDIO_TTS_VOICE=en-us AUDIO_STT_ENGINE=)
  E2E_SCRIPT=${E2E_SCRIPT:-tests/frontend/e2e-audio.mjs}
fi
if [[ ${E2E_IMAGES:-0} == 1 ]]; then
  # The images module over the tests' stand-in of an OpenAI-compatible image server.
  IMAGES_STUB_DECODABLE=1 python3 plugins/images/tests/images_stub.py >"$WORK/img.port" &
  IMG_PID=$!
  for _ in $(seq 50); do [[ -s $WORK/img.port ]] && break; sleep 0.1; done
  EXTRA_ENV=(ENABLE_IMAGE_GENERATION=true IMAGE_GENERATION_ENGINE=openai
    IMAGES_OPENAI_API_BASE_URL=http://127.0.0.1:$(head -1 "$WORK/img.port")/v1 IMAGES_OPENAI_API_KEY=sk-stub)
  E2E_SCRIPT=${E2E_SCRIPT:-tests/frontend/e2e-images.mjs}
fi
if [[ ${E2E_WEB:-0} == 1 ]]; then
  EXTRA_ENV=(ENABLE_RAG_LOCAL_WEB_FETCH=true)
  E2E_SCRIPT=${E2E_SCRIPT:-tests/frontend/e2e-web.mjs}
fi
env "${EXTRA_ENV[@]}" HOST=127.0.0.1 PORT=${E2E_PORT:-8080} WEBUI_PORT_FILE=$WORK/host.port DATA_DIR=$WORK/data \
  WEBUI_PLUGIN_PATH=$BUILD/plugins \
  OPENAI_API_BASE_URLS=http://127.0.0.1:$(head -1 "$WORK/up.port")/v1 OPENAI_API_KEYS= \
  WEBUI_ACCESS_LOG=${WEBUI_ACCESS_LOG:-false} FRONTEND_BUILD_DIR=$FRONTEND_BUILD_DIR \
  "$BUILD/host/app/webui-host" >"$WORK/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 100); do [[ -s $WORK/host.port ]] && break; sleep 0.1; done
UPSTREAM=http://127.0.0.1:$(head -1 "$WORK/up.port") BASE=http://localhost:$(head -1 "$WORK/host.port") node "${E2E_SCRIPT:-tests/frontend/e2e.mjs}" || {
  echo "--- host log"; grep -v -e /_app/ -e /static/ -e /assets/ "$WORK/host.log" | tail -"${LOG_LINES:-60}"; exit 1; }
