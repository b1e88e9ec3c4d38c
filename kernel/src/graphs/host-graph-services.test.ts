import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_TEST, testEdge as edge, testNode as node } from '../runtime/testing/acme-extension.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** An extension reading graphs and starting runs through ctx.host.graphs and ctx.host.runs. */
describe('graphs and runs host methods', () => {
  let t: TestKernel;
  let key: string;
  let workspaceId: string;
  let graphId: string;

  beforeAll(async () => {
    t = await startTestKernel('pglite');
    const owner = await setupOwner(t);
    workspaceId = owner.workspace.id;
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor' } })).json()) as { key: string }).key;
    await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    await t.kernel.services.extensionHost.install({
      folder: writeIsolateExtension({
        id: 'acme.caller',
        manifest: { permissions: ['graphs:read', 'runs:start', 'runs:read'] },
        code: `export default { nodes: { 'acme.caller.echo': { async execute(ctx, input) {
          const { graphId, key } = input.items[0].json;
          const graph = await ctx.host.call('graphs.get', [graphId]);
          const list = await ctx.host.call('graphs.list', [{ limit: 10 }]);
          const first = await ctx.host.call('runs.start', [graphId, { items: [{ json: { from: 'extension' } }], idempotencyKey: key }]);
          const again = await ctx.host.call('runs.start', [graphId, { idempotencyKey: key }]);
          const read = await ctx.host.call('runs.get', [first.id]);
          return { items: [{ json: { nodes: graph.nodes.length, listed: list.data.length, first: first.id, again: again.id, read: read.id, graphIdOfRun: read.graphId } }] };
        } } } };`,
      }),
    });

    const created = await t.fetch('/api/graphs', { method: 'POST', key, json: { name: 'Target', definition: { nodes: [node('t', 'trigger'), node('p', 'pass')], edges: [edge('t', 'p')] } } });
    graphId = ((await created.json()) as { id: string }).id;
    await t.fetch(`/api/graphs/${graphId}/publish`, { method: 'POST', key });
  });

  afterAll(async () => {
    await t?.close();
  });

  const invoke = (json: Record<string, unknown>, context: { workspaceId: string | null }) =>
    t.kernel.services.extensionHost.invoke('acme.caller', { kind: 'node', name: 'acme.caller.echo', input: { items: [{ json }] } }, context);

  it('reads graphs and starts one run per idempotency key', async () => {
    const output = (await invoke({ graphId, key: 'sync-1' }, { workspaceId })) as { items: Array<{ json: Record<string, unknown> }> };
    const result = output.items[0]!.json;
    const run = await t.kernel.services.runService.waitFor(workspaceId, String(result.first));

    expect(result.nodes).toBe(2);
    expect(result.listed).toBe(1);
    expect(result.again).toBe(result.first);
    expect(result.read).toBe(result.first);
    expect(result.graphIdOfRun).toBe(graphId);
    expect(run.status).toBe('succeeded');
    expect(run.mode).toBe('extension');
  });

  it('hides graphs of other workspaces', async () => {
    const error = await invoke({ graphId, key: 'sync-2' }, { workspaceId: 'ws_other' }).catch((caught: Error) => caught);

    expect((error as Error).message).toMatch(/not found/i);
  });

  it('needs a workspace', async () => {
    const error = await invoke({ graphId, key: 'sync-3' }, { workspaceId: null }).catch((caught: Error) => caught);

    expect((error as Error).message).toContain('outside a workspace');
  });
});
