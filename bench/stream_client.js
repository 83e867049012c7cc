#!/usr/bin/env node
// Runs concurrent streamed chat completions against an OpenAI-compatible URL and reports chunk
// throughput and per-chunk latency (arrival minus the upstream's write time, same machine clock).
//   node bench/stream_client.js URL TOKEN CONCURRENCY CHUNKS DELAY_MS
// Prints one JSON line: {streams, errors, chunks, seconds, chunks_per_s, p50_us, p99_us, max_us}
'use strict';
const http = require('http');

const [url, token, conc, chunks, delay] = process.argv.slice(2);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conc) });
const body = JSON.stringify({
  model: 'bench', stream: true, messages: [{ role: 'user', content: 'bench' }],
  bench: { chunks: Number(chunks), delay_ms: Number(delay) },
});
const latencies = [];
let total = 0;
let errors = 0;

function one() {
  return new Promise((resolve) => {
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
                 authorization: `Bearer ${token}` },
    }, (res) => {
      if (res.statusCode !== 200) { errors += 1; res.resume(); res.on('end', resolve); return; }
      let buf = '';
      let done = false;
      res.setEncoding('utf8');
      res.on('data', (d) => {
        const now = process.hrtime.bigint();
        buf += d;
        let at;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, at);
          buf = buf.slice(at + 2);
          if (ev === 'data: [DONE]') { done = true; continue; }
          const m = /@(\d+) /.exec(ev);
          if (m) { latencies.push(Number(now - BigInt(m[1])) / 1000); total += 1; }
        }
      });
      res.on('end', () => { if (!done) errors += 1; resolve(); });
      res.on('error', () => { errors += 1; resolve(); });
    });
    req.on('error', () => { errors += 1; resolve(); });
    req.end(body);
  });
}

(async () => {
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Number(conc) }, one));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
  console.log(JSON.stringify({
    streams: Number(conc), errors, chunks: total, seconds: +seconds.toFixed(3),
    chunks_per_s: Math.round(total / seconds), p50_us: Math.round(q(0.5)), p99_us: Math.round(q(0.99)),
    max_us: Math.round(latencies[latencies.length - 1] || 0),
  }));
  agent.destroy();
})();
