// What every scenario needs: where the host is, who we are, and the clients pointed at it.
// The driver (clients_test.cpp, or you by hand) sets:
//   WEBUI_URL          the host, e.g. http://127.0.0.1:8080            (required)
//   WEBUI_TOKEN        bearer token of a verified user (default "user:1", the test_auth plugin)
//   WEBUI_UPSTREAM_URL the test upstream (tests/upstream/server.js), for its /_test/log
import OpenAI from 'openai';
import { Ollama } from 'ollama';

export const baseUrl = (() => {
  const url = process.env.WEBUI_URL;
  if (!url) throw new Error('WEBUI_URL is not set (the webui-host to test, e.g. http://127.0.0.1:8080)');
  return url.replace(/\/+$/, '');
})();
export const token = process.env.WEBUI_TOKEN || 'user:1';
export const upstreamUrl = process.env.WEBUI_UPSTREAM_URL || '';

// The test upstream answers "Hello! You said: <last user message>", token by token.
export const prompt = 'one two three';
export const expectedReply = `Hello! You said: ${prompt}`;

// `path` is where the OpenAI-compatible API lives on the host: /openai, /ollama/v1, /api ...
export function openaiClient(path = '/openai') {
  return new OpenAI({ baseURL: `${baseUrl}${path}`, apiKey: token, maxRetries: 0, timeout: 30000 });
}

export function ollamaClient() {
  return new Ollama({ host: `${baseUrl}/ollama`, headers: { Authorization: `Bearer ${token}` } });
}

// What the test upstream received (newest last).
export async function upstreamLog() {
  if (!upstreamUrl) return [];
  const res = await fetch(`${upstreamUrl}/_test/log`);
  return (await res.json()).requests;
}
