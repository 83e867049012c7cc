#!/usr/bin/env node
// Test double for model upstreams: one HTTP server speaking both the OpenAI wire format
// (/v1/models, /v1/chat/completions with SSE, /v1/embeddings) and Ollama's (/api/tags,
// /api/version, /api/ps, /api/chat and /api/generate with NDJSON, /api/embed, /api/embeddings,
// /api/show, /api/pull, /api/delete). No npm dependencies.
//
//   node tests/upstream/server.js [--port N] [--host 127.0.0.1] [--api-key KEY]
//        [--models a,b,...] [--delay-ms 30] [--ollama-version 0.6.5] [--exit-with-stdin]
//
// Prints the port on stdout (one line, digits only) once it listens.
//
// Behaviour is chosen per request by words in the requested model name, so it travels through
// any proxy that passes the model on (prefixes such as "up1." are ignored):
//   slow           250 ms between tokens (instead of --delay-ms)
//   hang-headers   accepts the request and never answers (until the client leaves)
//   hang-mid       sends two tokens, then goes silent (until the client leaves)
//   reset-mid      sends three tokens, then resets the TCP connection (RST)
//   error-NNN      answers HTTP NNN with an error body in the protocol's shape
//   bad-json       one malformed chunk in the middle of an otherwise good stream
//   deep-json      an answer (or first stream chunk) holding an array nested 20 000 levels deep
//   done-hang      streams the whole answer and its end marker ([DONE] or "done": true), then
//                  keeps the connection open without another byte (until the client leaves)
// Every other listed model streams the reply "Hello! You said: <last user text>" token by token.
// An unlisted model gets the protocol's "model not found" (404).
//
// Embeddings: models named with "bow" answer a hashed bag of words (512 dimensions, texts that
// share words are near); POST /openai/deployments/<model>/embeddings is Azure OpenAI's path;
// POST /v1/rerank scores documents by the share of the query's words they contain.
//
// Test control (never needs the API key):
//   GET  /_test/log     {"requests":[...]} what arrived, and how each exchange ended:
//                       closed_by_client (the peer left before the response finished),
//                       completed, reset_by_server, t_received/t_closed (ms since epoch)
//   POST /_test/reset   forget the log and the config below
//   POST /_test/config  {"delay_ms":N, "hang_paths":["/v1/models", ...], "text":"fixed reply",
//                        "embed_delay_ms":N (each embeddings request answers after N ms, as a
//                        real embedding model's batch would; default 0)}
//   GET  /_test/health  {"ok":true}
'use strict';

const http = require('http');
const crypto = require('crypto');

// ---- command line ---------------------------------------------------------------------------
function parseArgs(argv) {
  const out = {
    port: 0,
    host: '127.0.0.1',
    apiKey: '',
    delayMs: 30,
    ollamaVersion: '0.6.5',
    models: [
      'gpt-test', 'gpt-slow', 'gpt-hang-headers', 'gpt-hang-mid', 'gpt-reset-mid',
      'gpt-error-500', 'gpt-bad-json', 'text-embedding-test',
    ],
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === '--port') out.port = Number(next());
    else if (a === '--host') out.host = next();
    else if (a === '--api-key') out.apiKey = next();
    else if (a === '--delay-ms') out.delayMs = Number(next());
    else if (a === '--ollama-version') out.ollamaVersion = next();
    else if (a === '--exit-with-stdin') out.exitWithStdin = true;
    else if (a === '--models') out.models = next().split(',').map((s) => s.trim()).filter(Boolean);
    else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

const opts = parseArgs(process.argv);

// ---- state --------------------------------------------------------------------------------------
let config = {};
let log = [];
let nextId = 1;
const openSockets = new Set();

function delayMs(model) {
  if (/slow/.test(model)) return 250;
  return typeof config.delay_ms === 'number' ? config.delay_ms : opts.delayMs;
}

// Model lookup: exact, or after dropping a "prefix." (Open WebUI's prefix_id) and ":latest".
function baseName(name) {
  return String(name || '').replace(/:latest$/, '');
}
function findModel(name) {
  const n = baseName(name);
  return opts.models.find((m) => m === n || baseName(m) === n) || null;
}
function ollamaTag(m) {
  return m.includes(':') ? m : `${m}:latest`;
}

function lastUserText(messages) {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] || {};
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.filter((p) => p && p.type === 'text').map((p) => p.text).join(' ');
    }
  }
  return '';
}
function replyText(userText) {
  if (typeof config.text === 'string') return config.text;
  return `Hello! You said: ${userText}`;
}
// " word" pieces, so that concatenating them gives back the text exactly.
function tokens(text) {
  return text.match(/\s*\S+/g) || [text];
}

