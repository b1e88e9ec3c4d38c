import { describe, expect, it } from 'vitest';
import { ItemsLimitError } from './errors.js';
import { canonicalJson, checkItemCount, estimateJsonSize, hashStepInput, itemsWithError, previewPorts } from './items.js';

const limits = { maxItemsPerStep: 3, maxStepInputBytes: 1_000 };
const definition = { type: 'acme.test.pass', typeVersion: 1, parameters: { b: 1, a: [2, { d: 3, c: 4 }] } };

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
    const base = hashStepInput(definition, { main: [{ json: { x: 1 } }] }, 'Node', limits).hash;

    expect(hashStepInput(definition, { main: [{ json: { x: 2 } }] }, 'Node', limits).hash).not.toBe(base);
    expect(hashStepInput({ ...definition, parameters: {} }, { main: [{ json: { x: 1 } }] }, 'Node', limits).hash).not.toBe(base);
    expect(hashStepInput(definition, { other: [{ json: { x: 1 } }] }, 'Node', limits).hash).not.toBe(base);
  });

  it('stops at the byte limit naming the node', () => {
    const attempt = () => hashStepInput(definition, { main: [{ json: { text: 'x'.repeat(2_000) } }] }, 'Big', limits);

    expect(attempt).toThrow(ItemsLimitError);
    expect(attempt).toThrow("input too large: the items that reach node 'Big' are more than 1000 bytes of JSON (MIFY_RUN_MAX_STEP_INPUT_BYTES); split the input with a loop node");
  });
});

describe('checkItemCount', () => {
  it('counts the items of every port', () => {
    expect(checkItemCount({ a: [{ json: {} }], b: [{ json: {} }, { json: {} }] }, 'Node', limits)).toBe(3);
  });

  it('rejects more items than the limit', () => {
    expect(() => checkItemCount({ main: Array.from({ length: 4 }, () => ({ json: {} })) }, 'Merge', limits)).toThrow(
      "too many items: 4 items reach node 'Merge'; the limit is 3 items per step (MIFY_RUN_MAX_ITEMS_PER_STEP); split the input with a loop node",
    );
  });
});

describe('estimateJsonSize', () => {
  it('estimates near the JSON length', () => {
    const value = { main: [{ json: { name: 'a'.repeat(100), n: 1 } }] };
    const estimate = estimateJsonSize(value, 1_000_000);

    expect(estimate).toBeGreaterThanOrEqual(JSON.stringify(value).length * 0.8);
    expect(estimate).toBeLessThanOrEqual(JSON.stringify(value).length * 1.5);
  });

  it('stops past the bound', () => {
    expect(estimateJsonSize({ items: Array.from({ length: 10_000 }, () => ({ text: 'x'.repeat(100) })) }, 500)).toBe(501);
  });
});

describe('previewPorts', () => {
  it('keeps 20 items per port and cuts long strings and arrays', () => {
    const items = Array.from({ length: 30 }, (_, index) => ({ json: { index, text: 'y'.repeat(5_000), list: Array.from({ length: 150 }, (_, n) => n) } }));
    const preview = previewPorts({ main: items, empty: [] });

    expect(preview.totals).toEqual({ main: 30, empty: 0 });
    expect(preview.ports.main).toHaveLength(20);
    expect(preview.ports.main![0]!.json.text).toBe(`${'y'.repeat(2_048)}…`);
    expect(preview.ports.main![0]!.json.list).toHaveLength(100);
  });
});

describe('itemsWithError', () => {
  const error = { message: 'boom', code: 'extension_threw', nodeName: 'Bad' };

  it('adds the error to each item', () => {
    expect(itemsWithError([{ json: { n: 1 } }], error)).toEqual([{ json: { n: 1, error } }]);
  });

  it('returns one item with the error when there were none', () => {
    expect(itemsWithError([], error)).toEqual([{ json: { error } }]);
  });
});
