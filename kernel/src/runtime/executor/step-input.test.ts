import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { Item } from '../../graphs/model.js';
import { ItemsLimitError } from './errors.js';
import { estimateJsonSize } from './items.js';
import { canonicalJson, hashStepInput, measureStepInput, rememberItemsJson } from './step-input.js';

const limits = { maxItemsPerStep: 100, maxStepInputBytes: 1_000 };
const definition = { type: 'acme.test.pass', typeVersion: 1, parameters: { b: 1, a: [2, { d: 3, c: 4 }] } };
const tooLarge = "input too large: the items that reach node 'Big' are more than 1000 bytes of JSON (MIFY_RUN_MAX_STEP_INPUT_BYTES); split the input with a loop node";

/** Items of about `bytes` bytes of JSON each. */
const itemsOf = (count: number, bytes: number): Item[] => Array.from({ length: count }, (_, index) => ({ json: { index, text: 'x'.repeat(bytes - 30) } }));

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined }], e: { y: null, x: 'x' } })).toBe('{"a":[2,{"d":3}],"b":1,"e":{"x":"x","y":null}}');
  });

  it('matches JSON.stringify for data with sorted keys', () => {
    const value = { a: 'line\nbreak "quoted"', b: [1.5, -0, true, null], c: { d: '\u2028' } };

    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });
});

describe('hashStepInput', () => {
  it('gives the same hash whatever the key order', () => {
    const first = hashStepInput(definition, { main: [{ json: { x: 1, y: 2 } }] }, 'Node', limits);
    const second = hashStepInput({ ...definition, parameters: { a: [2, { c: 4, d: 3 }], b: 1 } }, { main: [{ json: { y: 2, x: 1 } }] }, 'Node', limits);

    expect(second.hash).toBe(first.hash);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the items, the parameters and the port', () => {
    const hashOf = (parameters: Record<string, unknown>, ports: Record<string, Item[]>) => hashStepInput({ ...definition, parameters }, ports, 'Node', limits).hash;
    const base = hashOf(definition.parameters, { main: [{ json: { x: 1 } }] });

    expect(hashOf(definition.parameters, { main: [{ json: { x: 2 } }] })).not.toBe(base);
    expect(hashOf({}, { main: [{ json: { x: 1 } }] })).not.toBe(base);
    expect(hashOf(definition.parameters, { other: [{ json: { x: 1 } }] })).not.toBe(base);
  });

  it('hashes large inputs as one array', () => {
    // Serialised 1,000 items at a time, the digest is still that of the whole array's JSON.
    const items = Array.from({ length: 2_500 }, (_, index) => ({ json: { index } }));
    const itemsDigest = createHash('sha256').update(JSON.stringify(items)).digest('hex');
    const expected = createHash('sha256').update(canonicalJson(definition)).update(`\nmain\n${itemsDigest}`).digest('hex');

    expect(hashStepInput(definition, { main: items }, 'Node', { ...limits, maxStepInputBytes: 1_000_000 }).hash).toBe(expected);
  });

  it('hashes sorted sandbox text as it is', () => {
    const text = '[{"json":{"a":[1,{"b":2,"c":3}],"x":"y"}},{"json":{"1":0,"a":null}}]';
    const items = JSON.parse(text) as Item[];
    rememberItemsJson(items, text);
    const stringify = vi.spyOn(JSON, 'stringify');

    const hashed = hashStepInput(definition, { main: items }, 'Node', limits);
    const serialisedItems = stringify.mock.calls.filter(([value]) => Array.isArray(value));
    stringify.mockRestore();

    expect(serialisedItems).toEqual([]);
    expect(hashed.hash).toBe(hashStepInput(definition, { main: structuredClone(items) }, 'Node', limits).hash);
    expect(hashed.bytes).toBe(2 + 'main'.length + 4 + text.length);
  });

  it('canonicalises unsorted sandbox text', () => {
    for (const text of ['[{"json":{"b":1,"a":2}}]', '[{"json":{"n":{"10":1,"9":2}}}]', '[{"json":{"list":[{"z":1,"y":2}]}}]']) {
      const items = JSON.parse(text) as Item[];
      rememberItemsJson(items, text);

      expect(hashStepInput(definition, { main: items }, 'Node', limits).hash).toBe(hashStepInput(definition, { main: structuredClone(items) }, 'Node', limits).hash);
    }
  });

  it('rejects sandbox text past the limit', () => {
    const text = JSON.stringify(itemsOf(12, 100));
    const items = JSON.parse(text) as Item[];
    rememberItemsJson(items, text);

    expect(() => hashStepInput(definition, { main: items }, 'Big', limits)).toThrow(tooLarge);
  });

  it('measures the input as measureStepInput does', () => {
    const ports = { b: itemsOf(3, 100), a: [{ json: { n: 1.5, flag: true, none: null, list: [1, 'two', { three: 3 }] } }], empty: [] };

    expect(hashStepInput(definition, ports, 'Node', limits).bytes).toBe(measureStepInput(ports, 'Node', limits));
  });

  it('gives the same hash for an items array it hashed before', () => {
    const items = itemsOf(5, 100);
    const first = hashStepInput(definition, { main: items }, 'Node', limits);
    const again = hashStepInput(definition, { main: items }, 'Node', limits);
    const copy = hashStepInput(definition, { main: structuredClone(items) }, 'Node', limits);

    expect(again).toEqual(first);
    expect(copy).toEqual(first);
  });

  it('rehashes an array whose length changed', () => {
    const items = itemsOf(2, 100);
    const before = hashStepInput(definition, { main: items }, 'Node', limits).hash;
    items.push(...itemsOf(1, 100));

    expect(hashStepInput(definition, { main: items }, 'Node', limits).hash).toBe(hashStepInput(definition, { main: structuredClone(items) }, 'Node', limits).hash);
    expect(hashStepInput(definition, { main: items }, 'Node', limits).hash).not.toBe(before);
  });

  it('rejects a remembered array that is now too large beside another port', () => {
    const items = itemsOf(6, 100);
    hashStepInput(definition, { main: items }, 'Big', limits);

    expect(() => hashStepInput(definition, { main: items, other: itemsOf(6, 100) }, 'Big', limits)).toThrow(tooLarge);
  });

  it('stops at the size limit naming the node', () => {
    const attempt = () => hashStepInput(definition, { main: itemsOf(12, 100) }, 'Big', limits);

    expect(attempt).toThrow(ItemsLimitError);
    expect(attempt).toThrow(tooLarge);
  });
});

