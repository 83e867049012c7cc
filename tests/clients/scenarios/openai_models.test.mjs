// openai client: list models through /openai.
import test from 'node:test';
import assert from 'node:assert/strict';
import { openaiClient } from '../lib/env.mjs';

test('openai: models.list() returns the upstream models', async () => {
  const ids = [];
  for await (const model of openaiClient().models.list()) ids.push(model.id);
  assert.ok(ids.includes('gpt-test'), `gpt-test missing from ${ids.join(', ')}`);
});
