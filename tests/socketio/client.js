// Socket.IO scenarios against a running webui-host, with the client the Open WebUI frontend
// uses (socket.io-client 4). Usage: node client.js <scenario>; environment: BASE (http://host:port),
// BASE_B (a second instance, "cross"), HOST_PID ("idle", "shutdown"), IDLE_CLIENTS.
// Prints one line per check and exits non-zero on the first failure.
'use strict';
const fs = require('fs');
const { io } = require('socket.io-client');
const WebSocket = require('ws');

const BASE = process.env.BASE;
const BASE_B = process.env.BASE_B;
const PATHS = ['/ws/socket.io', '/socket.io'];

function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
  console.log('ok ' + msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function connect(opts = {}) {
  const s = io(opts.base || BASE, {
    path: opts.path || '/ws/socket.io',
    transports: opts.transports || ['websocket'],
    auth: opts.token ? { token: opts.token } : {},
    reconnection: false,
    forceNew: true,
    timeout: 10000,
  });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => {
      s.close();
      reject(e);
    });
  });
}

function waitEvent(s, name, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${name}' within ${ms} ms`)), ms);
    s.once(name, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

// Resolves true when `name` does NOT arrive within ms.
function noEvent(s, name, ms = 400) {
  return new Promise((resolve) => {
    const on = () => resolve(false);
    s.once(name, on);
    setTimeout(() => {
      s.off(name, on);
      resolve(true);
    }, ms);
  });
}

async function http(method, path, body, base = BASE) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch (_) {}
  return { status: res.status, text, json, headers: res.headers };
}

const emitTo = (to, event, data, base = BASE) =>
  http('POST', '/api/test/socket/emit', { to, event, data }, base);
const events = async () => (await http('GET', '/api/test/socket/events')).json;
const clearEvents = () => http('POST', '/api/test/socket/events/clear');

async function eventually(fn, ms = 5000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(50);
  }
  return last;
}

function threads(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(status)[1]);
}
function rssKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]);
}

// Connects `n` idle WebSocket clients, a few hundred at a time.
const BATCH = 100;
async function connectMany(n, token) {
  const sockets = [];
  for (let i = 0; i < n; i += BATCH) {
    const group = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++)
      group.push(connect({ token: token ? token(k) : undefined }));
    sockets.push(...(await Promise.all(group)));
  }
  return sockets;
}

