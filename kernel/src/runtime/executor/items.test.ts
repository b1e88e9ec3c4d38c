import { describe, expect, it } from 'vitest';
import { checkItemCount, estimateJsonSize, itemsWithError, previewPorts } from './items.js';

const limits = { maxItemsPerStep: 3, maxStepInputBytes: 1_000 };

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

  it('counts by its documented rules', () => {
    // Objects 2 + 2, keys json 8, n 5, s 5 and a 5, number 8, string 4, array 4, true 8, null 8.
    expect(estimateJsonSize({ json: { n: 1, s: 'ab', a: [true, null] } }, Number.POSITIVE_INFINITY)).toBe(59);
  });

  it('walks nesting deeper than the call stack', () => {
    let nested: unknown = [];
    for (let depth = 0; depth < 100_000; depth++) nested = [nested];

    expect(estimateJsonSize(nested, Number.POSITIVE_INFINITY)).toBe(100_000 * 3 + 2);
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
