// Image generation in the web UI, in headless Chromium (run-e2e.sh with E2E_IMAGES=1: the images
// module over plugins/images/tests/images_stub.py as an OpenAI-compatible image server): the
// Integrations menu offers "Image", the toggled message shows the generated image in the chat
// (served from /api/v1/files/<id>/content), and it is still there after a reload.
//   BASE=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node e2e-images.mjs
import { bodyHas, open, run, signUpFirstAdmin, step } from './lib.mjs';

const imageShown = (page) => page.waitForFunction(() => [...document.querySelectorAll('img')].some(
  (i) => i.src.includes('/api/v1/files/') && i.complete && i.naturalWidth > 0), null,
  { timeout: 30000 });

await run(await open(), async (page) => {
  await signUpFirstAdmin(page);
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
  await imageShown(page);
  await bodyHas(page, 'Hello! You said: a lighthouse at dawn');
  await page.waitForTimeout(1500);
  const answers = await page.evaluate(
    () => document.body.innerText.split('Hello! You said: a lighthouse at dawn').length - 1);
  if (answers !== 1) throw new Error(`the answer is shown ${answers} times`);
  step('the generated image is shown in the answer, then the model answers (once)');
  await page.waitForURL(/\/c\//, { timeout: 15000 });
  await page.waitForTimeout(1500);
  await page.reload();
  await imageShown(page);
  step('after a reload the image is still on the message');
});
