import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import { ACME_PART, partEdge as edge, partNode as node } from './testing.js';

interface NodeResult {
  nodeId: string;
  status: string;
  dirty: boolean;
  oversized: boolean;
  cached: boolean;
  contentKey: string | null;
  notCacheable: string | null;
  itemCount: number | null;
}
interface CanvasBody {
  runId: string;
  run: { id: string; status: string; mode: string; output: { items: Array<{ json: Record<string, unknown> }> } };
  nodes: NodeResult[];
  cache: { reused: number; stored: number; oversized: number };
}
type GraphDefinition = { nodes: Array<ReturnType<typeof node>>; edges: Array<ReturnType<typeof edge>> };

/** Output cache limit of the test kernel, in bytes: a 10 000-character blob passes it, a plain item does not. */
const MAX_OUTPUT_BYTES = 4_096;

/** Partial execution over real HTTP with real isolate extensions. */
describe.each(databaseBackends)('canvas execute on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let ownerCookie: string;
    let editorKey: string;
    let viewerKey: string;
    let workspaceId: string;

    async function call<T = any>(path: string, init: { method?: string; json?: unknown; key?: string; cookie?: string } = {}): Promise<{ status: number; body: T }> {
      const auth = init.cookie ? { cookie: init.cookie } : { key: init.key ?? editorKey };
      const response = await t.fetch(path, { method: init.method ?? 'GET', ...auth, ...(init.json !== undefined ? { json: init.json } : {}) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    }

    async function createGraph(definition: GraphDefinition): Promise<string> {
      const { status, body } = await call<{ id: string }>('/api/graphs', { method: 'POST', json: { name: 'Partial', definition } });
      expect(status, JSON.stringify(body)).toBe(201);
      return body.id;
    }

    async function canvas(body: Record<string, unknown>): Promise<CanvasBody> {
      const { status, body: result } = await call<CanvasBody>('/api/canvas-execute', { method: 'POST', json: body });
      expect(status, JSON.stringify(result)).toBe(200);
      return result;
    }

    /** Executions counted by the `acme.part` nodes in this workspace, by node id. */
    async function executions(): Promise<Record<string, number>> {
      const rows = await t.kernel.services.db.query<{ key: string; value: number }>("select key, value from extension_kv where extension_id = 'acme.part' and workspace_id = $1", [workspaceId]);
      return Object.fromEntries(rows.map((row) => [row.key.replace(/^runs:/, ''), Number(row.value)]));
    }

    /** Runs `action` and returns how many times each node executed meanwhile. */
    async function countRuns<T>(action: () => Promise<T>): Promise<{ result: T; ran: Record<string, number> }> {
      const before = await executions();
      const result = await action();
      const after = await executions();
      const ran: Record<string, number> = {};
      for (const [id, count] of Object.entries(after)) if (count !== (before[id] ?? 0)) ran[id] = count - (before[id] ?? 0);
      return { result, ran };
    }

    const statuses = (result: CanvasBody) => Object.fromEntries(result.nodes.map((entry) => [entry.nodeId, entry.status]));
    const byId = (result: CanvasBody, id: string) => result.nodes.find((entry) => entry.nodeId === id)!;

    /** Trigger → a → b → c, each a counting node. */
    const chain = (tags: { a?: string; b?: string; c?: string } = {}): GraphDefinition => ({
      nodes: [node('t', 'trigger'), node('a', 'count', { tag: tags.a ?? 'a1' }), node('b', 'count', { tag: tags.b ?? 'b1' }), node('c', 'count', { tag: tags.c ?? 'c1' })],
      edges: [edge('t', 'a'), edge('a', 'b'), edge('b', 'c')],
    });

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_CACHE_MAX_OUTPUT_BYTES: String(MAX_OUTPUT_BYTES) } });
      const owner = await setupOwner(t, { workspace: 'Partial' });
      ownerCookie = owner.cookie;
      workspaceId = owner.workspace.id;
      editorKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: ownerCookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      viewerKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: ownerCookie, json: { name: 'viewer', role: 'viewer' } })).json()) as { key: string }).key;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_PART.id, code: ACME_PART.code, manifest: ACME_PART.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('runs every node first, then reuses deterministic ones', async () => {
      const graphId = await createGraph(chain());

      const first = await countRuns(() => canvas({ graphId }));
      expect(first.ran).toEqual({ a: 1, b: 1, c: 1 });
      expect(statuses(first.result)).toEqual({ t: 'ran', a: 'ran', b: 'ran', c: 'ran' });
      expect(first.result.nodes.map((entry) => entry.cached)).toEqual([false, true, true, true]);
      expect(byId(first.result, 't').notCacheable).toBe('trigger node');
      expect(first.result.run).toMatchObject({ status: 'succeeded', mode: 'partial' });

      const second = await countRuns(() => canvas({ graphId }));
      expect(second.ran).toEqual({});
      expect(statuses(second.result)).toEqual({ t: 'skipped', a: 'reused', b: 'reused', c: 'reused' });
      expect(second.result.cache).toEqual({ reused: 3, stored: 0, oversized: 0 });
      expect(second.result.run.output.items).toEqual(first.result.run.output.items);
      expect(second.result.nodes.map((entry) => entry.contentKey)).toEqual(first.result.nodes.map((entry) => entry.contentKey));
    });

    it('re-runs only the changed downstream node and below', async () => {
      const graphId = await createGraph(chain());
      await canvas({ graphId });

      const { result, ran } = await countRuns(() => canvas({ graphId, graph: chain({ c: 'c2' }) }));

      expect(ran).toEqual({ c: 1 });
      expect(statuses(result)).toEqual({ t: 'skipped', a: 'reused', b: 'reused', c: 'ran' });
      expect(result.run.output.items[0]!.json.trail).toEqual(['a:a1', 'b:b1', 'c:c2']);
    });

    it('re-runs everything below an upstream change', async () => {
      const graphId = await createGraph(chain());
      const before = await canvas({ graphId });

      const { result, ran } = await countRuns(() => canvas({ graphId, graph: chain({ a: 'a2' }) }));

      expect(ran).toEqual({ a: 1, b: 1, c: 1 });
      expect(statuses(result)).toEqual({ t: 'ran', a: 'ran', b: 'ran', c: 'ran' });
      for (const id of ['a', 'b', 'c']) expect(byId(result, id).contentKey, id).not.toBe(byId(before, id).contentKey);
    });

    it('reuses the earlier output when an edit is reverted', async () => {
      const graphId = await createGraph(chain());
      await canvas({ graphId });
      await canvas({ graphId, graph: chain({ b: 'b2' }) });

      const { result, ran } = await countRuns(() => canvas({ graphId, graph: chain() }));

      expect(ran).toEqual({});
      expect(statuses(result)).toEqual({ t: 'skipped', a: 'reused', b: 'reused', c: 'reused' });
    });

    it('changes the keys when the run input changes', async () => {
      const graphId = await createGraph(chain());
      await canvas({ graphId, input: [{ json: { n: 1 } }] });

      const { result, ran } = await countRuns(() => canvas({ graphId, input: [{ json: { n: 2 } }] }));

      expect(ran).toEqual({ a: 1, b: 1, c: 1 });
      expect(result.run.output.items[0]!.json.n).toBe(2);
    });

    it('marks dirty nodes against the live version', async () => {
      const graphId = await createGraph(chain());
      const unpublished = await canvas({ graphId });
      expect(unpublished.nodes.every((entry) => entry.dirty)).toBe(true);

      expect((await call(`/api/graphs/${graphId}/publish`, { method: 'POST' })).status).toBe(201);
      const { result, ran } = await countRuns(() => canvas({ graphId, graph: chain({ b: 'b2' }) }));

      expect(Object.fromEntries(result.nodes.map((entry) => [entry.nodeId, entry.dirty]))).toEqual({ t: false, a: false, b: true, c: true });
      expect(statuses(result)).toEqual({ t: 'skipped', a: 'reused', b: 'ran', c: 'ran' });
      expect(ran).toEqual({ b: 1, c: 1 });
    });

    it('always re-runs a probabilistic node and what it feeds', async () => {
      const graphId = await createGraph({ nodes: [node('t', 'trigger'), node('r', 'random'), node('d', 'count', { tag: 'd' })], edges: [edge('t', 'r'), edge('r', 'd')] });

      const first = await countRuns(() => canvas({ graphId }));
      const second = await countRuns(() => canvas({ graphId }));

      expect(first.ran).toEqual({ r: 1, d: 1 });
      expect(second.ran).toEqual({ r: 1, d: 1 });
      expect(statuses(second.result)).toEqual({ t: 'ran', r: 'ran', d: 'ran' });
      expect(byId(second.result, 'r').notCacheable).toBe('probabilistic node');
      expect(byId(second.result, 'd')).toMatchObject({ contentKey: null, notCacheable: 'input not known before the run' });
      expect(second.result.run.output.items[0]!.json.random).not.toBe(first.result.run.output.items[0]!.json.random);
    });

    it('flags an oversized output and does not cache it', async () => {
      const graphId = await createGraph({
        nodes: [node('t', 'trigger'), node('big', 'count', { blobBytes: 10_000 }), node('small', 'count', { dropBlob: true })],
        edges: [edge('t', 'big'), edge('big', 'small')],
      });

      const first = await canvas({ graphId });
      expect(byId(first, 'big')).toMatchObject({ status: 'ran', oversized: true, cached: false });
      expect(byId(first, 'small')).toMatchObject({ status: 'ran', oversized: false, cached: true });
      expect(first.cache).toMatchObject({ stored: 1, oversized: 1 });

      const again = await countRuns(() => canvas({ graphId, targetNodeId: 'big' }));
      expect(again.ran).toEqual({ big: 1 });
      expect(byId(again.result, 'big')).toMatchObject({ status: 'ran', oversized: true });
      expect(byId(again.result, 'small').status).toBe('skipped');
    });

    it('leaves out nodes that only feed reused ones', async () => {
      const graphId = await createGraph({
        nodes: [node('t', 'trigger'), node('big', 'count', { blobBytes: 10_000 }), node('small', 'count', { dropBlob: true })],
        edges: [edge('t', 'big'), edge('big', 'small')],
      });
      await canvas({ graphId });

      const { result, ran } = await countRuns(() => canvas({ graphId }));

      expect(ran).toEqual({});
      expect(statuses(result)).toEqual({ t: 'skipped', big: 'skipped', small: 'reused' });
    });

    it('runs only what the target node needs', async () => {
      const graphId = await createGraph(chain());

      const { result, ran } = await countRuns(() => canvas({ graphId, targetNodeId: 'b' }));

      expect(ran).toEqual({ a: 1, b: 1 });
      expect(statuses(result)).toEqual({ t: 'ran', a: 'ran', b: 'ran', c: 'skipped' });
    });

    it('merges a pinned input with one never run', async () => {
      const graphId = await createGraph({
        nodes: [node('t', 'trigger'), node('left', 'count', { tag: 'l' }), node('right', 'count', { tag: 'r' }), node('m', 'merge')],
        edges: [edge('t', 'left'), edge('t', 'right'), edge('left', 'm:a'), edge('right', 'm:b')],
      });

      const { result, ran } = await countRuns(() => canvas({ graphId, pinnedData: { left: [{ json: { pinned: true } }] } }));

      expect(statuses(result)).toEqual({ t: 'ran', left: 'pinned', right: 'ran', m: 'ran' });
      expect(ran).toEqual({ right: 1, m: 1 });
      expect(result.run.output.items.map((item) => item.json)).toEqual([{ pinned: true }, { trail: ['right:r'] }]);
    });

    it('merges a reused input with a changed one', async () => {
      const graph = (rightTag: string): GraphDefinition => ({
        nodes: [node('t', 'trigger'), node('left', 'count', { tag: 'l' }), node('right', 'count', { tag: rightTag }), node('m', 'merge')],
        edges: [edge('t', 'left'), edge('t', 'right'), edge('left', 'm:a'), edge('right', 'm:b')],
      });
      const graphId = await createGraph(graph('r1'));
      await canvas({ graphId });

      const { result, ran } = await countRuns(() => canvas({ graphId, graph: graph('r2') }));

      expect(statuses(result)).toEqual({ t: 'ran', left: 'reused', right: 'ran', m: 'ran' });
      expect(ran).toEqual({ right: 1, m: 1 });
      expect(result.run.output.items.map((item) => item.json.trail)).toEqual([['left:l'], ['right:r2']]);
    });

    it('clears the cache of one graph for an owner', async () => {
      const graphId = await createGraph(chain());
      const otherId = await createGraph(chain());
      await canvas({ graphId });
      await canvas({ graphId: otherId });

      expect((await call('/api/canvas-execute/admin/cache-clear', { method: 'POST', json: { graphId } })).status).toBe(403);
      const cleared = await call<{ deleted: number }>('/api/canvas-execute/admin/cache-clear', { method: 'POST', cookie: ownerCookie, json: { graphId } });
      expect(cleared).toEqual({ status: 200, body: { deleted: 3 } });

      const { result, ran } = await countRuns(() => canvas({ graphId }));
      expect(ran).toEqual({ a: 1, b: 1, c: 1 });
      expect(statuses(result)).toMatchObject({ a: 'ran', b: 'ran', c: 'ran' });
      expect(statuses(await canvas({ graphId: otherId }))).toMatchObject({ a: 'reused', b: 'reused', c: 'reused' });
    });

    it('clears the whole workspace cache and reports usage', async () => {
      const graphId = await createGraph(chain());
      await canvas({ graphId });
      const usage = await call<{ entries: number; bytes: number; maxOutputBytes: number }>('/api/canvas-execute/cache');
      expect(usage.body.entries).toBeGreaterThanOrEqual(3);
      expect(usage.body.maxOutputBytes).toBe(MAX_OUTPUT_BYTES);

      const cleared = await call<{ deleted: number }>('/api/canvas-execute/admin/cache-clear', { method: 'POST', cookie: ownerCookie, json: {} });

      expect(cleared.body.deleted).toBe(usage.body.entries);
      expect((await call<{ entries: number }>('/api/canvas-execute/cache')).body.entries).toBe(0);
    });

    it('rejects a viewer and an invalid canvas graph', async () => {
      const graphId = await createGraph(chain());

      expect((await call('/api/canvas-execute', { method: 'POST', key: viewerKey, json: { graphId } })).status).toBe(403);
      const invalid = await call<{ errors: Array<{ path: string }> }>('/api/canvas-execute', { method: 'POST', json: { graphId, graph: { nodes: [node('x', 'missing')], edges: [edge('x', 'ghost')] } } });
      expect(invalid.status).toBe(422);
      expect(invalid.body.errors.map((problem) => problem.path)).toEqual(expect.arrayContaining(['graph.nodes[0].type', 'graph.edges[0].to.node']));
      expect((await call('/api/canvas-execute', { method: 'POST', json: { graphId, targetNodeId: 'nope' } })).status).toBe(422);
    });

    it('answers 404 for a graph of another workspace', async () => {
      const { userService, graphService } = t.kernel.services;
      const other = await userService.createUser({ email: 'other-partial@example.com', password: 'other-password-1' });
      const workspace = await userService.createWorkspace({ name: 'Other partial', ownerId: other.id });
      const foreign = await graphService.create(workspace.id, { type: 'user', id: other.id }, { name: 'foreign', definition: chain() });

      expect((await call('/api/canvas-execute', { method: 'POST', json: { graphId: foreign.id } })).status).toBe(404);
      expect((await call('/api/canvas-execute/admin/cache-clear', { method: 'POST', cookie: ownerCookie, json: { graphId: foreign.id } })).status).toBe(404);
    });
  });
});