const scenarios = {
  // Engine.IO over raw HTTP: open packet, errors, CONNECT by POST, the answer by GET.
  async handshake() {
    for (const path of PATHS) {
      const open = await http('GET', `${path}/?EIO=4&transport=polling&t=x`);
      assert(open.status === 200 && open.text[0] === '0', `${path}: polling open packet`);
      assert(/^text\/plain/.test(open.headers.get('content-type')), `${path}: text/plain`);
      const hs = JSON.parse(open.text.slice(1));
      assert(
        typeof hs.sid === 'string' && hs.upgrades[0] === 'websocket' && hs.pingInterval === 25000 &&
          hs.pingTimeout === 20000 && hs.maxPayload === 1000000,
        `${path}: handshake fields ${open.text}`);
      const q = `${path}/?EIO=4&transport=polling&sid=${hs.sid}`;
      const post = await http('POST', q, '40{"token":"user:h1"}');
      assert(post.status === 200 && post.text === 'ok', `${path}: POST answers ok`);
      const got = await http('GET', q);
      assert(got.text.startsWith('40{"sid":'), `${path}: CONNECT answered ${got.text}`);
      const sioSid = JSON.parse(got.text.slice(2)).sid;
      const two = await http('POST', q, '42["probe:echo",1]\x1e42["probe:echo",2]');
      assert(two.text === 'ok', `${path}: two packets in one payload`);
      const rec = await eventually(async () => {
        const e = (await events()).filter((x) => x.sid === sioSid && x.event === 'probe:echo');
        return e.length === 2 ? e : null;
      });
      assert(rec && rec[0].args[0] === 1 && rec[1].args[0] === 2 && rec[0].caller.id === 'h1',
             `${path}: both events reached the plugin in order, as user h1`);
      await http('POST', q, '1');
    }
    const unknown = await http('GET', '/ws/socket.io/?EIO=4&transport=polling&sid=nope');
    assert(unknown.status === 400 && unknown.json.code === 1 &&
             unknown.json.message === 'Session ID unknown', 'unknown sid: 400 code 1');
    const badTransport = await http('GET', '/ws/socket.io/?EIO=4&transport=flash');
    assert(badTransport.status === 400 && badTransport.json.code === 0, 'bad transport: code 0');
    const v3 = await http('GET', '/socket.io/?EIO=3&transport=polling');
    assert(v3.status === 400 && v3.json.code === 5, 'EIO=3: code 5');
  },

  // socket.io-client on both paths with every transport choice the frontend can make.
  async transports() {
    for (const path of PATHS) {
      for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']]) {
        const s = await connect({ path, transports, token: 'user:t1' });
        if (transports.length === 2 && s.io.engine.transport.name !== 'websocket')
          await waitEvent(s.io.engine, 'upgrade', 5000);
        const expect = transports.length === 2 ? 'websocket' : transports[0];
        assert(s.io.engine.transport.name === expect,
               `${path} ${transports.join('+')}: transport ${s.io.engine.transport.name}`);
        const reply = await s.timeout(5000).emitWithAck('probe:echo', { n: 1 }, 'two');
        assert(reply.echo[0].n === 1 && reply.echo[1] === 'two' && reply.caller.id === 't1',
               `${path} ${transports.join('+')}: event with ack`);
        const got = waitEvent(s, 'chat-events');
        await emitTo(s.id, 'chat-events', { chat_id: 'c', message_id: 'm', data: { type: 'x' } });
        const [ev] = await got;
        assert(ev.chat_id === 'c' && ev.data.type === 'x', `${path} ${transports.join('+')}: emit`);
        s.close();
      }
    }
  },

  // CONNECT auth, anonymous sockets, user-join.
  async auth() {
    const a = await connect({ token: 'user:u1' });
    const who = await a.timeout(5000).emitWithAck('probe:whoami');
    assert(who && who.id === 'u1' && who.role === 'user', 'CONNECT token resolves the caller');
    const anon = await connect({ token: 'garbage' });
    const nobody = await anon.timeout(5000).emitWithAck('probe:whoami');
    assert(nobody === null, 'an invalid token leaves the socket anonymous');
    const joined = await anon.timeout(5000).emitWithAck('user-join', { auth: { token: 'admin:u2' } });
    assert(joined.id === 'u2' && joined.name === 'User u2', 'user-join answers {id, name}');
    const now = await anon.timeout(5000).emitWithAck('probe:whoami');
    assert(now.id === 'u2' && now.role === 'admin', 'user-join signs the socket in');
    const got = waitEvent(anon, 'to-u2');
    await emitTo('user:u2', 'to-u2', { ok: true });
    assert((await got)[0].ok === true, 'user-join joins room user:u2');
    const bad = await a.timeout(5000).emitWithAck('user-join', { auth: { token: 'nope' } });
    assert(bad === undefined, 'user-join with a bad token answers nothing');
    a.close();
    anon.close();
  },

  // Emit to a sid, a user's room and everyone.
  async rooms() {
    const a1 = await connect({ token: 'user:r1' });
    const a2 = await connect({ token: 'user:r1', transports: ['polling'] });
    const b = await connect({ token: 'user:r2' });
    const anon = await connect({});
    const all = [a1, a2, b, anon];
    let waits = [waitEvent(a1, 'room'), waitEvent(a2, 'room')];
    let quiet = [noEvent(b, 'room'), noEvent(anon, 'room')];
    await emitTo('user:r1', 'room', 1);
    await Promise.all(waits);
    assert((await Promise.all(quiet)).every(Boolean), 'room user:r1 reaches both of r1 and only them');
    waits = [waitEvent(b, 'one')];
    quiet = [noEvent(a1, 'one'), noEvent(a2, 'one'), noEvent(anon, 'one')];
    await emitTo(b.id, 'one', 'x');
    await Promise.all(waits);
    assert((await Promise.all(quiet)).every(Boolean), 'a sid reaches that socket only');
    // A list of targets (the chat plugin sends to "<session_id>,user:<id>"): once per socket.
    const onceA1 = new Promise((resolve) => {
      let n = 0;
      a1.on('list', () => n++);
      setTimeout(() => resolve(n), 600);
    });
    waits = [waitEvent(a2, 'list')];
    quiet = [noEvent(b, 'list'), noEvent(anon, 'list')];
    await emitTo(`${a1.id},user:r1`, 'list', 1);
    await Promise.all(waits);
    assert((await onceA1) === 1 && (await Promise.all(quiet)).every(Boolean),
           'a target list reaches each socket once');
    waits = all.map((s) => waitEvent(s, 'everyone'));
    await emitTo('', 'everyone', { n: 3 });
    const got = await Promise.all(waits);
    assert(got.every((g) => g[0].n === 3), 'an empty target reaches every socket');
    const invalid = await http('POST', '/api/test/socket/emit', { to: '', event: 'x', raw: '{bad' });
    assert(invalid.json.status === 3, 'emit with invalid JSON is refused (WH_INVALID)');
    all.forEach((s) => s.close());
  },

  // Client events reach plugin handlers, with the caller and the ack flag.
  async plugin_events() {
    await clearEvents();
    const s = await connect({ token: 'user:p1' });
    s.emit('heartbeat', {});
    s.emit('usage', { action: 'chat', model: 'm', chat_id: 'c1' });
    s.emit('probe:echo', 'no-ack');
    await s.timeout(5000).emitWithAck('user-join', { auth: { token: 'user:p1' } });
    const rec = await eventually(async () => {
      const e = (await events()).filter((x) => x.sid === s.id);
      return e.length >= 4 ? e : null;
    });
    assert(rec, 'four events recorded');
    const by = Object.fromEntries(rec.map((e) => [e.event, e]));
    assert(by.heartbeat && by.heartbeat.caller.id === 'p1', 'heartbeat reaches plugins');
    assert(by.usage && by.usage.args[0].chat_id === 'c1', 'usage reaches plugins with its data');
    assert(by['probe:echo'].ack === false, 'no ack sink when the client asked for none');
    assert(by['user-join'] && by['user-join'].ack === false && by['user-join'].caller.id === 'p1',
           'user-join reaches plugins (the host answers its ack)');
    const sid = s.id;  // socket.io-client forgets its id on disconnect
    s.close();
    const gone = await eventually(async () =>
      (await events()).find((x) => x.sid === sid && x.event === 'disconnect'));
    assert(gone && gone.caller.id === 'p1', 'disconnect reaches plugins');
  },

  // Short ping interval (host: WEBUI_SOCKET_PING_INTERVAL_MS=300, _TIMEOUT_MS=300).
  async pingpong() {
    const clients = [
      await connect({ transports: ['websocket'] }),
      await connect({ transports: ['polling'] }),
    ];
    let pings = 0;
    clients[0].io.engine.on('ping', () => pings++);
    const dropped = clients.map((c) => noEvent(c, 'disconnect', 2500));
    assert((await Promise.all(dropped)).every(Boolean), 'clients that answer pings stay connected');
    assert(pings >= 4, `the server pinged (${pings} pings in 2.5 s)`);
    // A raw Engine.IO client that never answers is closed after pingInterval + pingTimeout.
    const raw = new WebSocket(BASE.replace('http', 'ws') + '/ws/socket.io/?EIO=4&transport=websocket');
    const got = [];
    raw.on('message', (m) => got.push(m.toString()));
    await new Promise((r) => raw.once('open', r));
    raw.send('40');
    const t0 = Date.now();
    await new Promise((r) => raw.once('close', r));
    const took = Date.now() - t0;
    assert(got.includes('2') && took < 3000, `a silent client is closed (${took} ms)`);
    clients.forEach((c) => c.close());
  },

  // Role change and revocation through "webui-host:auth-changed" (host: long auth cache).
  async revocation() {
    const s = await connect({ token: 'admin:v1' });
    const other = await connect({ token: 'admin:v2' });
    let who = await s.timeout(5000).emitWithAck('probe:whoami');
    assert(who.role === 'admin', 'starts as admin');
    await http('POST', '/api/test/auth/role/v1?role=user');
    who = await s.timeout(5000).emitWithAck('probe:whoami');
    assert(who.role === 'user', 'a demotion is seen by the very next event');
    const t0 = Date.now();
    const disc = waitEvent(s, 'disconnect', 5000);
    await http('POST', '/api/test/auth/revoke/v1');
    const [reason] = await disc;
    assert(reason === 'io server disconnect', `revoked socket disconnected by the server (${reason}, ${Date.now() - t0} ms)`);
    const still = await other.timeout(5000).emitWithAck('probe:whoami');
    assert(still.role === 'admin', 'other users keep their sockets');
    // Silent change (no channel message): the long cache keeps the old role...
    await http('POST', '/api/test/auth/role/v2?role=pending&silent=1');
    const cached = await other.timeout(5000).emitWithAck('probe:whoami');
    assert(cached.role === 'admin', 'without a message the cached role stays until the cache expires');
    other.close();
    await http('POST', '/api/test/auth/restore/v1');
    await http('POST', '/api/test/auth/restore/v2');
  },

  // Host with WEBUI_SOCKET_AUTH_CACHE_MS=0: every event re-checks, no message needed.
  async recheck() {
    const s = await connect({ token: 'admin:w1' });
    await http('POST', '/api/test/auth/role/w1?role=user&silent=1');
    const who = await s.timeout(5000).emitWithAck('probe:whoami');
    assert(who.role === 'user', 'each event sees the current role');
    await http('POST', '/api/test/auth/revoke/w1?silent=1');
    const disc = waitEvent(s, 'disconnect', 5000);
    s.emit('probe:whoami');
    const [reason] = await disc;
    assert(reason === 'io server disconnect', 'an event from a revoked user disconnects it');
    const calls = (await http('GET', '/api/test/auth/calls')).json.calls;
    assert(calls >= 3, `the authenticator was asked each time (${calls} calls)`);
    await http('POST', '/api/test/auth/restore/w1');
  },

  // Host with WEBUI_SOCKET_MAX_PAYLOAD=10000.
  async payload() {
    for (const transports of [['websocket'], ['polling']]) {
      const s = await connect({ transports, token: 'user:l1' });
      const ok = await s.timeout(5000).emitWithAck('probe:echo', 'x'.repeat(5000));
      assert(ok.echo[0].length === 5000, `${transports}: 5 kB event accepted`);
      const disc = waitEvent(s, 'disconnect', 5000);
      s.emit('probe:echo', 'y'.repeat(20000));
      const [reason] = await disc;
      assert(/transport/.test(reason), `${transports}: 20 kB event closes the connection (${reason})`);
    }
  },

  // Host with WEBUI_SOCKET_MAX_TOTAL=5 and WEBUI_SOCKET_MAX_PER_USER=2.
  async caps() {
    const mine = [await connect({ token: 'user:c1' }), await connect({ token: 'user:c1' })];
    let refused = null;
    try {
      await connect({ token: 'user:c1' });
    } catch (e) {
      refused = e;
    }
    assert(refused && refused.message === 'Too many connections for this user',
           `third socket of one user refused (${refused && refused.message})`);
    const more = [];
    for (let i = 0; i < 3; i++) more.push(await connect({ token: `user:c${i + 2}` }));
    let full = null;
    try {
      await connect({ token: 'user:c9' });
    } catch (e) {
      full = e;
    }
    assert(full !== null, `sixth socket refused (${full && full.message})`);
    const poll = await http('GET', '/socket.io/?EIO=4&transport=polling');
    assert(poll.status === 503 && poll.json.code === 4, 'polling handshake refused: 503');
    mine[0].close();
    await sleep(300);
    const again = await eventually(async () => {
      try {
        return await connect({ token: 'user:c1' });
      } catch (_) {
        return null;
      }
    });
    assert(again, 'a freed slot can be used again');
    [...mine, ...more, again].forEach((s) => s.close());
  },

  // Host with WEBUI_SOCKET_MAX_TOTAL=40 and the default WEBUI_SOCKET_MAX_ANONYMOUS: anonymous
  // sockets get at most half the slots, so however many an anonymous client opens, signed-in
  // users still get in (the issue: 40 anonymous sockets used to fill a cap of 40).
  async anonymous_cap() {
    const held = [];
    const refused = [];
    for (let i = 0; i < 45; i++) {
      try {
        held.push(await connect({ transports: [i % 3 ? 'websocket' : 'polling'] }));
      } catch (e) {
        refused.push(e.message);
      }
    }
    assert(held.length === 20, `20 of 45 anonymous sockets held (${held.length})`);
    assert(refused.length === 25 && refused.every((m) => m === 'Too many anonymous connections'),
           `the other 25 refused with CONNECT_ERROR (${[...new Set(refused)].join(', ')})`);
    const users = [];
    for (let i = 0; i < 15; i++)
      users.push(await connect({ token: `user:in${i}`, transports: [i % 2 ? 'websocket' : 'polling'] }));
    assert(users.length === 15, '15 signed-in sockets connect while 20 anonymous ones are held');
    const got = users.map((u) => waitEvent(u, 'to-users'));
    await emitTo(users.map((u, i) => `user:in${i}`).join(','), 'to-users', { ok: true });
    assert((await Promise.all(got)).every((g) => g[0].ok === true), 'and every one of them receives events');
    // An anonymous socket that signs in (user-join) frees an anonymous slot.
    const joined = await held[0].timeout(5000).emitWithAck('user-join', { auth: { token: 'user:j1' } });
    assert(joined && joined.id === 'j1', 'user-join on an anonymous socket');
    const again = await connect({});
    assert(again.connected, 'the freed anonymous slot can be used');
    [...held, ...users, again].forEach((s) => s.close());
  },

  // Engine.IO sessions that never send the Socket.IO CONNECT do not hold resources: they are
  // closed after WEBUI_SOCKET_CONNECT_TIMEOUT_MS (default: a few seconds).
  async connect_deadline() {
    const open = await http('GET', '/ws/socket.io/?EIO=4&transport=polling');
    const pollSid = JSON.parse(open.text.slice(1)).sid;
    const raw = new WebSocket(BASE.replace('http', 'ws') + '/ws/socket.io/?EIO=4&transport=websocket');
    const t0 = Date.now();
    await new Promise((r) => raw.once('open', r));
    await new Promise((r) => raw.once('close', r));
    const took = Date.now() - t0;
    assert(took >= 3000 && took < 15000, `a WebSocket that never CONNECTs is closed (${took} ms)`);
    const gone = await eventually(async () => {
      const r = await http('GET', `/ws/socket.io/?EIO=4&transport=polling&sid=${pollSid}`);
      return r.status === 400 && r.json && r.json.code === 1;
    }, 10000);
    assert(gone, 'a polling session never polled and never CONNECTed is gone');
    const ok = await connect({ token: 'user:d1' });
    assert(ok.connected, 'a client that CONNECTs at once is unaffected');
    ok.close();
  },

  // A 75 000-deep JSON array (150 kB, no token) over polling and WebSocket: the packet is refused
  // and the host stays up.
  async deep_json() {
    const deep = '['.repeat(75000) + ']'.repeat(75000);
    const alive = async (what) => {
      let health = null;
      try {
        health = await http('GET', '/health');
      } catch (e) {
        throw new Error(`the host is down after ${what}: ${e.message}`);
      }
      assert(health.status === 200, `the host answers /health after ${what}`);
    };
    const refusedPolling = async (sid, what) => {
      let r;
      try {
        r = await http('GET', `/ws/socket.io/?EIO=4&transport=polling&sid=${sid}`);
      } catch (e) {
        throw new Error(`the host is down after ${what}: ${e.message}`);
      }
      assert(r.status === 400 || /^(1|44)/.test(r.text), `${what} refused (${r.status} ${r.text.slice(0, 40)})`);
    };
    const handshake = async () =>
      JSON.parse((await http('GET', '/ws/socket.io/?EIO=4&transport=polling')).text.slice(1)).sid;
    const post = async (sid, body, what) => {
      try {
        await http('POST', `/ws/socket.io/?EIO=4&transport=polling&sid=${sid}`, body);
      } catch (e) {
        throw new Error(`POST of ${what} failed (host crashed?): ${e.message}`);
      }
    };

    // As the CONNECT payload of a fresh, anonymous polling session.
    let sid = await handshake();
    await post(sid, '40' + deep, 'a deep CONNECT');
    await alive('a deep CONNECT over polling');
    await refusedPolling(sid, 'the deep CONNECT');

    // As an event of an anonymous, connected polling socket.
    sid = await handshake();
    await post(sid, '40', 'CONNECT');
    const connected = await http('GET', `/ws/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    assert(connected.text.startsWith('40{'), 'anonymous polling socket connected');
    await post(sid, `42["probe:echo",${deep}]`, 'a deep event');
    await alive('a deep event over polling');
    await refusedPolling(sid, 'the deep event');

    // Over a WebSocket.
    const ws = new WebSocket(BASE.replace('http', 'ws') + '/ws/socket.io/?EIO=4&transport=websocket');
    const msgs = [];
    ws.on('message', (m) => msgs.push(m.toString()));
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    ws.send('40');
    assert(await eventually(() => msgs.some((m) => m.startsWith('40{'))), 'anonymous WebSocket connected');
    const closed = new Promise((r) => ws.once('close', r));
    ws.send(`42["probe:echo",${deep}]`);
    await Promise.race([closed, sleep(10000)]);
    assert(ws.readyState === WebSocket.CLOSED, 'the deep event over a WebSocket closes that socket');
    await alive('a deep event over a WebSocket');
    const s = await connect({ token: 'user:after' });
    assert(s.connected, 'new clients still connect');
    s.close();
  },

  // Handlers a plugin registered through socket_emitter.v1 stop receiving events while the
  // plugin is disabled, and receive them again once it is enabled.
  async plugin_disable() {
    const admin = { Authorization: 'Bearer admin:root' };
    const toggle = async (what) => {
      const r = await fetch(`${BASE}/api/v1/plugins/socket_probe/${what}`, { method: 'POST', headers: admin });
      assert(r.status === 200, `socket_probe ${what}d (${r.status})`);
    };
    await clearEvents();
    const s = await connect({ token: 'user:pd1' });
    const before = await s.timeout(5000).emitWithAck('probe:echo', 'before');
    assert(before.echo[0] === 'before', 'the enabled plugin answers');
    await toggle('disable');
    let answered = true;
    try {
      await s.timeout(1500).emitWithAck('probe:echo', 'during');
    } catch (_) {
      answered = false;
    }
    assert(!answered, 'the disabled plugin does not answer');
    s.emit('heartbeat', { marker: 'during' });
    s.emit('probe:echo', 'during-no-ack');
    // The host answers user-join itself; events of one socket are handled in order, so once it
    // is answered the two events above have been dispatched (to nobody).
    const joined = await s.timeout(5000).emitWithAck('user-join', { auth: { token: 'user:pd1' } });
    assert(joined && joined.id === 'pd1', 'the host itself still answers');
    await toggle('enable');
    const after = await s.timeout(5000).emitWithAck('probe:echo', 'after');
    assert(after.echo[0] === 'after', 'the re-enabled plugin answers again');
    // Events of one socket are handled in order: by the time "after" was answered, anything sent
    // while the plugin was disabled would have been recorded.
    const seen = (await events())
      .filter((e) => e.sid === s.id && e.event !== 'user-join')
      .map((e) => JSON.stringify(e.args));
    assert(seen.length === 2 && seen[0] === '["before"]' && seen[1] === '["after"]',
           `nothing was recorded while disabled (${seen.join(' ')})`);
    s.close();
  },

  // Raw WebSocket details: fragmented messages, binary frames, control frames.
  async raw_ws() {
    await clearEvents();
    const ws = new WebSocket(BASE.replace('http', 'ws') + '/socket.io/?EIO=4&transport=websocket');
    const msgs = [];
    ws.on('message', (m, isBinary) => msgs.push(isBinary ? '<bin>' : m.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send('40{"token":"user:f1"}');
    const sid = await eventually(() => {
      const m = msgs.find((x) => x.startsWith('40{'));
      return m ? JSON.parse(m.slice(2)).sid : null;
    });
    assert(sid, 'raw client connected');
    ws.send('42["probe:echo","frag', { fin: false });
    ws.send('mented",', { fin: false });
    ws.send('2]', { fin: true });
    const rec = await eventually(async () =>
      (await events()).find((x) => x.sid === sid && x.event === 'probe:echo'));
    assert(rec && rec.args[0] === 'fragmented' && rec.args[1] === 2, 'fragmented message reassembled');
    ws.send(Buffer.from([1, 2, 3]));  // binary: ignored, the connection stays
    const pong = new Promise((r) => ws.once('pong', (d) => r(d.toString())));
    ws.ping('hello');
    assert((await pong) === 'hello', 'websocket ping answered with pong');
    ws.send('42["probe:echo","after-binary"]');
    assert(await eventually(async () =>
      (await events()).find((x) => x.sid === sid && x.args[0] === 'after-binary')),
           'binary frame ignored, connection still usable');
    const closed = new Promise((r) => ws.once('close', (code) => r(code)));
    ws.send('not an engine.io packet');
    assert((await closed) === 1000, 'garbage packet closes the session');
  },

  // Two instances sharing Redis (WEBSOCKET_MANAGER=redis): events cross, and so does revocation.
  async cross() {
    const onA = await connect({ base: BASE, token: 'user:x1' });
    const anonA = await connect({ base: BASE });
    let got = waitEvent(onA, 'from-b');
    await emitTo('user:x1', 'from-b', { via: 'b' }, BASE_B);
    assert((await got)[0].via === 'b', 'room emit on B reaches a socket on A');
    got = waitEvent(onA, 'sid-b');
    await emitTo(onA.id, 'sid-b', 1, BASE_B);
    assert((await got)[0] === 1, 'sid emit on B reaches the socket on A');
    const both = [waitEvent(onA, 'all-b'), waitEvent(anonA, 'all-b')];
    await emitTo('', 'all-b', 2, BASE_B);
    assert((await Promise.all(both)).length === 2, 'broadcast on B reaches every socket on A');
    const onB = await connect({ base: BASE_B, token: 'user:x1' });
    const dupe = noEvent(onB, 'from-a', 600);
    got = waitEvent(onA, 'from-a');
    await emitTo(onA.id, 'from-a', 'once');
    await got;
    assert(await noEvent(onA, 'from-a', 600), 'a local emit is delivered once (not again via Redis)');
    assert(await dupe, 'a sid of A is not matched on B');
    const disc = waitEvent(onA, 'disconnect', 5000);
    await http('POST', '/api/test/auth/revoke/x1', undefined, BASE_B);
    assert((await disc)[0] === 'io server disconnect', 'revocation on B disconnects the socket on A');
    await http('POST', '/api/test/auth/restore/x1', undefined, BASE_B);
    [anonA, onB].forEach((s) => s.close());
  },

  // Host with ENABLE_WEBSOCKET_SUPPORT=false: long-polling only, no upgrade offered.
  async polling_only() {
    const open = await http('GET', '/ws/socket.io/?EIO=4&transport=polling');
    assert(JSON.parse(open.text.slice(1)).upgrades.length === 0, 'no upgrade offered');
    const ws = await http('GET', '/ws/socket.io/?EIO=4&transport=websocket');
    assert(ws.status === 400 && ws.json.code === 0, 'websocket transport refused: 400 code 0');
    const s = await connect({ transports: ['polling', 'websocket'], token: 'user:n1' });
    await sleep(500);
    assert(s.io.engine.transport.name === 'polling', 'the client stays on polling');
    const reply = await s.timeout(5000).emitWithAck('probe:echo', 1);
    assert(reply.echo[0] === 1, 'events and acks work over polling');
    s.close();
  },

  // Thousands of idle WebSockets must not hold threads. Each upgrade passes through an HTTP
  // worker for a moment, so the pool grows with the handshakes in flight (bounded by the batch
  // size, and Poco keeps idle pool threads around), never with the sockets held.
  async idle() {
    const pid = process.env.HOST_PID;
    const n = Number(process.env.IDLE_CLIENTS || 2000);
    const start = threads(pid);
    const rss0 = rssKb(pid);
    const sockets = await connectMany(n, (k) => `user:idle${k % 50}`);
    const peak = threads(pid);
    await sleep(4000);
    const settled = threads(pid);
    const rss1 = rssKb(pid);
    console.log(`idle: ${n} sockets, threads ${start} at start, ${peak} right after connecting ` +
                `(${BATCH} handshakes at a time), ${settled} holding ${n} after 4 s; RSS ${rss0} -> ` +
                `${rss1} kB (${((rss1 - rss0) * 1024 / n).toFixed(0)} B/socket)`);
    assert(sockets.every((s) => s.connected), `${n} sockets connected`);
    assert(peak - start <= BATCH + 16, `threads bounded by handshakes in flight (${start} -> ${peak})`);
    assert(settled - start <= BATCH + 16,
           `idle sockets hold no threads (${start} -> ${settled} for ${n} sockets)`);
    const got = waitEvent(sockets[n - 1], 'wake');
    await emitTo('', 'wake', 1);
    await got;
    assert(true, 'a broadcast still reaches the last socket');
    sockets.forEach((s) => s.close());
  },

  // The host stops (SIGTERM) quickly and every client sees its connection end.
  async shutdown() {
    const pid = Number(process.env.HOST_PID);
    const sockets = [
      ...(await connectMany(50, () => 'user:s1')),
      await connect({ transports: ['polling'] }),
      await connect({ transports: ['polling', 'websocket'], path: '/socket.io' }),
    ];
    const kinds = sockets.map((s) => s.io.engine.transport.name);
    const gone = sockets.map((s, i) =>
      waitEvent(s, 'disconnect', 5000).catch((e) => {
        throw new Error(`client ${i} (${kinds[i]} at SIGTERM, ${s.io.engine.transport.name} ` +
                        `now, engine ${s.io.engine.readyState}): ${e.message}`);
      }));
    const t0 = Date.now();
    process.kill(pid, 'SIGTERM');
    const reasons = await Promise.all(gone);
    console.log(`shutdown: all ${sockets.length} clients disconnected in ${Date.now() - t0} ms (` +
                [...new Set(reasons.map((r) => r[0]))].join(', ') + ')');
    assert(true, 'every client saw the server go away');
  },

  // The chat plugin answering over Socket.IO, as the Open WebUI frontend uses it: the completion
  // request carries the socket id, the answer arrives as `chat-events`, cumulative, ending with
  // done:true; the answer is saved to the chat; stop cancels the upstream.
  async chat() {
    const token = 'user:chat1';
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const api = async (method, path, body) => {
      const res = await fetch(BASE + path, { method, headers: auth, body: body && JSON.stringify(body) });
      return { status: res.status, json: await res.json().catch(() => null) };
    };
    const s = await connect({ token });
    const joined = await s.timeout(5000).emitWithAck('user-join', { auth: { token } });
    assert(joined && joined.id === 'chat1', 'user-join acknowledged');

    const newChat = async () => (await api('POST', '/api/v1/chats/new', {
      chat: { id: '', title: 'New Chat', models: ['gpt-test'], messages: [],
              history: { messages: { u1: { id: 'u1', parentId: null, childrenIds: ['a1'], role: 'user', content: 'one two three' },
                                     a1: { id: 'a1', parentId: 'u1', childrenIds: [], role: 'assistant', content: '' } },
                         currentId: 'a1' } },
    })).json;
    const chat = await newChat();
    assert(chat && chat.id, 'chat created');

    const seen = [];
    let done = null;
    const finished = new Promise((resolve) => {
      s.on('chat-events', (ev) => {
        if (ev.chat_id !== chat.id) return;
        seen.push(ev);
        if (ev.data.type === 'chat:completion' && ev.data.data.done) { done = ev.data.data; resolve(); }
      });
    });
    const r = await api('POST', '/api/chat/completions', {
      model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'one two three' }],
      session_id: s.id, chat_id: chat.id, id: 'a1', model_item: { id: 'gpt-test' },
      background_tasks: { title_generation: false },
    });
    assert(r.status === 200 && r.json.status === true && r.json.task_id, 'the request answers {status, task_id}');
    await Promise.race([finished, sleep(15000)]);
    assert(done !== null, 'a chat:completion with done:true arrived');
    const deltas = seen.filter((e) => e.data.type === 'chat:completion' && !e.data.data.done && e.data.data.content);
    assert(deltas.length >= 3, `the answer streamed in pieces (${deltas.length} deltas)`);
    assert(deltas.every((d, i) => i === 0 || d.data.data.content.startsWith(deltas[i - 1].data.data.content)),
           'content is cumulative');
    assert(done.content === 'Hello! You said: one two three', `final content: ${done.content}`);
    assert(seen.every((e) => e.message_id === 'a1'), 'every event names the message');
    const saved = (await api('GET', `/api/v1/chats/${chat.id}`)).json;
    assert(saved.chat.history.messages.a1.content === 'Hello! You said: one two three',
           'the answer is saved in the chat (a reload shows it)');

    // Stop: a slow answer, stopped after its first piece.
    const chat2 = await newChat();
    let first = null;
    const gotFirst = new Promise((resolve) => {
      s.on('chat-events', (ev) => {
        if (ev.chat_id === chat2.id && ev.data.type === 'chat:completion' && ev.data.data.content && !first) {
          first = ev; resolve();
        }
      });
    });
    const r2 = await api('POST', '/api/chat/completions', {
      model: 'gpt-slow', stream: true, messages: [{ role: 'user', content: 'please take your time' }],
      session_id: s.id, chat_id: chat2.id, id: 'a1', model_item: { id: 'gpt-slow' },
    });
    assert(r2.json.task_id, 'slow task started');
    await Promise.race([gotFirst, sleep(10000)]);
    assert(first !== null, 'the slow answer started');
    const stopped = await api('POST', `/api/tasks/stop/${r2.json.task_id}`);
    assert(stopped.status === 200, 'stop accepted');
    const t0 = Date.now();
    let closed = false;
    while (Date.now() - t0 < 3000 && !closed) {
      const log = await (await fetch(process.env.UPSTREAM + '/_test/log')).json();
      closed = log.requests.some((q) => q.model === 'gpt-slow' && q.closed_by_client);
      if (!closed) await sleep(100);
    }
    assert(closed && Date.now() - t0 < 1500, `the upstream saw the stop within ${Date.now() - t0} ms`);
    const tasks = (await api('GET', `/api/tasks/chat/${chat2.id}`)).json;
    assert(tasks.task_ids.length === 0, 'no task left for that chat');
    s.close();
  },

  // The Open WebUI 0.6 frontend's own sequence (docs: shared/spec/frontend.md §2c) against the
  // real auth, chat and openai plugins: first admin sign-up, app shell, a streamed answer over
  // Socket.IO, save, reload, share, sign out (the socket loses its user), sign in again.
  async frontend_flow() {
    let token = null;
    const api = async (method, path, body, tok = token) => {
      const headers = { 'Content-Type': 'application/json' };
      if (tok) headers.Authorization = `Bearer ${tok}`;
      const res = await fetch(BASE + path, { method, headers, body: body && JSON.stringify(body) });
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch (_) {}
      return { status: res.status, json, text };
    };
    const first = await api('GET', '/api/config');
    assert(first.status === 200 && first.json.onboarding === true, 'first load: /api/config says onboarding');
    assert(first.json.features.enable_websocket === true && first.json.default_locale !== undefined,
           'features.enable_websocket and default_locale present');
    const s = await connect({});  // the frontend opens its socket before anyone signs in
    const up = await api('POST', '/api/v1/auths/signup',
      { name: 'Ada', email: 'ada@example.com', password: 'correct horse battery', profile_image_url: '/user.png' });
    assert(up.status === 200 && up.json.role === 'admin' && up.json.token_type === 'Bearer',
           'the first sign-up is the admin and gets a session');
    token = up.json.token;
    for (const k of ['id', 'email', 'name', 'role', 'profile_image_url', 'token', 'expires_at', 'permissions'])
      assert(k in up.json, `SessionUser has ${k}`);
    const cfg = await api('GET', '/api/config');
    assert(cfg.json.onboarding === undefined || cfg.json.onboarding === false, 'onboarding is over');
    const joined = await s.timeout(5000).emitWithAck('user-join', { auth: { token } });
    assert(joined && joined.id === up.json.id, 'user-join binds the socket to the user');
    for (const path of ['/api/v1/users/user/settings', '/api/models', '/api/v1/configs/banners', '/api/v1/tools/',
      '/api/v1/functions/', '/api/v1/channels/', '/api/v1/folders/', '/api/v1/chats/?page=1',
      '/api/v1/chats/pinned', '/api/v1/chats/all/tags', '/api/v1/auths/']) {
      const r = await api('GET', path);
      assert(r.status === 200, `app shell: GET ${path} → 200`);
    }
    const models = (await api('GET', '/api/models')).json.data.map((m) => m.id);
    assert(models.includes('gpt-test'), 'the admin sees the upstream model');

    const chat = (await api('POST', '/api/v1/chats/new', { chat: {
      id: '', title: 'New Chat', models: ['gpt-test'], params: {}, tags: [], timestamp: Date.now(),
      history: { messages: {
        u1: { id: 'u1', parentId: null, childrenIds: ['a1'], role: 'user', content: 'one two three' },
        a1: { id: 'a1', parentId: 'u1', childrenIds: [], role: 'assistant', content: '', model: 'gpt-test' } },
        currentId: 'a1' },
      messages: [{ id: 'u1', role: 'user', content: 'one two three' }] } })).json;
    assert(chat && chat.id, 'new chat saved');
    let done = null;
    const finished = new Promise((resolve) => {
      s.on('chat-events', (ev) => {
        if (ev.chat_id === chat.id && ev.data.type === 'chat:completion' && ev.data.data.done) {
          done = ev.data.data;
          resolve();
        }
      });
    });
    const started = await api('POST', '/api/chat/completions', {
      stream: true, model: 'gpt-test', messages: [{ role: 'user', content: 'one two three' }], params: {},
      session_id: s.id, chat_id: chat.id, id: 'a1', model_item: { id: 'gpt-test' },
      background_tasks: { title_generation: true, tags_generation: false },
    });
    assert(started.status === 200 && started.json.status === true, 'the completion runs as a task');
    await Promise.race([finished, sleep(15000)]);
    assert(done && done.content === 'Hello! You said: one two three', 'the answer streamed in over the socket');
    const completed = await api('POST', '/api/chat/completed', {
      model: 'gpt-test', chat_id: chat.id, session_id: s.id, id: 'a1',
      messages: [{ id: 'u1', role: 'user', content: 'one two three' },
                 { id: 'a1', role: 'assistant', content: done.content }] });
    assert(completed.status === 200, '/api/chat/completed accepted');
    const reloaded = (await api('GET', `/api/v1/chats/${chat.id}`)).json;
    assert(reloaded.chat.history.messages.a1.content === done.content, 'reload: the answer is in the chat');
    const shared = await api('POST', `/api/v1/chats/${chat.id}/share`);
    // Like upstream, the answer is the shared copy: its id is what the frontend puts in /s/<id>.
    assert(shared.status === 200 && shared.json.id && shared.json.id !== chat.id, 'chat shared');
    const viaShare = await api('GET', `/api/v1/chats/share/${shared.json.id}`);
    assert(viaShare.status === 200, 'the shared chat opens');

    const gone = waitEvent(s, 'disconnect', 5000);
    const out = await api('GET', '/api/v1/auths/signout');
    assert(out.status === 200, 'signed out');
    await gone;
    assert(true, 'signing out took the socket away at once');
    assert((await api('GET', '/api/v1/auths/')).status === 401, 'the old token is refused');
    const back = await api('POST', '/api/v1/auths/signin', { email: 'ada@example.com', password: 'correct horse battery' }, null);
    assert(back.status === 200 && back.json.token, 'signed in again');
    token = back.json.token;
    const chats = (await api('GET', '/api/v1/chats/?page=1')).json;
    assert(chats.some((c) => c.id === chat.id), 'the chat is still listed');
    s.close();
  },
};

(async () => {
  const name = process.argv[2];
  if (!scenarios[name]) {
    console.error('unknown scenario ' + name + '; known: ' + Object.keys(scenarios).join(' '));
    process.exit(2);
  }
  try {
    await scenarios[name]();
    console.log(`PASS ${name}`);
    process.exit(0);
  } catch (e) {
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
})();
