// openai client: upstream failures surface as errors, never as a silently short answer.
import test from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { openaiClient, prompt } from '../lib/env.mjs';

test('openai: an upstream error status becomes an APIError with its message', async () => {
  await assert.rejects(
    openaiClient().chat.completions.create({
      model: 'gpt-error-500',
      messages: [{ role: 'user', content: prompt }],
    }),
    (err) => err instanceof OpenAI.APIError && err.status === 500 &&
      /Simulated upstream failure/.test(err.message),
  );
});

test('openai: an upstream reset mid-stream throws while iterating', async () => {
  const stream = await openaiClient().chat.completions.create({
    model: 'gpt-reset-mid',
    messages: [{ role: 'user', content: 'a b c d e f' }],
    stream: true,
  });
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })(),
    (err) => err instanceof OpenAI.APIError && /connection lost/.test(err.message),
  );
  assert.equal(text, 'Hello! You said:');
});

test('openai: an unknown model is a 404', async () => {
  await assert.rejects(
    openaiClient().chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.NotFoundError,
  );
});