function embeddingOf(text) {
  const h = crypto.createHash('sha256').update(String(text)).digest();
  const v = [];
  for (let i = 0; i < 8; i++) v.push(Number(((h[i] / 255) * 2 - 1).toFixed(6)));
  return v;
}

// Models named with "bow" get a hashed bag of words instead: 512 dimensions (or N for a name
// ending in "-dN", e.g. "embed-bow-d768" for the rag bench), one per hashed lower-cased word, so
// texts sharing words are near each other (cosine), as real embeddings are.
function bagOfWords(text, dims) {
  const v = new Array(dims).fill(0);
  for (const w of String(text).toLowerCase().match(/[a-z0-9]+/g) || []) {
    v[crypto.createHash('sha256').update(w).digest().readUInt16BE(0) % dims] += 1;
  }
  return v;
}
function vectorFor(model, text) {
  const dims = /-d(\d+)$/.exec(String(model));
  return /bow/.test(String(model)) ? bagOfWords(text, dims ? Math.min(4096, Number(dims[1])) : 512)
    : embeddingOf(text);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- request bookkeeping --------------------------------------------------------------------------
function record(req, body) {
  let json = null;
  try {
    json = body.length ? JSON.parse(body) : null;
  } catch (e) {
    json = null;
  }
  const entry = {
    id: nextId++,
    method: req.method,
    path: req.url.split('?')[0],
    query: req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '',
    headers: req.headers,
    body: body.length > 65536 ? body.slice(0, 65536) : body,
    model: json && typeof json === 'object' ? json.model || json.name || null : null,
    status: null,
    t_received: Date.now(),
    t_closed: null,
    completed: false,
    closed_by_client: false,
    reset_by_server: false,
  };
  log.push(entry);
  return { entry, json };
}

function track(entry, res) {
  res.on('finish', () => {
    entry.completed = true;
  });
  res.on('close', () => {
    entry.t_closed = Date.now();
    if (!entry.completed && !entry.reset_by_server) entry.closed_by_client = true;
  });
}

function send(res, entry, status, obj, type = 'application/json') {
  entry.status = status;
  const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// Resolves when the client goes away (or after `limitMs`), for the hang behaviours.
function waitForClose(res, limitMs = 120000) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, limitMs);
    res.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function gone(res) {
  return res.destroyed || res.writableEnded;
}

// Resets after a pause, so what was written before has left the socket buffer.
async function resetConnection(res, entry) {
  await sleep(50);
  entry.reset_by_server = true;
  const s = res.socket;
  if (s && typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else if (s) s.destroy();
}

function errorStatus(model) {
  const m = /error-(\d{3})/.exec(model || '');
  return m ? Number(m[1]) : 0;
}

// ---- OpenAI ---------------------------------------------------------------------------------------
function openaiError(res, entry, status, message, type, code) {
  send(res, entry, status, { error: { message, type, param: null, code: code || null } });
}

function openaiModels(res, entry) {
  send(res, entry, 200, {
    object: 'list',
    data: opts.models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'test-upstream' })),
  });
}

