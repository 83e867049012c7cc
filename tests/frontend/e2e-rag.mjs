// Documents in the web UI, in headless Chromium (run-e2e.sh with E2E_SCRIPT=tests/frontend/e2e-rag.mjs):
// attach a document in the chat box, ask, the answer streams with "1 Source" and the citation
// names the document; then a knowledge base (made through the API) picked with '#' cites its file.
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node e2e-rag.mjs
import { BASE, bodyHas, open, run, signUpFirstAdmin, step } from './lib.mjs';

const doc = 'Saffron threads are the dried stigmas of the crocus flower. '.repeat(4) +
  'A kilogram of saffron needs about one hundred and fifty thousand flowers.\n';
const api = (page, path, init = {}) => page.evaluate(async ([p, i]) => {
  const r = await fetch(p, { ...i, headers: { ...(i.headers || {}), Authorization: `Bearer ${localStorage.token}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}, [path, init]);

await run(await open(), async (page) => {
  await signUpFirstAdmin(page);
  step('signed up; the chat page rendered');

  await page.setInputFiles('input[type="file"][multiple]', {
    name: 'saffron-notes.txt', mimeType: 'text/plain', buffer: Buffer.from(doc) });
  await bodyHas(page, 'saffron-notes.txt');
  // The chip shows a spinner until the processing status stream says completed.
  await page.waitForFunction(async () => {
    const r = await fetch('/api/v1/files/', { headers: { Authorization: `Bearer ${localStorage.token}` } });
    const files = await r.json();
    return files.length === 1 && files[0].data && files[0].data.status === 'completed';
  }, null, { timeout: 30000, polling: 250 });
  step('the document was uploaded from the chat box and processed');

  await page.click('#chat-input');
  await page.keyboard.type('How many flowers make a kilogram of saffron?');
  await page.keyboard.press('Enter');
  await bodyHas(page, 'Hello! You said: How many flowers');
  await bodyHas(page, '1 Source');
  step('the answer streamed with "1 Source"');
  await page.getByText('1 Source').click();
  await page.getByText('saffron-notes.txt').last().click();
  await bodyHas(page, 'one hundred and fifty thousand flowers', 15000);
  step('the citation opens and shows the document text');
  await page.keyboard.press('Escape');

  const kb = await api(page, '/api/v1/knowledge/create', { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Spices', description: 'notes about spices' }) });
  const files = await api(page, '/api/v1/files/');
  const added = await api(page, `/api/v1/knowledge/${kb.body.id}/file/add`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ file_id: files.body[0].id }) });
  if (added.status !== 200) throw new Error(`knowledge file/add: ${added.status}`);
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#chat-input', { timeout: 30000 });
  await page.click('#chat-input');
  await page.keyboard.type('#Spi');
  await page.getByText('Spices').first().click();
  await page.keyboard.type('What are saffron threads?');
  await page.keyboard.press('Enter');
  await bodyHas(page, 'Hello! You said:');
  await bodyHas(page, '1 Source');
  step("a knowledge base picked with '#' is searched and cited");
});
