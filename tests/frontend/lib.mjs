// What every frontend run shares: headless Chromium, page-error capture, waiting for text, the
// first-admin sign-up, and the pass/fail report with a screenshot on failure.
import { chromium } from 'playwright-core';

export const BASE = process.env.BASE;
export const step = (m) => console.log(`ok ${m}`);

// `args`: extra Chromium flags; `context`: options of the browser context (e.g. permissions);
// `init`: a script run in every page before its own (see e2e-audio.mjs).
export async function open({ args = [], context = {}, init } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           ...args],
  });
  const ctx = await browser.newContext(context);
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { browser, page, errors };
}

export const bodyHas = (page, text, timeout = 30000) =>
  page.waitForFunction((x) => document.body.innerText.includes(x), text, { timeout });

export async function signUpFirstAdmin(page) {
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/auth/, { timeout: 30000 });
  await page.fill('input[autocomplete="name"]', 'Ada');
  await page.fill('input[type="email"]', 'ada@example.com');
  await page.fill('input[type="password"]', 'correct horse battery');
  await page.click('button[type="submit"]');
  await page.waitForSelector('#chat-input', { timeout: 30000 });
}

// Runs `steps(page)`; a failure prints FAIL, the page errors and a screenshot, and sets exit 1.
export async function run(session, steps) {
  const { browser, page, errors } = session;
  try {
    await steps(page);
    if (errors.length) console.log(`page errors seen: ${errors.join(' | ')}`);
  } catch (e) {
    console.log(`FAIL ${e.message}`);
    if (errors.length) console.log(`page errors: ${errors.join(' | ')}`);
    await page.screenshot({ path: process.env.SHOT || '/tmp/e2e-failure.png' }).catch(() => {});
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