async function openaiChat(req, res, entry, body) {
  const model = String((body && body.model) || '');
  if (!findModel(model)) {
    return openaiError(res, entry, 404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'invalid_request_error', 'model_not_found');
  }
  const status = errorStatus(model);
  if (status) {
    return openaiError(res, entry, status, `Simulated upstream failure (${status})`, 'server_error',
      'simulated');
  }
  if (/hang-headers/.test(model)) return waitForClose(res);
  if (/deep-json/.test(model)) {
    const deep = `${'['.repeat(20000)}${']'.repeat(20000)}`;
    const choice = body.stream
      ? '{"index":0,"delta":{"content":"deep"},"finish_reason":null}'
      : '{"index":0,"message":{"role":"assistant","content":"deep"},"finish_reason":"stop"}';
    const text = `{"id":"chatcmpl-deep","object":"chat.completion","model":"${model}",` +
      `"choices":[${choice}],"deep":${deep}}`;
    if (!body.stream) return send(res, entry, 200, text);
    entry.status = 200;
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.end(`data: ${text}\n\ndata: [DONE]\n\n`);
    return undefined;
  }

  const text = replyText(lastUserText(body.messages));
  const id = `chatcmpl-test${entry.id}`;
  const created = Math.floor(Date.now() / 1000);
  const toks = tokens(text);
  const usage = { prompt_tokens: 5, completion_tokens: toks.length, total_tokens: 5 + toks.length };

  if (!body.stream) {
    return send(res, entry, 200, {
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' }],
      usage,
    });
  }

  entry.status = 200;
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  const chunk = (delta, finish, extra) => `data: ${JSON.stringify({
    id, object: 'chat.completion.chunk', created, model, system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(extra || {}),
  })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }, null));
  const wait = delayMs(model);
  for (let i = 0; i < toks.length; i++) {
    if (/hang-mid/.test(model) && i === 2) return waitForClose(res);
    if (/reset-mid/.test(model) && i === 3) return resetConnection(res, entry);
    await sleep(wait);
    if (gone(res)) return undefined;
    if (/bad-json/.test(model) && i === 2) res.write('data: {"this is": not json\n\n');
    res.write(chunk({ content: toks[i] }, null));
  }
  await sleep(wait);
  if (gone(res)) return undefined;
  res.write(chunk({}, 'stop'));
  if (body.stream_options && body.stream_options.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
  }
  if (/done-hang/.test(model)) {
    res.write('data: [DONE]\n\n');
    return waitForClose(res);
  }
  res.end('data: [DONE]\n\n');
  return undefined;
}

function openaiEmbeddings(res, entry, body) {
  const model = String((body && body.model) || '');
  if (!findModel(model)) {
    return openaiError(res, entry, 404, `The model \`${model}\` does not exist`, 'invalid_request_error',
      'model_not_found');
  }
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  if (typeof config.embed_delay_ms === 'number' && config.embed_delay_ms > 0) {
    return sleep(config.embed_delay_ms).then(() => openaiEmbeddingsAnswer(res, entry, model, inputs));
  }
  return openaiEmbeddingsAnswer(res, entry, model, inputs);
}

function openaiEmbeddingsAnswer(res, entry, model, inputs) {
  return send(res, entry, 200, {
    object: 'list',
    data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: vectorFor(model, t) })),
    model,
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  });
}

// ---- Ollama ---------------------------------------------------------------------------------------
const ollamaDetails = {
  parent_model: '', format: 'gguf', family: 'llama', families: ['llama'],
  parameter_size: '1B', quantization_level: 'Q4_0',
};
function ollamaModelObj(m) {
  const tag = ollamaTag(m);
  return {
    name: tag,
    model: tag,
    modified_at: '2025-01-01T00:00:00Z',
    size: 1000000,
    digest: crypto.createHash('sha256').update(tag).digest('hex'),
    details: ollamaDetails,
  };
}
function ollamaNotFound(res, entry, model) {
  send(res, entry, 404, { error: `model "${model}" not found, try pulling it first` });
}

