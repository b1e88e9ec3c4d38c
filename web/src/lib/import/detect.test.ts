import { describe, expect, it } from 'vitest';
import { detectPlatform } from './detect';

describe('detectPlatform', () => {
  it.each([
    ['{"nodes":[],"connections":{}}', 'n8n'],
    ['[{"name":"a","nodes":[],"connections":{}}]', 'n8n'],
    ['app:\n  mode: workflow\nkind: app\nversion: 0.1.2\n', 'dify'],
    ['{"nodes":[{"id":"chatOpenAI_0","type":"customNode"}],"edges":[]}', 'flowise'],
    ['{"Chatflows":[]}', 'flowise'],
    ['{"data":{"nodes":[],"edges":[]},"name":"flow"}', 'langflow'],
    ['{"data":{"node":{"template":{}}},"type":"genericNode"}', 'langflow'],
  ])('recognises %s', (text, platform) => {
    expect(detectPlatform(text)).toBe(platform);
  });

  it.each(['{"name":"hello"}', '{"nodes":[', 'hello world', ''])('returns null for %j', (text) => {
    expect(detectPlatform(text)).toBeNull();
  });
});
