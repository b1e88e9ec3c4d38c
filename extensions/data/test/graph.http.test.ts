import { createHash } from 'node:crypto';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension } from './build.js';

interface RunBody {
  id: string;
  status: string;
  output: { items: Array<{ json: Record<string, unknown> }> } | null;
  error?: { message: string } | null;
}

const node = (id: string, type: string, parameters: Record<string, unknown> = {}) => ({ id, name: id, type: `mify.data.${type}`, typeVersion: 1, parameters });
const edge = (from: string, to: string) => ({ from: { node: from, port: 'main' }, to: { node: to, port: 'main' } });

/** Data nodes in graphs run by the real executor, over the kernel's HTTP API. */
describe('data nodes in graphs', () => {
  let t: TestKernel;
  let key: string;

  async function runGraph(name: string, definition: unknown, input: Array<Record<string, unknown>>): Promise<RunBody> {
    const created = await t.fetch('/api/graphs', { method: 'POST', key, json: { name, definition } });
    const graph = (await created.json()) as { id: string };
    expect(created.status, JSON.stringify(graph)).toBe(201);
    const response = await t.fetch(`/api/graphs/${graph.id}/runs`, { method: 'POST', key, json: { version: 'draft', wait: true, input: input.map((json) => ({ json })) } });
    return (await response.json()) as RunBody;
  }

  beforeAll(async () => {
    await buildExtension();
    // The repository's extensions/ folder is registered at start, so mify.data is loaded.
    t = await startTestKernel('pglite');
    const owner = await setupOwner(t, { workspace: 'Data' });
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('edits, filters, sorts and aggregates', async () => {
    const result = await runGraph(
      'Pipeline',
      {
        nodes: [
          node('total', 'edit-fields', { operations: [{ op: 'set', path: 'total', value: '{{ $json.price * $json.qty }}', type: 'number' }, { op: 'remove', path: 'qty' }] }),
          node('big', 'filter', { conditions: [{ field: 'total', type: 'number', operator: 'gte', value: 10 }] }),
          node('order', 'sort', { keys: [{ field: 'total', order: 'desc' }] }),
          node('sum', 'aggregate', { groupBy: ['region'], aggregations: [{ operation: 'sum', field: 'total' }, { operation: 'collect', field: 'total', outputField: 'totals' }] }),
        ],
        edges: [edge('total', 'big'), edge('big', 'order'), edge('order', 'sum')],
      },
      [
        { region: 'north', price: 2, qty: 3 },
        { region: 'south', price: 5, qty: 4 },
        { region: 'north', price: 10, qty: 2 },
        { region: 'north', price: 3, qty: 4 },
      ],
    );

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json)).toEqual([
      { region: 'south', sum_total: 20, totals: [20] },
      { region: 'north', sum_total: 32, totals: [20, 12] },
    ]);
  });

  it('runs user code in a graph', async () => {
    const result = await runGraph(
      'Code',
      {
        nodes: [
          node('code', 'code', { mode: 'eachItem', code: 'return { ...$json, words: $json.text.split(" ").length };' }),
          node('hash', 'crypto', { operation: 'hash', field: 'text', algorithm: 'sha256', outputField: 'digest' }),
          node('when', 'date-time', { operation: 'format', field: 'at', format: 'yyyy-MM-dd HH:mm', timezone: 'Asia/Tokyo' }),
        ],
        edges: [edge('code', 'hash'), edge('hash', 'when')],
      },
      [{ text: 'one two three', at: '2024-01-01T00:00:00Z' }],
    );

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items[0]!.json).toEqual({
      text: 'one two three',
      words: 3,
      digest: createHash('sha256').update('one two three').digest('hex'),
      at: '2024-01-01 09:00',
    });
  });

  it('fails the run with the parameter and the fix', async () => {
    const result = await runGraph('Bad zone', { nodes: [node('when', 'date-time', { operation: 'parse', field: 'at', timezone: 'Europe/Atlantis' })], edges: [] }, [{ at: '2024-01-01' }]);

    expect(result.status).toBe('failed');
    expect(result.error!.message).toContain('parameter "timezone" is "Europe/Atlantis", which is not a time zone. Use an IANA name such as Europe/Berlin');
  });

  it('fails the run when user code loops forever', async () => {
    const result = await runGraph('Loop forever', { nodes: [node('code', 'code', { code: 'for (;;) {}', timeoutMs: 200 })], edges: [] }, [{ n: 1 }]);

    expect(result.status).toBe('failed');
    expect(result.error!.message).toContain('parameter "code" failed: The code did not finish within its time limit of 200 ms');
  });
});
