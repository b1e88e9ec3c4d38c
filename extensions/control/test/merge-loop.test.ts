import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension, EXTENSION_FOLDER } from './build.js';

const items = (...values: Array<Record<string, unknown>>) => values.map((json) => ({ json }));
const jsons = (list: Array<{ json: Record<string, unknown> }> | undefined) => (list ?? []).map((item) => item.json);

let harness: TestHarness;

beforeAll(async () => {
  await buildExtension();
  harness = await createTestHarness({ folder: EXTENSION_FOLDER });
});

afterAll(async () => {
  await harness?.close();
});

describe('merge', () => {
  const customers = items({ id: 1, name: 'Ada' }, { id: 2, name: 'Bob' }, { id: 3, name: 'Cy' });
  const orders = items({ customerId: 1, total: 10, name: 'order-a' }, { customerId: 1, total: 20, name: 'order-b' }, { customerId: '2', total: 5 }, { customerId: 9, total: 1 });

  async function merge(parameters: Record<string, unknown>, input1 = customers, input2 = orders) {
    const out = await harness.runNode('mify.control.merge', { items: input1, ports: { input1, input2 }, parameters });
    return jsons(out.main);
  }

  it('appends input 2 after input 1', async () => {
    expect(await merge({ mode: 'append' }, items({ a: 1 }), items({ b: 2 }))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('passes the arrived input in mode first', async () => {
    expect(await merge({ mode: 'first' }, [], items({ b: 2 }))).toEqual([{ b: 2 }]);
  });

  it('combines by key with an inner join', async () => {
    expect(await merge({ mode: 'combineByKey', key1: 'id', key2: 'customerId' })).toEqual([
      { id: 1, name: 'order-a', customerId: 1, total: 10 },
      { id: 1, name: 'order-b', customerId: 1, total: 20 },
    ]);
  });

  it('combines by key with loose keys, a left join and input 1 preferred', async () => {
    expect(await merge({ mode: 'combineByKey', key1: 'id', key2: 'customerId', join: 'left', looseKeys: true, prefer: 'input1' })).toEqual([
      { customerId: 1, total: 10, name: 'Ada', id: 1 },
      { customerId: 1, total: 20, name: 'Ada', id: 1 },
      { customerId: '2', total: 5, id: 2, name: 'Bob' },
      { id: 3, name: 'Cy' },
    ]);
  });

  it('keeps unmatched items of both inputs in an outer join', async () => {
    const out = await merge({ mode: 'combineByKey', key1: 'id', key2: 'customerId', join: 'outer' });
    expect(out.map((json) => json.total ?? json.name)).toEqual([10, 20, 'Bob', 'Cy', 5, 1]);
  });

  it('combines by position', async () => {
    expect(await merge({ mode: 'combineByPosition' }, items({ a: 1 }, { a: 2 }, { a: 3 }), items({ b: 1 }))).toEqual([{ a: 1, b: 1 }]);
    expect(await merge({ mode: 'combineByPosition', includeUnpaired: true }, items({ a: 1 }, { a: 2 }), items({ b: 1 }))).toEqual([{ a: 1, b: 1 }, { a: 2 }]);
  });

  it('combines binary attachments', async () => {
    const input1 = [{ json: { id: 1 }, binary: { a: { mimeType: 'text/plain', data: 'YQ==' } } }];
    const input2 = [{ json: { id: 1 }, binary: { b: { mimeType: 'text/plain', data: 'Yg==' } } }];
    const out = await harness.runNode('mify.control.merge', { items: input1, ports: { input1, input2 }, parameters: { mode: 'combineByPosition' } });
    expect(Object.keys(out.main![0]!.binary ?? {})).toEqual(['a', 'b']);
  });

  it('rejects a missing key and an unknown mode', async () => {
    await expect(merge({ mode: 'combineByKey' })).rejects.toThrow(/parameter "key1" is missing/);
    await expect(merge({ mode: 'zip' })).rejects.toThrow(/parameter "mode" is "zip"\. Use one of "append", "combineByKey", "combineByPosition", "first"/);
  });
});

describe('loop-map', () => {
  // Whole loops, with the executor re-entering the node, are tested in graph.http.test.ts.
  it('rejects a batch size of zero', async () => {
    await expect(harness.runNode('mify.control.loop-map', { items: items({ n: 1 }), parameters: { batchSize: 0 } })).rejects.toThrow(/parameter "batchSize" is 0, below the minimum of 1\. Use a value of at least 1/);
  });
});

describe('sub-workflow', () => {
  it('explains that only the executor runs it', async () => {
    await expect(harness.runNode('mify.control.sub-workflow', { items: items({ n: 1 }), parameters: { graphId: 'g' } })).rejects.toThrow(/only the kernel's executor can do/);
  });
});
