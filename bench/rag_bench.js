// Driver of bench/rag_bench.sh: ingests CHUNKS synthetic chunks into one collection through
// POST /api/v1/retrieval/process/text (PER_REQUEST paragraphs a request, each paragraph one chunk
// of CHUNK_SIZE 200, CONCURRENCY requests at once), then times QUERIES hybrid searches through
// POST /api/v1/retrieval/query/collection, one at a time, after WARMUP unrecorded ones.
// With INDEX_DIR (the host's DATA_DIR/vector_db) the queries wait until the HNSW index of the
// collection has caught up with the ingestion (the background indexer persists it after two
// quiet seconds): index_seconds is how long after the last chunk that took.
// Prints one JSON line: {chunks, ingest_seconds, chunks_per_second, index_seconds, queries,
// p50_ms, p99_ms, max_ms, mode}.
//   node bench/rag_bench.js BASE_URL TOKEN CHUNKS [QUERIES] [CONCURRENCY] [INDEX_DIR]
'use strict';
const fs = require('fs');
const http = require('http');

const [base, token, chunksArg, queriesArg, concArg, indexDir] = process.argv.slice(2);
const CHUNKS = Number(chunksArg || 100000);
const QUERIES = Number(queriesArg || 500);
const CONCURRENCY = Number(concArg || 2);
const PER_REQUEST = 100;
const WARMUP = 20;
const COLLECTION = 'rag-bench-corpus';
const url = new URL(base);

// A fixed vocabulary and a seeded generator: every run indexes the same corpus.
let seed = 42;
function rand() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const VOCAB = Array.from({ length: 20000 }, (_, i) => 'w' + (i * 7919).toString(36));
function words(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(VOCAB[Math.floor(rand() * VOCAB.length)]);
  return out.join(' ');
}

function post(path, body) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent: keepAlive,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(data),
          Authorization: 'Bearer ' + token,
        },
      },
      (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString();
          if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

async function ingest() {
  const requests = Math.ceil(CHUNKS / PER_REQUEST);
  let next = 0;
  async function worker() {
    while (next < requests) {
      const i = next++;
      const n = Math.min(PER_REQUEST, CHUNKS - i * PER_REQUEST);
      // About 140 characters a paragraph: two never fit one 200-character chunk.
      const paragraphs = [];
      for (let p = 0; p < n; p++) paragraphs.push(`d${i}p${p} ` + words(18));
      await post('/api/v1/retrieval/process/text', {
        name: `bench-${i}`,
        content: paragraphs.join('\n\n'),
        collection_name: COLLECTION,
      });
    }
  }
  const t0 = process.hrtime.bigint();
  await post('/api/v1/retrieval/process/text', {
    name: 'bench-owner', content: 'owner ' + words(5), collection_name: COLLECTION,
  });
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function query() {
  const times = [];
  let mode = '';
  for (let i = 0; i < WARMUP + QUERIES; i++) {
    const t0 = process.hrtime.bigint();
    const r = await post('/api/v1/retrieval/query/collection', {
      collection_names: [COLLECTION], query: words(3), hybrid: true, k: 3,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    mode = r.mode;
    if (i >= WARMUP) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99), max: times[times.length - 1], mode };
}

async function indexReady() {
  if (!indexDir) return null;
  const t0 = process.hrtime.bigint();
  const ready = () => fs.existsSync(indexDir) && fs.readdirSync(indexDir).some((f) => f.endsWith('.hnsw'));
  while (!ready()) {
    if (Number(process.hrtime.bigint() - t0) / 1e9 > 3600) throw new Error('no HNSW index after an hour');
    await new Promise((r) => setTimeout(r, 200));
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

(async () => {
  const seconds = await ingest();
  const indexSeconds = await indexReady();
  const q = await query();
  console.log(JSON.stringify({
    chunks: CHUNKS,
    ingest_seconds: Number(seconds.toFixed(1)),
    chunks_per_second: Math.round(CHUNKS / seconds),
    index_seconds: indexSeconds === null ? null : Number(indexSeconds.toFixed(1)),
    queries: QUERIES,
    p50_ms: Number(q.p50.toFixed(2)),
    p99_ms: Number(q.p99.toFixed(2)),
    max_ms: Number(q.max.toFixed(2)),
    mode: q.mode,
  }));
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
