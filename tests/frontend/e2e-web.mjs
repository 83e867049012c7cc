// Web search in the web UI, in headless Chromium (run-e2e.sh with E2E_WEB=1: the host may load
// loopback pages): a stand-in SearXNG and two pages on loopback (served by this script), web
// search turned on through the admin API, "Web Search" toggled in the Integrations menu; the
// answer shows "Searched 2 sites", the page's text reached the model, the citation names the
// page's URL, and after a reload the status history is still there.
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node e2e-web.mjs
import http from 'node:http';
import { bodyHas, open, run, signUpFirstAdmin, step } from './lib.mjs';

const pages = {
  '/llamas': ['text/html', '<html><head><title>Llama wool</title></head><body><p>Llama wool is ' +
    'spun on the shores of Lake Titicaca and dyed with cochineal.</p></body></html>'],
  '/saffron.txt': ['text/plain', 'Saffron is picked by hand from crocus flowers in autumn.'],
};
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const base = `http://127.0.0.1:${server.address().port}`;
  if (url.pathname === '/search') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ results: [
      { url: `${base}/llamas`, title: 'Llamas', content: 'wool', score: 2 },
      { url: `${base}/saffron.txt`, title: 'Saffron', content: 'threads', score: 1 }] }));
    return;
  }
  const page = pages[url.pathname];
  res.writeHead(page ? 200 : 404, { 'Content-Type': page ? page[0] : 'text/plain' });
  res.end(page ? page[1] : 'not here');
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const engine = `http://127.0.0.1:${server.address().port}`;

const api = (page, path, init = {}) => page.evaluate(async ([p, i]) => {
  const r = await fetch(p, { ...i, headers: { ...(i.headers || {}), Authorization: `Bearer ${localStorage.token}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}, [path, init]);

try {
  await run(await open(), async (page) => {
    await signUpFirstAdmin(page);
    step('signed up; the chat page rendered');

    const saved = await api(page, '/api/v1/retrieval/config/update', { method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ web: { ENABLE_WEB_SEARCH: true, WEB_SEARCH_ENGINE: 'searxng',
        SEARXNG_QUERY_URL: `${engine}/search`, WEB_SEARCH_RESULT_COUNT: 2 } }) });
    if (saved.status !== 200) throw new Error(`retrieval config: ${saved.status}`);
    await page.reload();
    await page.waitForSelector('#chat-input', { timeout: 30000 });
    step('web search turned on (Admin Settings > Web Search, through the API)');

    await page.click('#integration-menu-button');
    await page.locator('button:has-text("Web Search")').first().click();
    await page.waitForSelector('button:has-text("Web Search") [role="switch"][data-state="checked"]',
                               { timeout: 10000 });
    await page.mouse.click(640, 600);  // outside the menu: it closes
    step('the Integrations menu offers "Web Search" and it is toggled on');

    await page.click('#chat-input');
    await page.keyboard.type('Where is llama wool spun?');
    await page.keyboard.press('Enter');
    await bodyHas(page, 'Searched 2 sites');
    await bodyHas(page, 'Hello! You said: Where is llama wool spun?');
    step('the status says "Searched 2 sites" and the model answers');

    // run-e2e.sh passes the model upstream (tests/upstream/server.js), which logs what it got.
    const log = await fetch(`${process.env.UPSTREAM}/_test/log`).then((r) => r.json());
    if (!log.requests.some((r) => r.path === '/v1/chat/completions' && r.body.includes('Lake Titicaca')))
      throw new Error("the page's text did not reach the model");
    step("the page's text reached the model");

    await page.locator('button:has-text("Source")').last().click();
    await bodyHas(page, `${engine}/llamas`, 15000);
    step("the citation names the page's URL");
    await page.keyboard.press('Escape');
    await page.waitForURL(/\/c\//, { timeout: 15000 });
    await page.waitForTimeout(1500);
    await page.reload();
    // The status line shows the last status, retrieval's "Querying" (the web pages are searched
    // like the chat's files, after the web search); opened, the history has the web search.
    await bodyHas(page, 'Querying');
    await page.locator('button:has-text("Querying")').last().click();
    await bodyHas(page, 'Searched 2 sites');
    step('after a reload the status history still shows "Searched 2 sites"');
  });
} finally {
  server.close();
}
