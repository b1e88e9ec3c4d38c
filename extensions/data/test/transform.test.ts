import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension, EXTENSION_FOLDER } from './build.js';

type Json = Record<string, unknown>;
const items = (...values: Json[]) => values.map((json) => ({ json }));

let harness: TestHarness;

async function run(type: string, input: Json[], parameters: Json, port = 'main'): Promise<Json[]> {
  const out = await harness.runNode(`mify.data.${type}`, { items: items(...input), parameters });
  return (out[port] ?? []).map((item) => item.json);
}

beforeAll(async () => {
  await buildExtension();
  harness = await createTestHarness({ folder: EXTENSION_FOLDER });
});

afterAll(async () => {
  await harness?.close();
});

describe('edit-fields', () => {
  it('sets, renames, removes and converts', async () => {
    const out = await run('edit-fields', [{ name: 'Ada', secret: 'x', price: '12.5', tags: ['a', 'b'] }], {
      operations: [
        { op: 'set', path: 'customer.address.city', value: 'Paris' },
        { op: 'set', path: 'price', value: '12.5', type: 'number' },
        { op: 'set', path: 'meta', value: '{"v":1}', type: 'json' },
        { op: 'rename', from: 'name', to: 'customer.name' },
        { op: 'remove', path: 'secret' },
        { op: 'remove', path: 'tags[0]' },
      ],
    });
    expect(out).toEqual([{ customer: { address: { city: 'Paris' }, name: 'Ada' }, price: 12.5, meta: { v: 1 }, tags: ['b'] }]);
  });

  it('keeps only the listed fields', async () => {
    expect(await run('edit-fields', [{ a: 1, b: { c: 2, d: 3 }, e: 4 }], { operations: [{ op: 'keepOnly', paths: ['a', 'b.c'] }] })).toEqual([{ a: 1, b: { c: 2 } }]);
  });

  it('fails on a value that cannot be converted', async () => {
    await expect(run('edit-fields', [{}], { operations: [{ op: 'set', path: 'n', value: 'ten', type: 'number' }] })).rejects.toThrow(/item 0: the value "ten" for "operations\[0\]\.value" cannot be converted to number/);
  });

  it('rejects a prototype path and an unknown operation', async () => {
    await expect(run('edit-fields', [{}], { operations: [{ op: 'set', path: '__proto__.x', value: 1 }] })).rejects.toThrow(/"__proto__" is not allowed/);
    await expect(run('edit-fields', [{}], { operations: [{ op: 'copy', path: 'a' }] })).rejects.toThrow(/parameter "operations\[0\]\.op" is "copy"\. Use one of "set", "rename", "remove", "keepOnly"/);
  });
});

describe('template', () => {
  const person = { name: 'O\'Brien & <Co>', city: 'Zürich', tags: ['a'] };

  it('fills placeholders with per-placeholder escaping', async () => {
    const out = await run('template', [person], { template: '<b>${name}</b> ${city|url} ${tags|none} $${literal}', escape: 'html' });
    expect(out[0]!.text).toBe('<b>O&#39;Brien &amp; &lt;Co&gt;</b> Z%C3%BCrich ["a"] ${literal}');
  });

  it('escapes for JSON and the shell', async () => {
    const json = await run('template', [{ text: 'say "hi"\n' }], { template: '{"message":"${text}"}', escape: 'json', outputField: 'body' });
    expect(JSON.parse(json[0]!.body as string)).toEqual({ message: 'say "hi"\n' });
    const shell = await run('template', [{ file: "it's here.txt" }], { template: 'cat ${file|shell}' });
    expect(shell[0]!.text).toBe(`cat 'it'\\''s here.txt'`);
  });

  it('handles missing fields by the missing setting', async () => {
    expect((await run('template', [{}], { template: 'a${x}b' }))[0]!.text).toBe('ab');
    expect((await run('template', [{}], { template: 'a${x}b', missing: 'keep' }))[0]!.text).toBe('a${x}b');
    await expect(run('template', [{}], { template: 'a${x}b', missing: 'error' })).rejects.toThrow(/item 0 has no field "x" for the placeholder \$\{x\}/);
  });

  it('rejects an unknown escape mode', async () => {
    await expect(run('template', [{ a: 1 }], { template: '${a|xml}' })).rejects.toThrow(/parameter "template" has the placeholder \$\{a\|xml\} with the unknown escape mode "xml"/);
  });
});

