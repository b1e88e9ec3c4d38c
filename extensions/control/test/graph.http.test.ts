import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension } from './build.js';

interface RunBody {
  id: string;
  status: string;
  output: { items: Array<{ json: Record<string, unknown> }> } | null;
  error?: { message: string; code?: string } | null;
}

const node = (id: string, type: string, parameters: Record<string, unknown> = {}) => ({ id, name: id, type: `mify.control.${type}`, typeVersion: 1, parameters });
const edge = (from: string, to: string) => {
  const [fromNode, fromPort = 'main'] = from.split(':');
  const [toNode, toPort = 'main'] = to.split(':');
  return { from: { node: fromNode!, port: fromPort }, to: { node: toNode!, port: toPort } };
};

/** Control nodes in graphs run by the real executor, over the kernel's HTTP API. */
describe('control nodes in graphs', () => {
  let t: TestKernel;
  let key: string;

  async function call<T>(path: string, json?: unknown): Promise<{ status: number; body: T }> {
    const response = await t.fetch(path, { method: json === undefined ? 'GET' : 'POST', key, ...(json === undefined ? {} : { json }) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function createGraph(name: string, definition: unknown): Promise<string> {
    const { status, body } = await call<{ id: string }>('/api/graphs', { name, definition });
    expect(status, JSON.stringify(body)).toBe(201);
    return body.id;
  }

  async function run(graphId: string, input: Array<Record<string, unknown>>): Promise<RunBody> {
    const { body } = await call<RunBody>(`/api/graphs/${graphId}/runs`, { version: 'draft', wait: true, input: input.map((json) => ({ json })) });
    return body;
  }

  beforeAll(async () => {
    await buildExtension();
    // The repository's extensions/ folder is registered at start, so mify.control is loaded.
    t = await startTestKernel('pglite');
    const owner = await setupOwner(t, { workspace: 'Control' });
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('routes with If and joins the branches with Merge', async () => {
    const graphId = await createGraph('If and merge', {
      nodes: [
        node('adult', 'route-if', { conditions: [{ leftValue: '{{ $json.age }}', type: 'number', operator: 'gte', value: 18 }] }),
        node('join', 'merge', { mode: 'append' }),
      ],
      edges: [edge('adult:true', 'join:input1'), edge('adult:false', 'join:input2')],
    });

    const result = await run(graphId, [{ name: 'kid', age: 9 }, { name: 'ada', age: 36 }, { name: 'teen', age: 15 }, { name: 'bob', age: 40 }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json.name)).toEqual(['ada', 'bob', 'kid', 'teen']);
  });

  it('routes with Switch by a value and combines by key', async () => {
    const graphId = await createGraph('Switch', {
      nodes: [
        node('team', 'route-switch', { mode: 'value', value: '{{ $json.team }}', outputNames: ['people', 'orders'] }),
        node('join', 'merge', { mode: 'combineByKey', key1: 'id', key2: 'personId' }),
      ],
      edges: [edge('team:output0', 'join:input1'), edge('team:output1', 'join:input2')],
    });

    const result = await run(graphId, [
      { team: 'people', id: 1, name: 'Ada' },
      { team: 'orders', personId: 1, total: 12 },
      { team: 'unknown', id: 1 },
      { team: 'people', id: 2, name: 'Bob' },
    ]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json)).toEqual([{ team: 'orders', id: 1, name: 'Ada', personId: 1, total: 12 }]);
  });

  it('loops over items in batches', async () => {
    const graphId = await createGraph('Loop', {
      nodes: [
        node('each', 'loop-map', { batchSize: 2 }),
        node('keep', 'route-if', { conditions: [{ field: 'n', type: 'number', operator: 'notEquals', value: 3 }] }),
        node('after', 'merge', { mode: 'append' }),
      ],
      edges: [edge('each:loop', 'keep'), edge('keep:true', 'each'), edge('each:done', 'after:input1')],
    });

    const result = await run(graphId, [1, 2, 3, 4, 5].map((n) => ({ n })));

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json.n)).toEqual([1, 2, 4, 5]);
    const details = await call<{ steps: Array<{ nodeId: string; status: string }> }>(`/api/runs/${result.id}`);
    expect(details.body.steps.filter((step) => step.nodeId === 'keep' && step.status === 'succeeded')).toHaveLength(3);
  });

  it('runs a sub-workflow and returns its output', async () => {
    const childId = await createGraph('Child', {
      nodes: [node('big', 'route-if', { conditions: [{ field: 'x', type: 'number', operator: 'gt', value: 1 }] }), node('out', 'merge', { mode: 'append' })],
      edges: [edge('big:true', 'out:input1')],
    });
    const parentId = await createGraph('Parent', {
      nodes: [node('call', 'sub-workflow', { graphId: childId, version: 'draft' })],
      edges: [],
    });

    const result = await run(parentId, [{ x: 1 }, { x: 2 }, { x: 3 }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json.x)).toEqual([2, 3]);
  });

  it('fails the run with the parameter and the fix', async () => {
    const graphId = await createGraph('Wrong type', {
      nodes: [node('check', 'route-if', { conditions: [{ field: 'age', type: 'number', operator: 'gt', value: 1 }] })],
      edges: [],
    });

    const result = await run(graphId, [{ age: 'old' }]);

    expect(result.status).toBe('failed');
    expect(result.error!.message).toContain('item 0 has "old" in field "age", which is not a number');
    expect(result.error!.message).toContain('set "looseTypes": true');
  });

  it('rejects a graph whose parameters break the schema', async () => {
    const { status, body } = await call<{ errors: Array<{ path: string; message: string }> }>('/api/graphs', {
      name: 'Bad operator',
      definition: { nodes: [node('check', 'route-if', { conditions: [{ field: 'age', operator: 'biggerThan', value: 1 }] })], edges: [] },
    });

    expect(status).toBe(422);
    expect(body.errors[0]!.path).toBe('$.definition.nodes[0].parameters.conditions[0].operator');
    expect(body.errors[0]!.message).toContain('got "biggerThan"');
  });
});
