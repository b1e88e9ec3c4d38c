import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, itemsJsonDigest, jsonKeysSorted, keysSorted } from './items-digest.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('jsonKeysSorted', () => {
  it.each([
    ['sorted keys at every level', [{ json: { a: [1, { b: 2, c: 3 }], x: 'y' } }, { json: { 1: 0, a: null } }], true],
    ['empty objects, arrays and keys', [{ json: {} }, { json: { '': [], a: [[]] } }], true],
    ['quotes, braces and backslashes inside values', [{ json: { a: '{"z":1,"b":2}', b: 'end\\', c: '"' } }], true],
    ['keys that share a beginning', [{ json: { ab: 1, abc: 2, b: 3 } }], true],
    ['unsorted keys', [{ json: { b: 1, a: 2 } }], false],
    ['unsorted keys deep in an array', [{ json: { list: [{ y: 1 }, { z: 1, y: 2 }] } }], false],
    ['unsorted keys after a nested object', [{ json: { b: { a: 1, z: 2 }, a: 1 } }], false],
    ['integer-like keys in numeric order', [{ json: { n: { 9: 1, 10: 2 } } }], false],
  ])('%s', (_name, items, sorted) => {
    expect(jsonKeysSorted(bytesOf(items))).toBe(sorted);
    expect(keysSorted(JSON.parse(JSON.stringify(items)))).toBe(sorted);
  });

  it('rejects escaped and non-ASCII keys', () => {
    // Sorted both ways, but the bytes cannot show it for these keys.
    expect(jsonKeysSorted(bytesOf([{ json: { 'a"b': 1, c: 2 } }]))).toBe(false);
    expect(jsonKeysSorted(bytesOf([{ json: { a: 1, é: 2 } }]))).toBe(false);
    expect(keysSorted([{ json: { 'a"b': 1, c: 2 } }])).toBe(true);
  });

  it('rejects whitespace and unbalanced text', () => {
    expect(jsonKeysSorted(Buffer.from('[{"json": {"a":1}}]'))).toBe(false);
    expect(jsonKeysSorted(Buffer.from('[{"json":{"a":1}}'))).toBe(false);
    expect(jsonKeysSorted(Buffer.from('[{"json":{"a":"open'))).toBe(false);
  });

  it('agrees with parsed check on random data', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const keys = ['a', 'b', 'ab', 'B', '_', '0', '7', '10', 'a"', 'zé'];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 2 || roll < 0.3) return roll < 0.1 ? null : roll < 0.2 ? 'text "with" {braces}\\' : Math.round(roll * 100);
      if (roll < 0.5) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let index = Math.floor(random() * 4); index > 0; index--) object[keys[Math.floor(random() * keys.length)]!] = value(depth + 1);
      return object;
    };

    for (let round = 0; round < 500; round++) {
      const items = Array.from({ length: 3 }, () => ({ json: value(0) }));
      const parsedSorted = keysSorted(JSON.parse(JSON.stringify(items)));
      const text = JSON.stringify(items);
      const plainKeys = !/[\\é]/.test(text);

      // The bytes never show sorted keys that are not, and for plain keys they always tell.
      if (jsonKeysSorted(bytesOf(items))) expect(parsedSorted).toBe(true);
      if (plainKeys) expect(jsonKeysSorted(bytesOf(items))).toBe(parsedSorted);
      expect(itemsJsonDigest(text)).toBe(sha256(canonicalJson(items)));
    }
  });
});

describe('itemsJsonDigest', () => {
  it('hashes sorted and unsorted text', () => {
    const sorted = JSON.stringify([{ json: { a: 'ä', b: [1, 2] } }]);
    const unsorted = JSON.stringify([{ json: { b: [1, 2], a: 'ä' } }]);

    expect(itemsJsonDigest(sorted)).toBe(sha256(sorted));
    expect(itemsJsonDigest(unsorted)).toBe(sha256(sorted));
  });

  it('throws for invalid JSON', () => {
    expect(() => itemsJsonDigest('[{"json":')).toThrow(SyntaxError);
  });
});
