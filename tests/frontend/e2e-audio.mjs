// Speech in the web UI, in headless Chromium with a fake microphone (run-e2e.sh with
// E2E_AUDIO=1: the offline engines, espeak-ng for speech and pocketsphinx for dictation):
// "Read Aloud" on an answer fetches MP3 speech and the page plays it; "Voice Input" records a
// clip espeak-ng spoke ("hello world", fed as the microphone) and the transcript lands in the
// chat box.
//   BASE=... MIC_WAV=/path/clip.wav CHROMIUM=/usr/bin/chromium node e2e-audio.mjs
import { bodyHas, open, run, signUpFirstAdmin, step } from './lib.mjs';

await run(
  await open({
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
           `--use-file-for-fake-audio-capture=${process.env.MIC_WAV}`,
           '--autoplay-policy=no-user-gesture-required'],
    context: { permissions: ['microphone'] },
    // The page plays speech through `new Audio(blobUrl)` elements that are never in the DOM:
    // count the ones that really start playing (the MP3 decoded).
    init: () => {
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function () {
        this.addEventListener('playing', () => { window.__playing = (window.__playing || 0) + 1; });
        return play.call(this);
      };
    },
  }),
  async (page) => {
  await signUpFirstAdmin(page);
  await page.click('#chat-input');
  await page.keyboard.type('read this answer aloud');
  await page.keyboard.press('Enter');
  await bodyHas(page, 'Hello! You said: read this answer aloud');
  step('signed up; the answer streamed in');

  const speech = page.waitForResponse((r) => r.url().includes('/api/v1/audio/speech'),
                                      { timeout: 30000 });
  await page.locator('button[aria-label="Read Aloud"]').last().click();
  const answer = await speech;
  // The page reads the body as a blob; Playwright may not keep it, the length header is there.
  const bytes = Number(answer.headers()['content-length'] || 0);
  if (answer.status() !== 200 || !answer.headers()['content-type'].startsWith('audio/mpeg') ||
      bytes < 1000)
    throw new Error(`speech: ${answer.status()} ${answer.headers()['content-type']} ${bytes} B`);
  await page.waitForFunction(() => (window.__playing || 0) > 0, null, { timeout: 15000 });
  step(`"Read Aloud" fetched ${bytes} bytes of MP3 and the page is playing it`);

  const heard = page.waitForResponse((r) => r.url().includes('/api/v1/audio/transcriptions'),
                                     { timeout: 60000 });
  await page.locator('button[aria-label="Voice Input"]').click();
  await page.waitForTimeout(4000);  // the fake microphone loops the clip
  await page.locator('button.bg-indigo-500').last().click();  // confirm the recording
  const transcription = await heard;
  const result = await transcription.json();
  if (transcription.status() !== 200 || typeof result.text !== 'string')
    throw new Error(`transcription: ${transcription.status()} ${JSON.stringify(result)}`);
  if (!/hello|world/i.test(result.text)) throw new Error(`heard "${result.text}"`);
  await page.waitForFunction(() => /hello|world/i.test(document.querySelector('#chat-input')?.innerText ?? ''),
    null, { timeout: 15000 });
  step(`"Voice Input" transcribed the microphone: "${result.text}", now in the chat box`);
  });