async function ollamaStream(req, res, entry, body, kind) {
  const model = String((body && body.model) || '');
  if (!findModel(model)) return ollamaNotFound(res, entry, model);
  const status = errorStatus(model);
  if (status) return send(res, entry, status, { error: `simulated upstream failure (${status})` });
  if (/hang-headers/.test(model)) return waitForClose(res);

  const userText = kind === 'chat' ? lastUserText(body.messages) : String(body.prompt || '');
  const text = replyText(userText);
  const toks = tokens(text);
  const piece = (content, done) => {
    const o = { model, created_at: new Date().toISOString() };
    if (kind === 'chat') o.message = { role: 'assistant', content };
    else o.response = content;
    o.done = done;
    if (done) {
      Object.assign(o, {
        done_reason: 'stop', total_duration: 123456789, load_duration: 1234567, prompt_eval_count: 5,
        prompt_eval_duration: 2345678, eval_count: toks.length, eval_duration: 34567890,
      });
      if (kind === 'generate') o.context = [1, 2, 3];
    }
    return o;
  };
  if (body.stream === false) {
    return send(res, entry, 200, piece(text, true));
  }
  entry.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  const wait = delayMs(model);
  for (let i = 0; i < toks.length; i++) {
    if (/hang-mid/.test(model) && i === 2) return waitForClose(res);
    if (/reset-mid/.test(model) && i === 3) return resetConnection(res, entry);
    await sleep(wait);
    if (gone(res)) return undefined;
    if (/bad-json/.test(model) && i === 2) res.write('{"model": broken\n');
    res.write(`${JSON.stringify(piece(toks[i], false))}\n`);
  }
  await sleep(wait);
  if (gone(res)) return undefined;
  if (/done-hang/.test(model)) {
    res.write(`${JSON.stringify(piece('', true))}\n`);
    return waitForClose(res);
  }
  res.end(`${JSON.stringify(piece('', true))}\n`);
  return undefined;
}

async function ollamaPull(req, res, entry, body) {
  const model = String((body && (body.model || body.name)) || '');
  const digest = `sha256:${crypto.createHash('sha256').update(model).digest('hex')}`;
  const steps = [
    { status: 'pulling manifest' },
    { status: `pulling ${digest.slice(7, 19)}`, digest, total: 3000, completed: 1000 },
    { status: `pulling ${digest.slice(7, 19)}`, digest, total: 3000, completed: 3000 },
    { status: 'verifying sha256 digest' },
    { status: 'writing manifest' },
    { status: 'success' },
  ];
  if (body && body.stream === false) return send(res, entry, 200, { status: 'success' });
  entry.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  for (const s of steps) {
    await sleep(delayMs(model));
    if (gone(res)) return undefined;
    res.write(`${JSON.stringify(s)}\n`);
  }
  if (!opts.models.includes(baseName(model)) && model) opts.models.push(baseName(model));
  res.end();
  return undefined;
}

// ---- dispatch --------------------------------------------------------------------------------------
function authorized(req) {
  if (!opts.apiKey) return true;
  return req.headers.authorization === `Bearer ${opts.apiKey}`;
}

