#!/usr/bin/env node
// A minimal OpenAI-format streaming upstream for benchmarks. Every SSE chunk's content carries
// the monotonic time it was written ("@<ns>"), so a client on the same machine can measure each
// chunk's latency. Request knobs travel in the body: {"bench": {"chunks": N, "delay_ms": D}}.
//   node bench/stream_upstream.js [--port N]     prints the port once listening
'use strict';
const http = require('http');

const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 0) || 0;

function chunk(id, content) {
  return `data: ${JSON.stringify({
    id, object: 'chat.completion.chunk', created: 1700000000, model: 'bench',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/v1/models')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'bench', object: 'model', created: 1700000000, owned_by: 'bench' }] }));
    return;
  }
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    let opts = {};
    try { opts = JSON.parse(body).bench || {}; } catch (e) { /* defaults */ }
    const chunks = opts.chunks ?? 100;
    const delay = opts.delay_ms ?? 0;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    let closed = false;
    res.on('close', () => { closed = true; });
    const send = () => {
      if (closed) return;
      if (i >= chunks) {
        res.write(`data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 1700000000, model: 'bench', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      i += 1;
      res.write(chunk('b', `@${process.hrtime.bigint()} `));
      if (delay > 0) setTimeout(send, delay); else setImmediate(send);
    };
    send();
  });
});
// A deep backlog: the connection bench opens 2 000 streams at once.
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log(server.address().port));