describe('json', () => {
  it('parses and stringifies', async () => {
    expect(await run('json', [{ body: '{"a":[1,2]}' }], { operation: 'parse', field: 'body', outputField: 'data' })).toEqual([{ body: '{"a":[1,2]}', data: { a: [1, 2] } }]);
    expect(await run('json', [{ a: { b: 1 } }], { operation: 'stringify', field: 'a', outputField: 'text' })).toEqual([{ a: { b: 1 }, text: '{"b":1}' }]);
    expect((await run('json', [{ a: 1 }], { operation: 'stringify', indent: 2 }))[0]!.json).toBe('{\n  "a": 1\n}');
  });

  it('fails, skips or keeps invalid JSON', async () => {
    await expect(run('json', [{ body: '{oops' }], { operation: 'parse', field: 'body' })).rejects.toThrow(/item 0: field "body" is not valid JSON/);
    expect(await run('json', [{ body: '{oops' }, { body: '1' }], { operation: 'parse', field: 'body', onError: 'skip' })).toEqual([{ body: 1 }]);
    expect((await run('json', [{ body: '{oops' }], { operation: 'parse', field: 'body', onError: 'keep' }))[0]!.jsonError).toBeTypeOf('string');
  });
});

describe('filter', () => {
  it('keeps matching items and discards the rest', async () => {
    const input = [{ n: 1 }, { n: 5 }, { n: 10 }];
    const parameters = { conditions: [{ field: 'n', type: 'number', operator: 'gt', value: 3 }] };
    expect(await run('filter', input, parameters)).toEqual([{ n: 5 }, { n: 10 }]);
    expect(await run('filter', input, parameters, 'discarded')).toEqual([{ n: 1 }]);
  });
});

describe('sort', () => {
  it('sorts by several keys, stable, with nulls last', async () => {
    const input = [{ c: 'b', n: 1 }, { c: 'a', n: 2 }, { c: 'b', n: 3 }, { c: null, n: 4 }, { c: 'a', n: 5 }];
    const out = await run('sort', input, { keys: [{ field: 'c' }, { field: 'n', order: 'desc' }] });
    expect(out.map((json) => json.n)).toEqual([5, 2, 3, 1, 4]);
  });

  it('keeps nulls last when descending', async () => {
    const out = await run('sort', [{ v: 2 }, {}, { v: 9 }], { keys: [{ field: 'v', order: 'desc' }] });
    expect(out.map((json) => json.v ?? null)).toEqual([9, 2, null]);
  });

  it('sorts naturally and by locale', async () => {
    const files = [{ f: 'file10' }, { f: 'file2' }, { f: 'File1' }];
    expect((await run('sort', files, { keys: [{ field: 'f', type: 'natural' }] })).map((json) => json.f)).toEqual(['File1', 'file2', 'file10']);
    const words = [{ w: 'zebra' }, { w: 'äpple' }, { w: 'apple' }];
    expect((await run('sort', words, { keys: [{ field: 'w' }], locale: 'de' })).map((json) => json.w)).toEqual(['apple', 'äpple', 'zebra']);
    expect((await run('sort', words, { keys: [{ field: 'w' }], locale: 'sv' })).map((json) => json.w)).toEqual(['apple', 'zebra', 'äpple']);
  });

  it('sorts numbers given as text and dates', async () => {
    expect((await run('sort', [{ v: '10' }, { v: '9' }], { keys: [{ field: 'v', type: 'number' }] })).map((json) => json.v)).toEqual(['9', '10']);
    expect((await run('sort', [{ d: '2024-02-01' }, { d: '2023-12-31T23:00:00Z' }], { keys: [{ field: 'd', type: 'date' }] })).map((json) => json.d)).toEqual(['2023-12-31T23:00:00Z', '2024-02-01']);
  });

  it('rejects an invalid locale', async () => {
    await expect(run('sort', [{ a: 1 }], { keys: [{ field: 'a' }], locale: 'not a locale!' })).rejects.toThrow(/parameter "locale" is "not a locale!", which is not a locale/);
  });
});

