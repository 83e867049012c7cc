// ollama client: a non-streamed chat through /ollama.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ollamaClient, prompt, expectedReply } from '../lib/env.mjs';

test('ollama: chat() returns the whole answer', async () => {
  const res = await ollamaClient().chat({
    model: 'llama-test',
    messages: [{ role: 'user', content: prompt }],
  });
  assert.equal(res.message.content, expectedReply);
  assert.equal(res.done, true);
});

test('ollama: generate() returns the whole answer', async () => {
  const res = await ollamaClient().generate({ model: 'llama-test', prompt });
  assert.equal(res.response, expectedReply);
});
