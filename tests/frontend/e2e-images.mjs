// Image generation in the web UI, in headless Chromium (run-e2e.sh with E2E_IMAGES=1: the images
// module over plugins/images/tests/images_stub.py as an OpenAI-compatible image server): the
// Integrations menu offers "Image", the toggled message shows the generated image in the chat
// (served from /api/v1/files/<id>/content), and it is still there after a reload.
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node e2e-images.mjs
import { chromium } from 'playwright-core';

const BASE = process.env.BASE;
const step = (m) => console.log(`ok ${m}`);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const bodyHas = (t, timeout = 30000) =>
  page.waitForFunction((x) => document.body.innerText.includes(x), t, { timeout });
const imageShown = () => page.waitForFunction(() => [...document.querySelectorAll('img')].some(
  (i) => i.src.includes('/api/v1/files/') && i.complete && i.naturalWidth > 0), null,
  { timeout: 30000 });
try {
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/auth/, { timeout: 30000 });
  await page.fill('input[autocomplete="name"]', 'Ada');
  await page.fill('input[type="email"]', 'ada@example.com');
  await page.fill('input[type="password"]', 'correct horse battery');
  await page.click('button[type="submit"]');
  await page.waitForSelector('#chat-input', { timeout: 30000 });
  step('signed up; the chat page rendered');

  await page.click('#integration-menu-button');
  await page.locator('button:has-text("Image")').first().click();
  await page.waitForSelector('button:has-text("Image") [role="switch"][data-state="checked"]',
                             { timeout: 10000 });
  await page.mouse.click(640, 600);  // outside the menu: it closes
  step('the Integrations menu offers "Image" and it is toggled on');

  await page.click('#chat-input');
  await page.keyboard.type('a lighthouse at dawn');
  await page.keyboard.press('Enter');
  await imageShown();
  await bodyHas('Hello! You said: a lighthouse at dawn');
  await page.waitForTimeout(1500);
  const answers = await page.evaluate(
    () => document.body.innerText.split('Hello! You said: a lighthouse at dawn').length - 1);
  if (answers !== 1) throw new Error(`the answer is shown ${answers} times`);
  step('the generated image is shown in the answer, then the model answers (once)');
  await page.waitForURL(/\/c\//, { timeout: 15000 });
  await page.waitForTimeout(1500);
  await page.reload();
  await imageShown();
  step('after a reload the image is still on the message');
  if (errors.length) console.log(`page errors seen: ${errors.join(' | ')}`);
} catch (e) {
  console.log(`FAIL ${e.message}`);
  if (errors.length) console.log(`page errors: ${errors.join(' | ')}`);
  await page.screenshot({ path: process.env.SHOT || '/tmp/e2e-failure.png' }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
