/** Pure functions of the extension: SSE parsing, JSON Schema validation, token estimates, prices, and the manifest's provider list. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toGeminiSchema } from '../src/adapters/gemini.js';
import { PROVIDERS, resolveModel } from '../src/catalog.js';
import { parseRetryAfter } from '../src/http.js';
import { validateJson } from '../src/json-schema.js';
import { computeCost, findPrice } from '../src/pricing.js';
import { parseEventStream } from '../src/sse.js';
import { estimateChatTokens, estimateTokens } from '../src/tokens.js';

describe('parseEventStream', () => {
  it('joins data lines and names events', () => {
    const parsed = parseEventStream('event: delta\r\ndata: a\r\ndata: b\r\n\r\n: comment\n\ndata:c\n\n');

    expect(parsed.events).toEqual([{ event: 'delta', data: 'a\nb' }, { event: 'message', data: 'c' }]);
    expect(parsed.unterminated).toBe('');
  });

  it('keeps a cut-off event apart', () => {
    const parsed = parseEventStream('data: 1\n\ndata: {"par');

    expect(parsed.events).toEqual([{ event: 'message', data: '1' }]);
    expect(parsed.unterminated).toBe('data: {"par');
  });
});

describe('validateJson', () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 2 },
      tags: { type: 'array', items: { $ref: '#/$defs/tag' }, maxItems: 2 },
      score: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      kind: { oneOf: [{ const: 'a' }, { const: 'b' }] },
    },
    required: ['name'],
    additionalProperties: false,
    $defs: { tag: { type: 'string', pattern: '^[a-z]+$' } },
  };

  it('accepts a valid value', () => {
    expect(validateJson({ name: 'Ada', tags: ['x'], score: 0.5, kind: 'a' }, schema)).toEqual([]);
  });

  it('lists each problem with its path', () => {
    const problems = validateJson({ name: 'A', tags: ['ok', 'NO', 'z'], score: 1, kind: 'c', extra: true }, schema);

    expect(problems).toContainEqual({ path: '$.name', message: 'expected at least 2 characters, got 1' });
    expect(problems).toContainEqual({ path: '$.tags', message: 'expected at most 2 items, got 3' });
    expect(problems).toContainEqual({ path: '$.tags[1]', message: 'does not match the pattern "^[a-z]+$"' });
    expect(problems).toContainEqual({ path: '$.score', message: 'expected less than 1, got 1' });
    expect(problems).toContainEqual({ path: '$.kind', message: 'matches 0 of the oneOf schemas, expected exactly 1' });
    expect(problems).toContainEqual({ path: '$.extra', message: 'is not allowed (additionalProperties is false)' });
  });

  it('reports a missing property', () => {
    expect(validateJson({}, schema)).toEqual([{ path: '$', message: 'missing required property "name"' }]);
  });
});

describe('estimateTokens', () => {
  it('follows the documented rules', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('Hello, world!')).toBe(6);
    expect(estimateTokens('internationalization')).toBe(5);
    expect(estimateTokens('Привет')).toBe(3);
    expect(estimateTokens('日本語')).toBe(3);
  });

  it('adds message overhead for chats', () => {
    expect(estimateChatTokens([{ content: 'Hi' }, { content: 'Hello' }])).toBe(3 + 4 + 1 + 4 + 2);
  });
});

describe('prices', () => {
  it('matches dated model ids', () => {
    expect(findPrice('openai', 'gpt-4.1-mini-2025-04-14')).toEqual({ inputPerMillion: 0.4, outputPerMillion: 1.6 });
    expect(findPrice('openai', 'gpt-4.1')).toEqual({ inputPerMillion: 2, outputPerMillion: 8 });
    expect(findPrice('anthropic', 'claude-sonnet-4-20250514')).toEqual({ inputPerMillion: 3, outputPerMillion: 15 });
    expect(findPrice('openai', 'gpt-4.10')).toBeUndefined();
  });

  it('unknown model costs nothing', () => {
    expect(computeCost('vllm', 'any', { inputTokens: 10, outputTokens: 10 })).toEqual({ inputUsd: 0, outputUsd: 0, totalUsd: 0, source: 'unknown' });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and dates', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter('1.2')).toBe(2);
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('toGeminiSchema', () => {
  it('keeps the supported subset', () => {
    const converted = toGeminiSchema({ type: 'object', $schema: 'x', properties: { a: { const: 1 }, b: { $ref: '#/definitions/b' } }, additionalProperties: false, definitions: { b: { type: ['integer', 'null'] } } });

    expect(converted).toEqual({ type: 'object', properties: { a: { enum: [1] }, b: { type: 'integer', nullable: true } } });
  });
});

describe('catalog', () => {
  it('manifest lists every provider', () => {
    const manifest = JSON.parse(fs.readFileSync(new URL('../mify.extension.json', import.meta.url), 'utf8')) as { contributes: { providers: Array<{ id: string }> } };

    expect(manifest.contributes.providers.map((provider) => provider.id)).toEqual(PROVIDERS.map((provider) => provider.id));
  });

  it('presets resolve per provider', () => {
    expect(resolveModel('anthropic', { preset: 'accurate', purpose: 'chat' })).toBe('claude-opus-4-20250514');
    expect(resolveModel('gemini', { purpose: 'embed' })).toBe('gemini-embedding-001');
    expect(resolveModel('openai', { model: ' gpt-4o ', purpose: 'chat' })).toBe('gpt-4o');
    expect(() => resolveModel('anthropic', { purpose: 'embed' })).toThrow("Provider 'anthropic' has no default embedding model");
  });
});
