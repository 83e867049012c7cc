// Drives a real Open WebUI 0.6.x web frontend, served by webui-host from FRONTEND_BUILD_DIR, in
// headless Chromium: sign up as the first admin, send a message, watch the answer stream in,
// reload the chat, share it, sign out and sign in. Started by run-e2e.sh (which starts the host
// and a test model upstream); needs playwright-core and a Chromium.
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node e2e.mjs
import { BASE, bodyHas, open, run, signUpFirstAdmin, step } from './lib.mjs';

const reply = 'Hello! You said: one two three';

await run(await open(), async (page) => {
  await signUpFirstAdmin(page);
  step('signed up as the first admin; the chat page rendered');

  await page.click('#chat-input');
  await page.keyboard.type('one two three');
  await page.keyboard.press('Enter');
  await page.waitForFunction((t) => document.body.innerText.includes(t), reply, { timeout: 30000 });
  step('the answer streamed in');
  await page.waitForURL(/\/c\//, { timeout: 15000 });
  const chatUrl = page.url();
  await page.waitForTimeout(1500);  // the frontend saves after chat:completion done

  await page.reload();
  await page.waitForFunction((t) => document.body.innerText.includes(t), reply, { timeout: 30000 });
  step(`reloaded ${chatUrl}: the answer is still there`);

  const chatId = chatUrl.split('/c/')[1];
  const shared = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/chats/${id}/share`, {
      method: 'POST', headers: { Authorization: `Bearer ${localStorage.token}` } });
    return r.json();
  }, chatId);
  await page.goto(`${BASE}/s/${shared.id}`);
  await page.waitForFunction((t) => document.body.innerText.includes(t), reply, { timeout: 30000 });
  step('the shared chat opens');

  await page.evaluate(async () => {
    await fetch('/api/v1/auths/signout', { headers: { Authorization: `Bearer ${localStorage.token}` } });
    localStorage.removeItem('token');
  });
  await page.goto(`${BASE}/auth`);
  await page.fill('input[type="email"]', 'ada@example.com');
  await page.fill('input[type="password"]', 'correct horse battery');
  await page.click('button[type="submit"]');
  await page.waitForSelector('#chat-input', { timeout: 30000 });
  step('signed out and signed in again');
});
