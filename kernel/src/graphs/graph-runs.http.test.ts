import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_PART, partEdge as edge, partNode as node } from '../runtime/partial/testing.js';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { BASELINE_CHANGES_CHANNEL, NO_BASELINE_TTL_MS } from './baselines.js';

interface RunBody {
  id: string;
  status: string;
  mode: string;
  graphId: string;
  versionId: string | null;
  output: { items: Array<{ json: Record<string, unknown> }> } | null;
}
interface ComparisonBody {
  runId: string;
  baselineRunId: string;
  runStatus: string;
  identical: boolean;
  nodes: Array<{ nodeId: string; nodeName: string; status: string; changedPaths?: string[] }>;
}

/** Runs of stored graphs, run templates, baselines and comparison history over real HTTP. */
describe.each(databaseBackends)('graph runs API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;
    let viewerKey: string;

    async function call<T = any>(path: string, init: { method?: string; json?: unknown; key?: string } = {}): Promise<{ status: number; body: T; headers: Headers }> {
      const response = await t.fetch(path, { method: init.method ?? 'GET', key: init.key ?? key, ...(init.json !== undefined ? { json: init.json } : {}) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
    }

    /** Trigger → a counting node tagged `tag`. */
    const definition = (tag: string, extra: { nodes?: Array<ReturnType<typeof node>>; edges?: Array<ReturnType<typeof edge>> } = {}) => ({
      nodes: [node('t', 'trigger'), node('a', 'count', { tag }), ...(extra.nodes ?? [])],
      edges: [edge('t', 'a'), ...(extra.edges ?? [])],
    });

    async function createGraph(draft: unknown): Promise<string> {
      const { status, body } = await call<{ id: string }>('/api/graphs', { method: 'POST', json: { name: 'Runs', definition: draft } });
      expect(status, JSON.stringify(body)).toBe(201);
      return body.id;
    }

    async function saveDraft(graphId: string, draft: unknown): Promise<void> {
      expect((await call(`/api/graphs/${graphId}/definition`, { method: 'PUT', json: draft })).status).toBe(200);
    }

    async function publish(graphId: string): Promise<{ id: string; number: number }> {
      const { status, body } = await call<{ id: string; number: number }>(`/api/graphs/${graphId}/publish`, { method: 'POST' });
      expect(status).toBe(201);
      return body;
    }

    async function run(graphId: string, body: Record<string, unknown>): Promise<{ status: number; body: RunBody; headers: Headers }> {
      return call<RunBody>(`/api/graphs/${graphId}/runs`, { method: 'POST', json: body });
    }

    const trail = (result: RunBody) => result.output!.items[0]!.json.trail;

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t, { workspace: 'Graph runs' });
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      viewerKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'viewer', role: 'viewer' } })).json()) as { key: string }).key;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_PART.id, code: ACME_PART.code, manifest: ACME_PART.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    describe('running a stored graph', () => {
      it('rejects the live version when none is published', async () => {
        const graphId = await createGraph(definition('draft'));

        const { status, body } = await call<{ type: string; detail: string }>(`/api/graphs/${graphId}/runs`, { method: 'POST', json: {} });

        expect(status).toBe(409);
        expect(body.type).toContain('no_live_version');
        expect(body.detail).toContain('version: "draft"');
      });

      it('runs the draft and waits for its output', async () => {
        const graphId = await createGraph(definition('draft'));

        const { status, body, headers } = await run(graphId, { version: 'draft', wait: true, input: [{ json: { n: 1 } }] });

        expect(status).toBe(200);
        expect(headers.get('location')).toBe(`/api/runs/${body.id}`);
        expect(body).toMatchObject({ status: 'succeeded', graphId, versionId: null, mode: 'api' });
        expect(body.output!.items).toEqual([{ json: { n: 1, trail: ['a:draft'] } }]);
      });

      it('runs the live version by default, not the newer draft', async () => {
        const graphId = await createGraph(definition('v1'));
        const version = await publish(graphId);
        await saveDraft(graphId, definition('v2'));

        const live = await run(graphId, { wait: true });
        const draft = await run(graphId, { version: 'draft', wait: true });

        expect(live.body.versionId).toBe(version.id);
        expect(trail(live.body)).toEqual(['a:v1']);
        expect(trail(draft.body)).toEqual(['a:v2']);
      });

      it('runs a numbered version and rejects an unknown one', async () => {
        const graphId = await createGraph(definition('v1'));
        await publish(graphId);
        await saveDraft(graphId, definition('v2'));
        await publish(graphId);

        const first = await run(graphId, { version: 1, wait: true });
        const missing = await run(graphId, { version: 9 });

        expect(trail(first.body)).toEqual(['a:v1']);
        expect(missing.status).toBe(404);
      });

      it('starts a run without waiting', async () => {
        const graphId = await createGraph(definition('async'));

        const started = await run(graphId, { version: 'draft' });
        expect(started.status).toBe(201);
        expect(['queued', 'running', 'succeeded']).toContain(started.body.status);

        let status = started.body.status;
        for (let attempt = 0; attempt < 100 && status !== 'succeeded'; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          status = (await call<RunBody>(`/api/runs/${started.body.id}`)).body.status;
        }
        expect(status).toBe('succeeded');
      });

      it('lists every problem when the definition cannot run', async () => {
        await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: 'acme.gone' }) });
        const graphId = await createGraph({ nodes: [node('t', 'trigger'), { id: 'g1', name: 'g1', type: 'acme.gone.echo', typeVersion: 1 }, { id: 'g2', name: 'g2', type: 'acme.gone.echo', typeVersion: 1 }], edges: [edge('t', 'g1'), edge('g1', 'g2')] });
        await publish(graphId);
        await t.kernel.services.extensionHost.uninstall('acme.gone');

        const { status, body } = await call<{ errors: Array<{ path: string; code: string }> }>(`/api/graphs/${graphId}/runs`, { method: 'POST', json: {} });

        expect(status).toBe(422);
        expect(body.errors.map((problem) => problem.path)).toEqual(['$.nodes[1].type', '$.nodes[2].type']);
      });

      it('forbids a viewer to start a run', async () => {
        const graphId = await createGraph(definition('viewer'));

        expect((await call(`/api/graphs/${graphId}/runs`, { method: 'POST', key: viewerKey, json: { version: 'draft' } })).status).toBe(403);
      });
    });

    describe('run templates', () => {
      it('creates, lists, executes and deletes a template', async () => {
        const graphId = await createGraph(definition('tpl'));

        const created = await call<{ id: string; name: string; input: unknown }>(`/api/graphs/${graphId}/run-templates`, { method: 'POST', json: { name: 'Alice', input: [{ json: { who: 'alice' } }] } });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ name: 'Alice', input: [{ json: { who: 'alice' } }] });

        const duplicate = await call(`/api/graphs/${graphId}/run-templates`, { method: 'POST', json: { name: 'Alice', input: [] } });
        expect(duplicate.status).toBe(409);

        const listed = await call<{ items: Array<{ id: string }> }>(`/api/graphs/${graphId}/run-templates`);
        expect(listed.body.items.map((template) => template.id)).toEqual([created.body.id]);

        const noLive = await call(`/api/graphs/${graphId}/run-templates/${created.body.id}/execute`, { method: 'POST' });
        expect(noLive.status).toBe(409);

        const executed = await call<RunBody>(`/api/graphs/${graphId}/run-templates/${created.body.id}/execute?version=draft&wait=true`, { method: 'POST' });
        expect(executed.status).toBe(200);
        expect(executed.body.output!.items).toEqual([{ json: { who: 'alice', trail: ['a:tpl'] } }]);

        await publish(graphId);
        const live = await call<RunBody>(`/api/graphs/${graphId}/run-templates/${created.body.id}/execute?wait=true`, { method: 'POST' });
        expect(live.body.versionId).not.toBeNull();

        expect((await call(`/api/graphs/${graphId}/run-templates/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
        expect((await call(`/api/graphs/${graphId}/run-templates/${created.body.id}`, { method: 'DELETE' })).status).toBe(404);
        expect((await call(`/api/graphs/${graphId}/run-templates/${created.body.id}/execute`, { method: 'POST' })).status).toBe(404);
      });

      it('rejects a bad version and a viewer', async () => {
        const graphId = await createGraph(definition('tpl'));
        const created = await call<{ id: string }>(`/api/graphs/${graphId}/run-templates`, { method: 'POST', json: { name: 'One' } });

        expect((await call(`/api/graphs/${graphId}/run-templates/${created.body.id}/execute?version=latest`, { method: 'POST' })).status).toBe(422);
        expect((await call(`/api/graphs/${graphId}/run-templates`, { method: 'POST', key: viewerKey, json: { name: 'Two' } })).status).toBe(403);
        expect((await call(`/api/graphs/${graphId}/run-templates`, { key: viewerKey })).status).toBe(200);
      });
    });

    it('documents the routes in the OpenAPI document', async () => {
      const doc = (await call<{ paths: Record<string, Record<string, { operationId: string }>> }>('/api/openapi.json')).body;

      expect(doc.paths['/api/graphs/{id}/runs']?.post?.operationId).toBe('runGraph');
      expect(doc.paths['/api/graphs/{id}/run-templates/{tid}/execute']?.post?.operationId).toBe('executeRunTemplate');
      expect(doc.paths['/api/graphs/{id}/comparison-history']?.get?.operationId).toBe('listGraphRunComparisons');
      expect(doc.paths['/api/canvas-execute']?.post?.operationId).toBe('executeCanvas');
    });

    describe('baselines and comparison history', () => {
      it('records identical and changed runs', async () => {
        const graphId = await createGraph(definition('same'));
        await publish(graphId);
        const baselineRun = await run(graphId, { wait: true, input: [{ json: { n: 1 } }] });

        const baseline = await call<{ runId: string; nodes: Array<{ nodeId: string; itemCount: number }> }>(`/api/graphs/${graphId}/baseline`, { method: 'POST', json: { runId: baselineRun.body.id } });
        expect(baseline.status).toBe(200);
        expect(baseline.body.runId).toBe(baselineRun.body.id);
        expect(baseline.body.nodes.map((entry) => [entry.nodeId, entry.itemCount])).toEqual([
          ['t', 1],
          ['a', 1],
        ]);

        const same = await run(graphId, { wait: true, input: [{ json: { n: 1 } }] });
        await saveDraft(graphId, definition('changed', { nodes: [node('extra', 'count', { tag: 'x' })], edges: [edge('a', 'extra')] }));
        await publish(graphId);
        const changed = await run(graphId, { wait: true, input: [{ json: { n: 1 } }] });

        const history = await call<{ items: ComparisonBody[]; nextCursor: string | null }>(`/api/graphs/${graphId}/comparison-history`);
        expect(history.status).toBe(200);
        expect(history.body.items.map((entry) => entry.runId)).toEqual([changed.body.id, same.body.id]);

        const [newest, oldest] = history.body.items;
        expect(oldest).toMatchObject({ baselineRunId: baselineRun.body.id, runStatus: 'succeeded', identical: true });
        expect(oldest!.nodes.map((entry) => entry.status)).toEqual(['same', 'same']);
        expect(newest!.identical).toBe(false);
        expect(newest!.nodes).toEqual([
          { nodeId: 't', nodeName: 't', status: 'same' },
          { nodeId: 'a', nodeName: 'a', status: 'changed', changedPaths: ['$.main[0].json.trail[0]'] },
          { nodeId: 'extra', nodeName: 'extra', status: 'added' },
        ]);
      });

      it('pages the history with a cursor', async () => {
        const graphId = await createGraph(definition('page'));
        const first = await run(graphId, { version: 'draft', wait: true });
        await call(`/api/graphs/${graphId}/baseline`, { method: 'POST', json: { runId: first.body.id } });
        for (let index = 0; index < 3; index++) await run(graphId, { version: 'draft', wait: true });

        const page1 = await call<{ items: ComparisonBody[]; nextCursor: string }>(`/api/graphs/${graphId}/comparison-history?limit=2`);
        const page2 = await call<{ items: ComparisonBody[]; nextCursor: string | null }>(`/api/graphs/${graphId}/comparison-history?limit=2&cursor=${page1.body.nextCursor}`);

        expect(page1.body.items).toHaveLength(2);
        expect(page2.body.items).toHaveLength(1);
        expect(page2.body.nextCursor).toBeNull();
        expect(new Set([...page1.body.items, ...page2.body.items].map((entry) => entry.runId)).size).toBe(3);
        expect((await call(`/api/graphs/${graphId}/comparison-history?cursor=bogus`)).status).toBe(400);
      });

      it('reports a node output the run lacks', async () => {
        const graphId = await createGraph(definition('ok'));
        const good = await run(graphId, { version: 'draft', wait: true });
        await call(`/api/graphs/${graphId}/baseline`, { method: 'POST', json: { runId: good.body.id } });

        const empty = await run(graphId, { version: 'draft', wait: true, input: [] });
        const history = await call<{ items: ComparisonBody[] }>(`/api/graphs/${graphId}/comparison-history`);

        expect(empty.body.status).toBe('succeeded');
        expect(history.body.items[0]!.nodes).toEqual([
          { nodeId: 't', nodeName: 't', status: 'changed', changedPaths: ['$.main[0]'] },
          { nodeId: 'a', nodeName: 'a', status: 'missing' },
        ]);
      });

      it('rejects a run of another graph or one that did not succeed', async () => {
        const graphId = await createGraph(definition('one'));
        const otherId = await createGraph(definition('two'));
        const otherRun = await run(otherId, { version: 'draft', wait: true });

        expect((await call(`/api/graphs/${graphId}/baseline`, { method: 'POST', json: { runId: otherRun.body.id } })).status).toBe(409);
        expect((await call(`/api/graphs/${graphId}/baseline`, { method: 'POST', json: { runId: 'run_missing' } })).status).toBe(404);
        expect((await call(`/api/graphs/${graphId}/baseline`)).status).toBe(404);
      });

      it('sees a baseline set by another process', async () => {
        const graphId = await createGraph(definition('elsewhere'));
        const [graph] = await t.kernel.services.db.query<{ workspace_id: string }>('select workspace_id from graphs where id = $1', [graphId]);
        const first = await run(graphId, { version: 'draft', wait: true });
        // Sets a baseline as another kernel process would: a row in the shared database that this process has not seen.
        const setElsewhere = async (runId: string) => {
          await t.kernel.services.db.query('delete from graph_baselines where graph_id = $1', [graphId]);
          await t.kernel.services.db.query(`insert into graph_baselines (graph_id, workspace_id, run_id, outputs) values ($1, $2, $3, '[]'::jsonb)`, [graphId, graph!.workspace_id, runId]);
        };
        const comparedRuns = async () => (await call<{ items: ComparisonBody[] }>(`/api/graphs/${graphId}/comparison-history`)).body.items.map((entry) => entry.runId);

        // The other process announces the change through pub/sub, so the next run is compared.
        await setElsewhere(first.body.id);
        await t.kernel.services.sharedState.pubsub.publish(BASELINE_CHANGES_CHANNEL, 'changed');
        const announced = await run(graphId, { version: 'draft', wait: true });
        expect(await comparedRuns()).toEqual([announced.body.id]);

        // Without pub/sub, a graph found without a baseline is looked up again after NO_BASELINE_TTL_MS.
        await t.kernel.services.db.query('delete from graph_baselines where graph_id = $1', [graphId]);
        await t.kernel.services.sharedState.pubsub.publish(BASELINE_CHANGES_CHANNEL, 'changed');
        await run(graphId, { version: 'draft', wait: true });
        await setElsewhere(first.body.id);
        await new Promise((resolve) => setTimeout(resolve, NO_BASELINE_TTL_MS + 100));
        const later = await run(graphId, { version: 'draft', wait: true });
        expect(await comparedRuns()).toEqual([later.body.id, announced.body.id]);
      });

      it('reads and removes the baseline', async () => {
        const graphId = await createGraph(definition('read'));
        const first = await run(graphId, { version: 'draft', wait: true });
        await call(`/api/graphs/${graphId}/baseline`, { method: 'POST', json: { runId: first.body.id } });

        expect((await call<{ runId: string }>(`/api/graphs/${graphId}/baseline`)).body.runId).toBe(first.body.id);
        expect((await call(`/api/graphs/${graphId}/baseline`, { method: 'DELETE', key: viewerKey })).status).toBe(403);
        expect((await call(`/api/graphs/${graphId}/baseline`, { method: 'DELETE' })).status).toBe(204);
        expect((await call(`/api/graphs/${graphId}/baseline`)).status).toBe(404);
      });
    });
  });
});
