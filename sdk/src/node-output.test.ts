import { describe, expect, it } from 'vitest';

import { ExtensionError } from './errors.js';
import { normalizeNodeOutput, portNames } from './node-output.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof ExtensionError ? error.code : 'not an ExtensionError';
  }
  return undefined;
}

describe('normalizeNodeOutput', () => {
  const item = { json: { a: 1 } };

  it('sends { items } to the first port', () => {
    expect(normalizeNodeOutput({ items: [item] }, ['main', 'failed'])).toEqual({ main: [item], failed: [] });
  });

  it('keeps items keyed by port', () => {
    expect(normalizeNodeOutput({ false: [item] }, ['true', 'false'])).toEqual({ true: [], false: [item] });
  });

  it('treats items as a port name when a port is named items', () => {
    expect(normalizeNodeOutput({ items: [item] }, ['summary', 'items'])).toEqual({ summary: [], items: [item] });
  });

  it('rejects an undeclared port', () => {
    expect(codeOf(() => normalizeNodeOutput({ other: [item] }, ['main']))).toBe('invalid_output');
  });

  it('rejects a result that is not an object', () => {
    expect(codeOf(() => normalizeNodeOutput([item], ['main']))).toBe('invalid_output');
  });

  it('rejects a port that is not an array', () => {
    expect(codeOf(() => normalizeNodeOutput({ items: item }, ['main']))).toBe('invalid_output');
  });

  it('rejects an item without a json object', () => {
    expect(codeOf(() => normalizeNodeOutput({ items: [{ a: 1 }] }, ['main']))).toBe('invalid_output');
  });
});

describe('portNames', () => {
  it('reads names from strings and objects', () => {
    expect(portNames(['main', { name: 'fallback', required: false }])).toEqual(['main', 'fallback']);
  });
});
