// openai client: a streamed chat completion through /openai arrives chunk by chunk.
import test from 'node:test';
import assert from 'node:assert/strict';
import { openaiClient, prompt, expectedReply } from '../lib/env.mjs';

test('openai: streamed chat completion delivers the full text in several chunks', async () => {
  const stream = await openaiClient().chat.completions.create({
    model: 'gpt-test',
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
