// openai client against the chat plugin's /api endpoints (what API clients of Open WebUI use):
// the model list merges both providers, and chat completions reach each provider alike.
import test from 'node:test';
import assert from 'node:assert/strict';
import { openaiClient, prompt, expectedReply } from '../lib/env.mjs';

test('api: /api/models lists the models of both providers', async () => {
  const ids = [];
  for await (const m of openaiClient('/api').models.list()) ids.push(m.id);
  assert.ok(ids.includes('gpt-test'), `gpt-test missing from ${ids}`);
  assert.ok(ids.includes('llama-test'), `llama-test missing from ${ids}`);
});

for (const model of ['gpt-test', 'llama-test']) {
  test(`api: /api/chat/completions with ${model}, not streamed`, async () => {
    const res = await openaiClient('/api').chat.completions.create({
      model,
      messages: [{ role: 'user', content: prompt }],
      stream: false,
    });
    assert.equal(res.choices[0].message.content, expectedReply);
  });

  test(`api: /api/chat/completions with ${model}, streamed chunk by chunk`, async () => {
    const stream = await openaiClient('/api').chat.completions.create({
      model,
      messages: [{ role: 'user', content: prompt }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      chunks += 1;
    }
    assert.equal(text, expectedReply);
    assert.ok(chunks >= 4, `only ${chunks} chunks`);
  });
}

test('api: a provider that drops mid-stream makes the client fail, not return a short answer', async () => {
  const stream = await openaiClient('/api').chat.completions.create({
    model: 'gpt-reset-mid',
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  await assert.rejects(async () => {
    // eslint-disable-next-line no-unused-vars
    for await (const _ of stream) { /* drain */ }
  });
});