describe('measureStepInput', () => {
  it('returns the estimate of the whole input', () => {
    const ports = { a: itemsOf(3, 100), b: [], c: itemsOf(1, 50) };

    expect(measureStepInput(ports, 'Node', limits)).toBe(estimateJsonSize(ports, Number.POSITIVE_INFINITY));
  });

  it('rejects fresh items past the limit naming the node', () => {
    const attempt = () => measureStepInput({ main: itemsOf(12, 100) }, 'Big', limits);

    expect(attempt).toThrow(ItemsLimitError);
    expect(attempt).toThrow(tooLarge);
  });

  it('rejects items passed along past the limit', () => {
    const items = itemsOf(6, 100);
    const measured = measureStepInput({ main: items }, 'Small', limits);

    expect(measured).toBeLessThan(1_000);
    expect(() => measureStepInput({ main: items }, 'Big', { ...limits, maxStepInputBytes: measured - 1 })).toThrow(tooLarge.replace('1000 bytes', `${measured - 1} bytes`));
    expect(() => measureStepInput({ a: items, b: items }, 'Big', limits)).toThrow(tooLarge);
  });

  it('measures an array again after its length changed', () => {
    const items = itemsOf(6, 100);
    const before = measureStepInput({ main: items }, 'Node', limits);
    items.push(...itemsOf(6, 100));

    expect(() => measureStepInput({ main: items }, 'Big', limits)).toThrow(tooLarge);
    expect(measureStepInput({ main: items }, 'Node', { ...limits, maxStepInputBytes: 10_000 })).toBeGreaterThan(before);
  });
});
