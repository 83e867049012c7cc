#!/usr/bin/env bash
# Is ingesting a large PDF bounded by the embedder or by the host? (rag, not CI.) A generated
# BENCH_PAGES-page text PDF (default 300, bench/make_pdf.py) is uploaded with processing through
# /api/v1/files/ and timed until its status stream completes (extracted in the child process,
# split with the default CHUNK_SIZE, embedded in batches of 32, four batches at once, stored),
# twice against the test upstream's embedder (tests/upstream/server.js, 768 dimensions):
#   1. answering at once: what the host itself costs (extraction, splitting, storage, HTTP);
#   2. answering each batch after BENCH_EMBED_DELAY_MS (default 200, a model's batch latency):
#      compared with the embedder's own floor, ceil(batches / 4) × delay.
# Usage: bench/pdf_bench.sh [build-dir]   (default: build-bench, built Release here)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init curl node python3
BUILD=${1:-build-bench}
PAGES=${BENCH_PAGES:-300}
DELAY=${BENCH_EMBED_DELAY_MS:-200}
bench_build "$BUILD" webui-host auth files rag webui-rag-extract

bench_workdir wh-pdf-bench
python3 bench/make_pdf.py "$WORK/doc.pdf" "$PAGES"
start_node tests/upstream/server.js --models embed-bow-d768 --delay-ms 0
UPSTREAM=http://127.0.0.1:$NODE_PORT
start_host rag 0 WEBUI_PLUGIN_PATH="$BUILD/plugins" WEBUI_PLUGINS=auth,files,rag \
  WEBUI_SECRET_KEY=bench-secret-for-the-pdf-bench RAG_EMBEDDING_ENGINE=openai \
  RAG_EMBEDDING_MODEL=embed-bow-d768 RAG_OPENAI_API_BASE_URL="$UPSTREAM/v1" \
  RAG_OPENAI_API_KEY=sk-bench RAG_EMBEDDING_BATCH_SIZE=32
URL=http://127.0.0.1:$BENCH_PORT
TOKEN=$(signup_token "$URL" '{"name":"Root","email":"root@example.com","password":"pw-bench"}')
AUTH=(-H "Authorization: Bearer $TOKEN")

ingest() {  # ingest <embed delay ms>: prints "seconds embedding_requests"
  curl -sf -X POST "$UPSTREAM/_test/reset" >/dev/null
  curl -sf -X POST -H 'Content-Type: application/json' -d "{\"embed_delay_ms\": $1}" \
    "$UPSTREAM/_test/config" >/dev/null
  local t0 t1 id status
  t0=$(date +%s.%N)
  id=$(curl -sf "${AUTH[@]}" -F "file=@$WORK/doc.pdf;type=application/pdf" "$URL/api/v1/files/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  status=$(curl -sf "${AUTH[@]}" "$URL/api/v1/files/$id/process/status?stream=true" | tail -c 200)
  t1=$(date +%s.%N)
  [[ $status == *'"completed"'* ]] || { echo "processing failed: $status" >&2; exit 1; }
  local requests
  requests=$(curl -sf "$UPSTREAM/_test/log" | python3 -c \
    'import json, sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"] == "/v1/embeddings"))')
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') $requests"
}

echo "load: $(uptime)"
read -r fast fast_requests < <(ingest 0)
read -r slow slow_requests < <(ingest "$DELAY")
floor=$(awk -v n="$slow_requests" -v d="$DELAY" 'BEGIN {printf "%.2f", int((n + 3) / 4) * d / 1000}')
echo "{\"pages\": $PAGES, \"pdf_bytes\": $(stat -c %s "$WORK/doc.pdf"), \"embedding_requests\": $fast_requests, \"seconds_instant_embedder\": $fast, \"embed_delay_ms\": $DELAY, \"seconds_with_delay\": $slow, \"embedder_floor_seconds\": $floor}"
echo "host RSS: $(rss_kb "$BENCH_PID") kB"
