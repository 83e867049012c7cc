// ollama client: a streamed chat through /ollama arrives line by line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ollamaClient, prompt, expectedReply } from '../lib/env.mjs';

test('ollama: streamed chat delivers the full text in several parts', async () => {
  const stream = await ollamaClient().chat({
    model: 'llama-test',
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  let text = '';
  let parts = 0;
  let done = false;
  for await (const part of stream) {
    text += part.message.content;
    parts += 1;
    done = part.done;
  }
  assert.equal(text, expectedReply);
  assert.ok(parts >= 4, `only ${parts} parts`);
  assert.equal(done, true);
});

test('ollama: an upstream reset mid-stream throws while iterating', async () => {
  const stream = await ollamaClient().chat({
    model: 'llama-reset-mid',
    messages: [{ role: 'user', content: 'a b c d e f' }],
    stream: true,
  });
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const part of stream) text += part.message.content;
    })(),
    /connection lost/,
  );
  assert.equal(text, 'Hello! You said:');
});
