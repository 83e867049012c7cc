// Driven by socket_bench.sh: connects N idle Socket.IO WebSockets (the Open WebUI frontend's
// client and transport) and samples the host's /proc status while holding them.
'use strict';
const fs = require('fs');
const { io } = require('socket.io-client');

const [base, pid, nArg, holdArg] = process.argv.slice(2);
const N = Number(nArg);
const HOLD_S = Number(holdArg);
const BATCH = 100;

function status() {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)[1]);
  return { threads: num('Threads'), rssKb: num('VmRSS') };
}

function connect() {
  const s = io(base, { path: '/ws/socket.io', transports: ['websocket'], reconnection: false,
                       forceNew: true, timeout: 20000 });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => reject(e));
  });
}

async function connectMany(n) {
  const out = [];
  for (let i = 0; i < n; i += BATCH) {
    const group = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) group.push(connect());
    out.push(...(await Promise.all(group)));
  }
  return out;
}

(async () => {
  const start = status();
  // Warm-up: the HTTP pool grows with concurrent handshakes, not with sockets held.
  (await connectMany(BATCH)).forEach((s) => s.close());
  await new Promise((r) => setTimeout(r, 500));
  const warm = status();
  const t0 = Date.now();
  const sockets = await connectMany(N);
  const took = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  const held = status();
  const samples = [];
  for (let i = 0; i < HOLD_S; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(status());
  }
  const last = samples.length ? samples[samples.length - 1] : held;
  const connected = sockets.filter((s) => s.connected).length;
  const perSocket = ((held.rssKb - warm.rssKb) * 1024) / N;
  console.log(`sockets requested        ${N}`);
  console.log(`sockets connected        ${connected} (in ${took} ms, ${BATCH} handshakes at a time)`);
  console.log(`host threads             ${start.threads} at start, ${warm.threads} after warm-up, ` +
              `${held.threads} holding, ${last.threads} after ${HOLD_S} s idle`);
  console.log(`host RSS                 ${warm.rssKb} kB -> ${held.rssKb} kB holding ` +
              `(${last.rssKb} kB after ${HOLD_S} s)`);
  console.log(`RSS per idle socket      ${perSocket.toFixed(0)} bytes`);
  sockets.forEach((s) => s.close());
  await new Promise((r) => setTimeout(r, 1500));
  const after = status();
  console.log(`after closing all        ${after.threads} threads, ${after.rssKb} kB`);
  process.exit(connected === N ? 0 : 1);
})().catch((e) => {
  console.error('socket_bench failed:', e && e.message ? e.message : e);
  process.exit(1);
});