describe('limit', () => {
  it('keeps the first or last items', async () => {
    const input = [{ n: 1 }, { n: 2 }, { n: 3 }];
    expect(await run('limit', input, { maxItems: 2 })).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await run('limit', input, { maxItems: 2, keep: 'last' })).toEqual([{ n: 2 }, { n: 3 }]);
    expect(await run('limit', input, { maxItems: 0 })).toEqual([]);
    await expect(run('limit', input, { maxItems: -1 })).rejects.toThrow(/parameter "maxItems" is -1, below the minimum of 0/);
  });
});

describe('aggregate', () => {
  const sales = [
    { region: 'north', amount: 10, rep: 'ada', day: '2024-01-02' },
    { region: 'south', amount: '5', rep: 'bob', day: '2024-01-01' },
    { region: 'north', amount: 30, rep: 'ada', day: '2024-01-05' },
    { region: 'north', amount: null, rep: 'cy', day: '2024-01-03' },
  ];

  it('groups and aggregates', async () => {
    const out = await run('aggregate', sales, {
      groupBy: ['region'],
      aggregations: [
        { operation: 'count' },
        { operation: 'sum', field: 'amount' },
        { operation: 'avg', field: 'amount', outputField: 'mean' },
        { operation: 'min', field: 'amount' },
        { operation: 'max', field: 'day' },
        { operation: 'countDistinct', field: 'rep' },
        { operation: 'collect', field: 'rep' },
        { operation: 'first', field: 'amount' },
        { operation: 'last', field: 'amount' },
      ],
    });
    expect(out).toEqual([
      { region: 'north', count: 3, sum_amount: 40, mean: 20, min_amount: 10, max_day: '2024-01-05', countDistinct_rep: 2, collect_rep: ['ada', 'ada', 'cy'], first_amount: 10, last_amount: 30 },
      { region: 'south', count: 1, sum_amount: 5, mean: 5, min_amount: 5, max_day: '2024-01-01', countDistinct_rep: 1, collect_rep: ['bob'], first_amount: '5', last_amount: '5' },
    ]);
  });

  it('counts all items as one group by default', async () => {
    expect(await run('aggregate', sales, {})).toEqual([{ count: 4 }]);
  });

  it('fails on a sum over text', async () => {
    await expect(run('aggregate', sales, { aggregations: [{ operation: 'sum', field: 'rep' }] })).rejects.toThrow(/item 0 has "ada" in field "rep", which is not a number/);
  });
});

describe('split-out', () => {
  it('emits one item per element', async () => {
    const out = await run('split-out', [{ order: 7, lines: [{ sku: 'a' }, { sku: 'b' }] }], { field: 'lines', outputField: 'line', indexField: 'position' });
    expect(out).toEqual([
      { order: 7, line: { sku: 'a' }, position: 0 },
      { order: 7, line: { sku: 'b' }, position: 1 },
    ]);
  });

  it('merges object elements and drops empty arrays', async () => {
    const out = await run('split-out', [{ id: 1, lines: [{ sku: 'a' }] }, { id: 2, lines: [] }], { field: 'lines', mergeObjects: true });
    expect(out).toEqual([{ id: 1, sku: 'a' }]);
  });

  it('fails on a field that is not an array', async () => {
    await expect(run('split-out', [{ lines: 'abc' }], { field: 'lines' })).rejects.toThrow(/item 0 has "abc" in field "lines", which is not an array/);
  });
});
