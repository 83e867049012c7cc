// ollama client: list models through /ollama.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ollamaClient } from '../lib/env.mjs';

test('ollama: list() returns the upstream models', async () => {
  const { models } = await ollamaClient().list();
  const names = models.map((m) => m.model);
  assert.ok(names.includes('llama-test:latest'), `llama-test:latest missing from ${names.join(', ')}`);
});

test('ollama: version() answers', async () => {
  const { version } = await ollamaClient().version();
  assert.match(version, /^\d+\.\d+\.\d+/);
});