async function handle(req, res, rawBody) {
  const path = req.url.split('?')[0];

  if (path.startsWith('/_test/')) {
    if (path === '/_test/log') return res.end(JSON.stringify({ requests: log }));
    if (path === '/_test/health') return res.end('{"ok":true}');
    if (path === '/_test/reset' && req.method === 'POST') {
      log = [];
      config = {};
      return res.end('{"ok":true}');
    }
    if (path === '/_test/config' && req.method === 'POST') {
      try {
        config = Object.assign(config, JSON.parse(rawBody || '{}'));
      } catch (e) {
        res.statusCode = 400;
        return res.end('{"error":"bad json"}');
      }
      return res.end(JSON.stringify(config));
    }
    res.statusCode = 404;
    return res.end('{"error":"unknown test path"}');
  }

  const { entry, json } = record(req, rawBody);
  track(entry, res);
  const body = json && typeof json === 'object' ? json : {};
  const isOllama = path.startsWith('/api/');

  if (Array.isArray(config.hang_paths) && config.hang_paths.includes(path)) return waitForClose(res);

  if (!authorized(req)) {
    if (isOllama) return send(res, entry, 401, { error: 'unauthorized' });
    return openaiError(res, entry, 401,
      'Incorrect API key provided. You can find your API key in your account settings.',
      'invalid_request_error', 'invalid_api_key');
  }

  // Azure OpenAI: the deployment (model) is in the path, the key in an api-key header.
  const azure = path.match(/^\/openai\/deployments\/([^/]+)\/embeddings$/);
  if (azure && req.method === 'POST') {
    return openaiEmbeddings(res, entry, { ...body, model: decodeURIComponent(azure[1]) });
  }

  const route = `${req.method} ${path}`;
  switch (route) {
    // A reranker (Open WebUI's external reranker): the share of the query's words in each document.
    case 'POST /v1/rerank': {
      const docs = Array.isArray(body.documents) ? body.documents : [];
      const q = new Set(String(body.query || '').toLowerCase().match(/[a-z0-9]+/g) || []);
      const results = docs.map((d, index) => {
        const words = String(d).toLowerCase().match(/[a-z0-9]+/g) || [];
        const hits = words.filter((w) => q.has(w)).length;
        return { index, relevance_score: words.length ? hits / words.length : 0 };
      }).sort((a, b) => b.relevance_score - a.relevance_score);
      return send(res, entry, 200, { results: results.slice(0, body.top_n || results.length) });
    }
    // OpenAI (also Ollama's OpenAI-compatible /v1 endpoints)
    case 'GET /v1/models':
    case 'GET /models':
      return openaiModels(res, entry);
    case 'POST /v1/chat/completions':
    case 'POST /chat/completions':
      return openaiChat(req, res, entry, body);
    case 'POST /v1/embeddings':
    case 'POST /embeddings':
      return openaiEmbeddings(res, entry, body);
    // Ollama
    case 'GET /':
    case 'HEAD /':
      return send(res, entry, 200, 'Ollama is running', 'text/plain');
    case 'GET /api/tags':
      return send(res, entry, 200, { models: opts.models.map(ollamaModelObj) });
    case 'GET /api/version':
      return send(res, entry, 200, { version: opts.ollamaVersion });
    case 'GET /api/ps':
      return send(res, entry, 200, {
        models: opts.models.slice(0, 1).map((m) => ({
          ...ollamaModelObj(m), expires_at: '2030-01-01T00:00:00Z', size_vram: 1000000,
        })),
      });
    case 'POST /api/chat':
      return ollamaStream(req, res, entry, body, 'chat');
    case 'POST /api/generate':
      return ollamaStream(req, res, entry, body, 'generate');
    case 'POST /api/embed': {
      const model = String(body.model || '');
      if (!findModel(model)) return ollamaNotFound(res, entry, model);
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return send(res, entry, 200, {
        model, embeddings: inputs.map((t) => vectorFor(model, t)), total_duration: 1000, load_duration: 100,
        prompt_eval_count: inputs.length,
      });
    }
    case 'POST /api/embeddings': {
      const model = String(body.model || '');
      if (!findModel(model)) return ollamaNotFound(res, entry, model);
      return send(res, entry, 200, { embedding: embeddingOf(body.prompt) });
    }
    case 'POST /api/show': {
      const model = String(body.model || body.name || '');
      if (!findModel(model)) return send(res, entry, 404, { error: `model '${model}' not found` });
      return send(res, entry, 200, {
        modelfile: `FROM ${ollamaTag(baseName(model))}\n`, parameters: 'stop "<|end|>"',
        template: '{{ .Prompt }}', details: ollamaDetails,
        model_info: { 'general.architecture': 'llama', 'general.parameter_count': 1000000000 },
        capabilities: ['completion'], modified_at: '2025-01-01T00:00:00Z',
      });
    }
    case 'POST /api/pull':
      return ollamaPull(req, res, entry, body);
    case 'DELETE /api/delete': {
      const model = String(body.model || body.name || '');
      const found = findModel(model);
      if (!found) return send(res, entry, 404, { error: `model '${model}' not found` });
      opts.models = opts.models.filter((m) => m !== found);
      entry.status = 200;
      res.writeHead(200, { 'Content-Length': 0 });
      return res.end();
    }
    default:
      if (isOllama) return send(res, entry, 404, '404 page not found', 'text/plain');
      return openaiError(res, entry, 404, `Unknown request URL: ${req.method} ${path}`,
        'invalid_request_error', 'unknown_url');
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    Promise.resolve(handle(req, res, Buffer.concat(chunks).toString('utf8'))).catch((e) => {
      process.stderr.write(`upstream: handler error: ${e && e.stack}\n`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end('{"error":"test server bug"}');
      } else {
        res.destroy();
      }
    });
  });
});
server.keepAliveTimeout = 5000;
server.on('connection', (s) => {
  openSockets.add(s);
  s.on('close', () => openSockets.delete(s));
});

server.listen(opts.port, opts.host, () => {
  process.stdout.write(`${server.address().port}\n`);
});

function shutdown() {
  server.close();
  for (const s of openSockets) s.destroy();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// --exit-with-stdin: exit when the parent closes our stdin (a test that crashed must not leave
// this server behind).
if (opts.exitWithStdin) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
