// The web UI's LDAP sign-in, in headless Chromium against a real OpenLDAP directory (started by
// run-e2e.sh with E2E_LDAP=1): the login page opens in LDAP mode (Username, "Authenticate"),
// a wrong password shows an error and keeps the page, alice's directory password signs her in
// (the first account becomes the admin), and the chat works for her. Then "Continue with
// LDAP" toggles back to the e-mail form and forth.
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node e2e-ldap.mjs
import { BASE, bodyHas, open, run, step } from './lib.mjs';

const reply = 'Hello! You said: hi from alice';

await run(await open(), async (page) => {
  await page.goto(`${BASE}/auth`);
  await page.waitForSelector('input#username', { timeout: 30000 });
  await bodyHas(page, 'Authenticate');
  await bodyHas(page, 'Continue with Email');
  step('the first page (no account yet) offers the LDAP form: Username, Authenticate');

  await page.fill('input#username', 'alice');
  await page.fill('input[type="password"]', 'wrong-password');
  await page.click('button[type="submit"]');
  await bodyHas(page, 'LDAP authentication failed', 15000).catch(async () => {
    // The toast text is the server's detail; any error toast and no chat page will do.
    await page.waitForSelector('[data-sonner-toast]', { timeout: 15000 });
  });
  if (await page.$('#chat-input')) throw new Error('a wrong password opened the chat');
  step('a wrong directory password is refused on the page');

  await page.fill('input#username', 'alice');
  await page.fill('input[type="password"]', 'alicepw');
  await page.click('button[type="submit"]');
  await page.waitForSelector('#chat-input', { timeout: 30000 });
  const who = await page.evaluate(async () => {
    const r = await fetch('/api/v1/auths/', { headers: { Authorization: `Bearer ${localStorage.token}` } });
    return r.json();
  });
  if (who.email !== 'alice@example.org' || who.role !== 'admin')
    throw new Error(`signed in as ${JSON.stringify(who)}`);
  step('alice signed in with her directory password (first account: admin)');

  await page.click('#chat-input');
  await page.keyboard.type('hi from alice');
  await page.keyboard.press('Enter');
  await bodyHas(page, reply);
  step('the chat answers alice');

  await page.evaluate(async () => {
    await fetch('/api/v1/auths/signout', { headers: { Authorization: `Bearer ${localStorage.token}` } });
    localStorage.removeItem('token');
  });
  await page.goto(`${BASE}/auth`);
  await page.waitForSelector('input#username', { timeout: 30000 });
  await page.getByText('Continue with Email').click();
  await page.waitForSelector('input[type="email"]', { timeout: 10000 });
  await page.getByText('Continue with LDAP').click();
  await page.waitForSelector('input#username', { timeout: 10000 });
  await page.fill('input#username', 'ALICE');  // login names are case-insensitive
  await page.fill('input[type="password"]', 'alicepw');
  await page.click('button[type="submit"]');
  await page.waitForSelector('#chat-input', { timeout: 30000 });
  step('"Continue with Email" / "Continue with LDAP" toggle, and alice signs in again');
});
