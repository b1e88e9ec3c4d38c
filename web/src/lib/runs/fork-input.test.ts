import { describe, expect, it } from 'vitest';
import { firstInputPort, parseForkInput, stepKeyOf } from './fork-input';

describe('parseForkInput', () => {
  it('accepts items and plain objects', () => {
    expect(parseForkInput('[{ "json": { "a": 1 } }, { "b": 2 }]')).toEqual({ ok: true, items: [{ json: { a: 1 } }, { json: { b: 2 } }] });
  });

  it('names invalid JSON', () => {
    const parsed = parseForkInput('[{ "a": }]');

    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/^The input is not valid JSON/);
  });

  it('rejects a non-array', () => {
    expect(parseForkInput('{"a":1}')).toEqual({ ok: false, message: 'The input must be a JSON array of items, such as [{ "json": { "text": "hello" } }].' });
  });

  it('names the bad item', () => {
    expect(parseForkInput('[{"a":1}, 3]')).toEqual({ ok: false, message: 'Item 2 must be an object; got 3.' });
    expect(parseForkInput('[{"json": [1]}]')).toMatchObject({ ok: false, message: expect.stringContaining('Item 1 has a "json" field that is not an object') });
  });
});

describe('step helpers', () => {
  it('stepKeyOf joins node and activation', () => {
    expect(stepKeyOf({ nodeId: 'fields', activation: 2 })).toBe('fields:2');
  });

  it('firstInputPort returns the first recorded port', () => {
    const input = { ports: { main: [{ json: { a: 1 } }], extra: [] }, itemCounts: { main: 1, extra: 0 }, truncated: false };

    expect(firstInputPort({ input })).toEqual({ port: 'main', items: [{ json: { a: 1 } }] });
    expect(firstInputPort({ input: null })).toBeNull();
  });
});
