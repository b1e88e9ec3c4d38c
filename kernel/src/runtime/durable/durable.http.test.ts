import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, MifyGraph } from '../../graphs/model.js';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import { ACME_TEST, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';

interface RunBody {
  id: string;
  status: string;
  mode: string;
  output: { items: Item[] } | null;
  error: { code: string } | null;
  steps?: Array<{ nodeId: string; status: string; activation: number; idempotencyKey: string }>;
}
interface WaitBody {
  id: string;
  runId: string;
  kind: string;
  status: string;
  nodeName: string;
  request: { items?: Item[]; allowEdit?: boolean; title?: string };
  comment: string | null;
  decidedBy: string | null;
}

/** Waits, pauses, cancellation of parked runs, timers and time travel, over the HTTP API. */
describe.each(databaseBackends)('durable runs on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;

    beforeAll(async () => {
      // Timers longer than 200 ms park the run, and the dispatcher polls for due runs every 100 ms.
      t = await startTestKernel(backend.name, { env: { MIFY_RUN_INLINE_WAIT_MS: '200', MIFY_RUN_POLL_MS: '100' } });
      const owner = await setupOwner(t);
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'durable', role: 'owner' } })).json()) as { key: string }).key;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    const api = async <T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> => {
      const response = await t.fetch(path, { ...init, key });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    };
    const startRun = async (document: MifyGraph, input: Item[] = [{ json: { n: 1 } }]) => (await api<RunBody>('/api/runs', { method: 'POST', json: { graph: document, input } })).body;
    const getRun = async (id: string) => (await api<RunBody>(`/api/runs/${id}`)).body;
    const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. Last value: ${JSON.stringify(value).slice(0, 500)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const settled = (id: string) => until(() => getRun(id), (run) => ['succeeded', 'failed', 'cancelled'].includes(run.status), `run ${id} to finish`);
    const pendingWaits = async (runId: string) => (await api<{ items: WaitBody[] }>(`/api/waits?status=pending&runId=${runId}`)).body.items;

    const reviewGraph = (allowEdit = true) =>
      graph({
        nodes: [node('t', 'trigger'), node('review', 'approve', { parameters: { allowEdit } }), node('yes', 'pass'), node('no', 'pass')],
        edges: [edge('t', 'review'), edge('review:approved', 'yes'), edge('review:rejected', 'no')],
      });

    it('review gate parks and continues with decision', async () => {
      const run = await startRun(reviewGraph(), [{ json: { amount: 120 } }]);
      const [wait] = await until(() => pendingWaits(run.id), (waits) => waits.length === 1, 'the approval wait');
      expect(wait).toMatchObject({ kind: 'approval', status: 'pending', nodeName: 'review', request: { allowEdit: true, items: [{ json: { amount: 120, path: ['t'] } }] } });
      await until(() => getRun(run.id), (current) => current.status === 'waiting', 'the run to park');

      const decided = await api<WaitBody>(`/api/waits/${wait!.id}/decision`, { method: 'POST', json: { decision: 'approve', comment: 'lowered the amount', items: [{ json: { amount: 100 } }] } });
      expect(decided.status).toBe(200);
      expect(decided.body).toMatchObject({ status: 'approved', comment: 'lowered the amount' });
      expect(decided.body.decidedBy).toEqual(expect.any(String));

      const finished = await settled(run.id);
      expect(finished.status).toBe('succeeded');
      expect(finished.output!.items).toEqual([{ json: { amount: 100, review: { outcome: 'approved', comment: 'lowered the amount', by: decided.body.decidedBy }, path: ['yes'] } }]);

      const again = await api<{ code: string; detail: string }>(`/api/waits/${wait!.id}/decision`, { method: 'POST', json: { decision: 'reject' } });
      expect(again.status).toBe(409);
      expect(again.body.detail).toContain('already approved');
    });

    it('review gate rejects disallowed edits', async () => {
      const run = await startRun(reviewGraph(false));
      const [wait] = await until(() => pendingWaits(run.id), (waits) => waits.length === 1, 'the approval wait');

      const edit = await api<{ detail: string }>(`/api/waits/${wait!.id}/decision`, { method: 'POST', json: { decision: 'approve', items: [{ json: {} }] } });
      expect(edit.status).toBe(409);
      expect(edit.body.detail).toContain('does not allow editing');
      const wrongKind = await api<{ detail: string }>(`/api/waits/${wait!.id}/decision`, { method: 'POST', json: { decision: 'resume' } });
      expect(wrongKind.status).toBe(409);

      await api(`/api/waits/${wait!.id}/decision`, { method: 'POST', json: { decision: 'reject', comment: 'not now' } });
      const finished = await settled(run.id);
      expect(finished.status).toBe('succeeded');
      expect(finished.output!.items[0]!.json).toMatchObject({ review: { outcome: 'rejected', comment: 'not now' }, path: ['t', 'no'] });
    });

    it('resume endpoint continues a pause node', async () => {
      const run = await startRun(graph({ nodes: [node('t', 'trigger'), node('hold', 'hold'), node('after', 'pass')], edges: [edge('t', 'hold'), edge('hold', 'after')] }));
      await until(() => getRun(run.id), (current) => current.status === 'waiting', 'the run to wait');

      const resumed = await api<RunBody>(`/api/runs/${run.id}/resume`, { method: 'POST' });
      expect(resumed.status).toBe(200);
      expect((await settled(run.id)).output!.items[0]!.json.path).toEqual(['t', 'hold', 'after']);

      const twice = await api<{ detail: string }>(`/api/runs/${run.id}/resume`, { method: 'POST' });
      expect(twice.status).toBe(409);
      expect(twice.body.detail).toContain('Only paused runs');
    });

    it('pause and resume skip finished steps', async () => {
      const nodes = [node('t', 'trigger'), ...Array.from({ length: 6 }, (_, index) => node(`s${index}`, 'sleep', { parameters: { ms: 150 } }))];
      const edges = nodes.slice(1).map((current, index) => edge(nodes[index]!.id, current.id));
      const run = await startRun(graph({ nodes, edges }));
      await until(() => getRun(run.id), (current) => (current.steps ?? []).some((step) => step.nodeId === 's0' && step.status === 'succeeded'), 'the first step');

      const paused = await api<RunBody>(`/api/runs/${run.id}/pause`, { method: 'POST' });
      expect(paused.body.status).toBe('paused');
      const atPause = (await getRun(run.id)).steps!.length;
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await getRun(run.id)).steps!.length).toBe(atPause);

      await api(`/api/runs/${run.id}/resume`, { method: 'POST' });
      const finished = await settled(run.id);
      expect(finished.status).toBe('succeeded');
      const succeeded = (await getRun(run.id)).steps!.filter((step) => step.status === 'succeeded');
      // Every node ran exactly once, because the steps before the pause came from the journal.
      expect(succeeded.map((step) => step.nodeId).sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 't']);
    });

    it('cancel ends a parked run and its wait', async () => {
      const run = await startRun(reviewGraph());
      const [wait] = await until(() => pendingWaits(run.id), (waits) => waits.length === 1, 'the approval wait');
      const cancelled = await api<RunBody>(`/api/runs/${run.id}/cancel`, { method: 'POST' });
      expect(cancelled.body).toMatchObject({ status: 'cancelled', error: { code: 'run_cancelled' } });
      expect((await api<WaitBody>(`/api/waits/${wait!.id}`)).body.status).toBe('cancelled');
    });

    it('long timer parks and continues the run', async () => {
      const run = await startRun(graph({ nodes: [node('t', 'trigger'), node('nap', 'timer', { parameters: { ms: 800 } })], edges: [edge('t', 'nap')] }));
      const waiting = await until(() => getRun(run.id), (current) => current.status === 'waiting', 'the run to park');
      expect(waiting.status).toBe('waiting');
      const finished = await settled(run.id);
      expect(finished.output!.items[0]!.json).toMatchObject({ waited: 'elapsed' });
      const history = (await api<{ events: Array<{ type: string }> }>(`/api/temporal-time-travel/history/${run.id}`)).body;
      expect(history.events.map((event) => event.type)).toEqual(expect.arrayContaining(['wait.created', 'run.waiting', 'run.resumed', 'run.finished']));
    });

    it('replay reuses steps before the chosen one', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('a', 'fail-n-times', { parameters: { failures: 0 } }), node('b', 'pass'), node('c', 'pass')],
        edges: [edge('t', 'a'), edge('a', 'b'), edge('b', 'c')],
      });
      const source = await settled((await startRun(document)).id);
      const replay = await api<{ run: RunBody; reusedSteps: number; fromStepKey: string }>('/api/temporal-time-travel/replay', { method: 'POST', json: { runId: source.id, stepKey: 'b:1', wait: true } });
      expect(replay.status).toBe(201);
      expect(replay.body).toMatchObject({ fromStepKey: 'b:1', reusedSteps: 2, run: { status: 'succeeded', mode: 'replay' } });

      const replayed = await getRun(replay.body.run.id);
      expect(replayed.steps!.map((step) => step.nodeId)).toEqual(['b', 'c']);
      expect(replayed.output).toEqual(source.output);
      // The reused step kept the source run's idempotency key in its output.
      expect((replayed.output!.items[0]!.json as { idempotencyKey: string }).idempotencyKey).toBe(`${source.id}:a:1`);
    });

    it('fork runs a step with new input', async () => {
      const document = graph({ nodes: [node('t', 'trigger'), node('a', 'pass'), node('b', 'pass')], edges: [edge('t', 'a'), edge('a', 'b')] });
      const source = await settled((await startRun(document, [{ json: { city: 'Lyon' } }])).id);
      const fork = await api<{ run: RunBody; reusedSteps: number }>('/api/temporal-time-travel/fork', { method: 'POST', json: { runId: source.id, seq: 2, input: [{ json: { city: 'Oslo' } }], wait: true } });
      expect(fork.status).toBe(201);
      expect(fork.body).toMatchObject({ reusedSteps: 1, run: { mode: 'fork', status: 'succeeded' } });
      expect(fork.body.run.output!.items).toEqual([{ json: { city: 'Oslo', path: ['a', 'b'] } }]);

      const unknown = await api<{ detail: string }>('/api/temporal-time-travel/fork', { method: 'POST', json: { runId: source.id, stepKey: 'zz:1', input: [] } });
      expect(unknown.status).toBe(422);
      expect(unknown.body.detail).toContain("has no step 'zz:1'");
      const noInput = await api<{ detail: string }>('/api/temporal-time-travel/fork', { method: 'POST', json: { runId: source.id, seq: 2 } });
      expect(noInput.status).toBe(422);
      expect((await api('/api/temporal-time-travel/replay', { method: 'POST', json: { runId: 'run_missing', seq: 1 } })).status).toBe(404);
    });

    it('fork rejects a step whose node left the graph', async () => {
      const document = graph({ nodes: [node('t', 'trigger'), node('a', 'pass'), node('b', 'pass')], edges: [edge('t', 'a'), edge('a', 'b')] });
      const source = await settled((await startRun(document)).id);
      // Remove node b from the stored graph, so the run has a step 'b:1' whose node is not in its graph.
      const [stored] = await t.kernel.services.db.query<{ graph: { graph: MifyGraph } }>('select graph from runs where id = $1', [source.id]);
      const withoutB = { ...stored!.graph, graph: { ...stored!.graph.graph, nodes: stored!.graph.graph.nodes.filter((candidate) => candidate.id !== 'b'), edges: [stored!.graph.graph.edges[0]] } };
      await t.kernel.services.db.query('update runs set graph = $2::jsonb where id = $1', [source.id, JSON.stringify(withoutB)]);

      const fork = await api<{ detail: string; errors: Array<{ path: string }> }>('/api/temporal-time-travel/fork', { method: 'POST', json: { runId: source.id, stepKey: 'b:1', input: [{ json: {} }] } });
      expect(fork.status).toBe(422);
      expect(fork.body.detail).toContain("from step 'b:1'");
      expect(fork.body.detail).toContain('t:1, a:1');
      expect(fork.body.errors[0]!.path).toBe('stepKey');
    });

    it('run search filters by user and status', async () => {
      const created = await startRun(graph({ nodes: [node('t', 'trigger')], edges: [] }));
      const run = await settled(created.id);
      const me = (await getRun(run.id)) as RunBody & { createdBy: string };
      const listed = await api<{ items: Array<{ id: string }> }>(`/api/temporal-time-travel/runs?userId=${me.createdBy}&status=succeeded&limit=200`);
      expect(listed.body.items.map((item) => item.id)).toContain(run.id);
      const nobody = await api<{ items: unknown[] }>('/api/temporal-time-travel/runs?userId=usr_nobody');
      expect(nobody.body.items).toEqual([]);
    });
  });
});
