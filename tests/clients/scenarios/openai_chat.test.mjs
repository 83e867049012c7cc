// openai client: a non-streamed chat completion through /openai.
import test from 'node:test';
import assert from 'node:assert/strict';
import { openaiClient, prompt, expectedReply } from '../lib/env.mjs';

test('openai: chat.completions.create() returns the whole answer', async () => {
  const completion = await openaiClient().chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: prompt }],
  });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0].message.content, expectedReply);
  assert.equal(completion.choices[0].finish_reason, 'stop');
});
