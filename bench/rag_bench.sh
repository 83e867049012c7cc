#!/usr/bin/env bash
# The rag module's ingestion and hybrid query cost on this machine, through HTTP on the real host
# with embedded SQLite (not CI):
#   1. ingestion: BENCH_CHUNKS (default 100 000) synthetic chunks of about 140 characters into one
#      collection through /api/v1/retrieval/process/text, embedded by the test upstream's
#      hashed bag of words (tests/upstream/server.js, model embed-bow-d768: 768 dimensions) in
#      batches of 100, two requests at once: chunks per second, embedding included;
#   2. the HNSW index: how long after the last chunk the background indexer has it complete
#      (persisted); the queries start then;
#   3. queries: BENCH_QUERIES (default 500) hybrid searches (BM25 + HNSW vectors, fused, scored
#      by the stored vectors' cosine) through /api/v1/retrieval/query/collection, one at a time:
#      p50 and p99 latency, HTTP included.
# The driver is bench/rag_bench.js. The load of the machine counts (uptime is printed).
# Usage: bench/rag_bench.sh [build-dir]   (default: build-bench, built Release here)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init curl node python3
BUILD=${1:-build-bench}
CHUNKS=${BENCH_CHUNKS:-100000}
QUERIES=${BENCH_QUERIES:-500}
bench_build "$BUILD" webui-host auth files rag

bench_workdir wh-rag-bench
start_node tests/upstream/server.js --models embed-bow-d768 --delay-ms 0
UPSTREAM=http://127.0.0.1:$NODE_PORT
start_host rag 0 WEBUI_PLUGIN_PATH="$BUILD/plugins" WEBUI_PLUGINS=auth,files,rag \
  WEBUI_SECRET_KEY=bench-secret-for-the-rag-bench RAG_EMBEDDING_ENGINE=openai \
  RAG_EMBEDDING_MODEL=embed-bow-d768 RAG_OPENAI_API_BASE_URL="$UPSTREAM/v1" \
  RAG_OPENAI_API_KEY=sk-bench RAG_EMBEDDING_BATCH_SIZE=100 CHUNK_SIZE=200 CHUNK_OVERLAP=0 \
  ENABLE_RAG_HYBRID_SEARCH=true
URL=http://127.0.0.1:$BENCH_PORT
TOKEN=$(signup_token "$URL" '{"name":"Root","email":"root@example.com","password":"pw-bench"}')

echo "load: $(uptime)"
node bench/rag_bench.js "$URL" "$TOKEN" "$CHUNKS" "$QUERIES" 2 "$WORK/rag-data/vector_db"
echo "database: $(du -sh "$WORK/rag-data" | cut -f1)  host RSS: $(rss_kb "$BENCH_PID") kB"
