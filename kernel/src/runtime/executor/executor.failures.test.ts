import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asValue } from '../../container.js';
import type { Item, MifyGraph } from '../../graphs/model.js';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import type { RunService } from '../run-service.js';
import type { RunRecord, StepRow } from '../run-store.js';
import { ACME_BULK, ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';

type RecordedItems = { items: Item[]; itemCount: number; truncated: boolean };

/** Retries, timeouts, on-error settings, cancellation and item limits, run by the real executor with real isolate extensions. */
describe.each(databaseBackends)('executor failures on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let workspaceId: string;
    let runs: RunService;
    const stored = new Map<string, MifyGraph>();

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      workspaceId = (await setupOwner(t)).workspace.id;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_BULK.id, code: ACME_BULK.code, manifest: ACME_BULK.manifest }) });
      t.kernel.container.register({ subgraphLoader: asValue({ load: async (workspace: string, graphId: string) => executable(workspace, stored.get(graphId)!, graphId) }) });
      runs = t.kernel.services.runService;
    });

    afterAll(async () => {
      await t?.close();
    });

    const start = (document: MifyGraph, input: Item[] = [{ json: {} }], waitForCompletion = true) =>
      runs.start({ workspaceId, graph: executable(workspaceId, document), input, mode: 'manual', createdBy: null, waitForCompletion });
    const run = async (document: MifyGraph, input?: Item[]) => runs.get(workspaceId, (await start(document, input)).id);
    const output = (record: RunRecord) => (record.output as RecordedItems | null)?.items ?? [];
    const stepsOf = (record: { steps: StepRow[] }, nodeId: string) => record.steps.filter((step) => step.nodeId === nodeId);
    const errorOf = (step: StepRow) => step.error as { message: string; code: string; nodeName?: string; stack?: string; retryInMs?: number };

    /** Polls until a step of `nodeId` is running, so a test can act while the node executes. */
    const waitForRunningStep = async (runId: string, nodeId: string) => {
      for (let tries = 0; tries < 200; tries++) {
        const record = await runs.get(workspaceId, runId);
        if (record.steps.some((step) => step.nodeId === nodeId && step.status === 'running')) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`node ${nodeId} of run ${runId} never started`);
    };

    it('retries with backoff, records attempts', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('flaky', 'fail-n-times', { parameters: { failures: 2 }, settings: { retry: { maxAttempts: 3, backoffMs: 100, backoffFactor: 2 } } })],
        edges: [edge('t', 'flaky')],
      });
      const record = await run(document);
      const attempts = stepsOf(record, 'flaky');

      expect(record.status).toBe('succeeded');
      expect(attempts.map((step) => [step.attempt, step.status])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'succeeded'],
      ]);
      expect(attempts.map((step) => errorOf(step)?.retryInMs ?? null)).toEqual([100, 200, null]);
      expect(attempts[1]!.startedAt.getTime() - attempts[0]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(98);
      expect(attempts[2]!.startedAt.getTime() - attempts[1]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(198);
      expect(new Set(attempts.map((step) => step.idempotencyKey))).toEqual(new Set([`${record.id}:flaky:1`]));
      expect(output(record)[0]!.json).toMatchObject({ attempts: 3, idempotencyKey: `${record.id}:flaky:1` });
    });

    it('caps backoff, fails after last attempt', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('flaky', 'fail-n-times', { parameters: { failures: 9 }, settings: { retry: { maxAttempts: 3, backoffMs: 50, backoffFactor: 10, maxBackoffMs: 80 } } })],
        edges: [edge('t', 'flaky')],
      });
      const record = await run(document);

      expect(record.status).toBe('failed');
      expect(stepsOf(record, 'flaky').map((step) => errorOf(step).retryInMs ?? null)).toEqual([50, 80, null]);
      expect(record.error!.message).toContain('planned failure on attempt 3');
    });

    it('stops running node at timeout', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('slow', 'sleep', { name: 'Slow', parameters: { ms: 1_500 }, settings: { timeoutMs: 150 } })],
        edges: [edge('t', 'slow')],
      });
      const startedAt = performance.now();
      const record = await run(document);

      expect(performance.now() - startedAt).toBeLessThan(1_200);
      expect(record.status).toBe('failed');
      expect(stepsOf(record, 'slow')[0]).toMatchObject({ status: 'failed', error: { code: 'step_timeout', nodeName: 'Slow' } });
      expect(record.error!.message).toBe("node 'Slow' timed out after 150 ms (settings.timeoutMs); make it do less per call or raise the timeout");
    });

    it('onError continue passes input on', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('bad', 'fail', { name: 'Bad', settings: { onError: 'continue' } }), node('after', 'pass')],
        edges: [edge('t', 'bad'), edge('bad', 'after')],
      });
      const record = await run(document, [{ json: { n: 1 } }, { json: { n: 2 } }]);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'bad')[0]!.status).toBe('failed');
      expect(output(record)).toHaveLength(2);
      expect(output(record)[0]!.json).toMatchObject({ n: 1, path: ['t', 'after'], error: { code: 'extension_threw', nodeName: 'Bad' } });
      expect((output(record)[0]!.json.error as { message: string }).message).toContain('TypeError: always fails');
    });

    it('records code of thrown error', async () => {
      const record = await run(graph({ nodes: [node('t', 'trigger'), node('bad', 'fail', { name: 'Bad', parameters: { message: 'quota used up', code: 'quota_exceeded' } })], edges: [edge('t', 'bad')] }));

      expect(record.status).toBe('failed');
      expect(stepsOf(record, 'bad')[0]!.error).toMatchObject({ code: 'quota_exceeded', nodeName: 'Bad' });
      expect(stepsOf(record, 'bad')[0]!.error!.message).toContain('quota used up');
    });

    it('onError errorOutput uses error port', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('bad', 'fail', { settings: { onError: 'errorOutput' } }), node('ok', 'pass'), node('handler', 'pass')],
        edges: [edge('t', 'bad'), edge('bad', 'ok'), edge('bad:error', 'handler')],
      });
      const record = await run(document, [{ json: { n: 1 } }]);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'ok')[0]!.status).toBe('skipped');
      expect(stepsOf(record, 'handler')[0]!.status).toBe('succeeded');
      expect(output(record)[0]!.json).toMatchObject({ n: 1, error: { code: 'extension_threw' } });
    });

    it('records error with extension frames only', async () => {
      const record = await run(graph({ nodes: [node('t', 'trigger'), node('bad', 'fail', { name: 'Bad' })], edges: [edge('t', 'bad')] }));
      const error = errorOf(stepsOf(record, 'bad')[0]!);

      expect(record.status).toBe('failed');
      expect(error.message).toBe("Extension 'acme.test' threw in node 'acme.test.fail': TypeError: always fails");
      expect(error.nodeName).toBe('Bad');
      expect(error.stack).toContain('mify-extension:///acme.test/bundle.js');
      expect(error.stack).not.toMatch(/kernel\/src|node_modules|node:internal/);
      expect(record.error).toEqual(error);
    });

    it('fails node output on undeclared port', async () => {
      const record = await run(graph({ nodes: [node('t', 'trigger'), node('odd', 'bad-port')], edges: [edge('t', 'odd')] }));

      expect(record.error!.code).toBe('invalid_node_output');
      expect(record.error!.message).toContain('"nope"');
    });

    it('run timeout aborts running step', async () => {
      const document = graph({ nodes: [node('t', 'trigger'), node('slow', 'sleep', { parameters: { ms: 1_500 } })], edges: [edge('t', 'slow')], settings: { timeoutMs: 200 } });
      const startedAt = performance.now();
      const record = await run(document);

      expect(performance.now() - startedAt).toBeLessThan(1_200);
      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'run_timeout', message: 'the run timed out after 200 ms (graph setting timeoutMs)' });
      expect(record.timeoutAt!.getTime() - record.startedAt!.getTime()).toBe(200);
      expect(stepsOf(record, 'slow')[0]).toMatchObject({ status: 'failed', error: { code: 'run_timeout' } });
    });

    it('cancels running run and step', async () => {
      const started = await start(graph({ nodes: [node('t', 'trigger'), node('slow', 'sleep', { parameters: { ms: 1_500 } }), node('after', 'pass')], edges: [edge('t', 'slow'), edge('slow', 'after')] }), undefined, false);
      await waitForRunningStep(started.id, 'slow');
      const cancelledAt = performance.now();
      const cancelled = await runs.cancel(workspaceId, started.id);
      const record = await runs.get(workspaceId, started.id);

      expect(performance.now() - cancelledAt).toBeLessThan(1_000);
      expect(cancelled.status).toBe('cancelled');
      expect(record.cancelRequested).toBe(true);
      expect(stepsOf(record, 'slow')[0]!.status).toBe('cancelled');
      expect(stepsOf(record, 'after')).toEqual([]);
      await expect(runs.cancel(workspaceId, started.id)).rejects.toMatchObject({ status: 409 });
    });

    it('cancels child of cancelled parent', async () => {
      stored.set('sleepy', graph({ nodes: [node('ct', 'trigger'), node('nap', 'sleep', { parameters: { ms: 1_500 } })], edges: [edge('ct', 'nap')] }));
      const started = await start(graph({ nodes: [node('t', 'trigger'), node('sub', 'subflow', { parameters: { graphId: 'sleepy' } })], edges: [edge('t', 'sub')] }), undefined, false);
      await waitForRunningStep(started.id, 'sub');
      const childId = (await runs.get(workspaceId, started.id)).steps.find((step) => step.nodeId === 'sub')!.childRunId;
      await runs.cancel(workspaceId, started.id);
      const child = await runs.waitFor(workspaceId, childId!);

      expect(child.status).toBe('cancelled');
      expect((await runs.get(workspaceId, started.id)).status).toBe('cancelled');
    });

    it('rejects million pinned items, keeps serving', async () => {
      const million = Array.from({ length: 1_000_000 }, (_, index) => ({ json: { i: index } }));
      const document = graph({ nodes: [node('source', 'fail'), node('next', 'pass', { name: 'Next' })], edges: [edge('source', 'next')] });
      document.pinnedData = { source: million };
      const record = await run(document, []);
      const source = stepsOf(record, 'source')[0]!;

      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'items_limit', nodeName: 'Next' });
      expect(record.error!.message).toBe(
        "too many items: 1000000 items reach node 'Next'; the limit is 100000 items per step (MIFY_RUN_MAX_ITEMS_PER_STEP); split the input with a loop node",
      );
      expect(source).toMatchObject({ status: 'succeeded', pinned: true, outputItemCount: 1_000_000, oversized: true });
      expect((source.output as { ports: { main: unknown[] } }).ports.main).toHaveLength(20);
      expect(stepsOf(record, 'next')[0]).toMatchObject({ status: 'failed', input: null });
      // The server may close a keep-alive connection from before the long run just as it is reused.
      // A second request then gets a fresh connection.
      const health = await t.fetch('/api/health').catch(() => t.fetch('/api/health'));
      expect(health.status).toBe(200);
    }, 60_000);

    it('rejects produced items over limit', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('many', 'acme.bulk.many', { parameters: { count: 150_000 } }), node('next', 'pass', { name: 'Next' })],
        edges: [edge('t', 'many'), edge('many', 'next')],
      });
      const record = await run(document);

      expect(record.error).toMatchObject({ code: 'items_limit', nodeName: 'Next' });
      expect(record.error!.message).toContain("150000 items reach node 'Next'");
      expect(stepsOf(record, 'many')[0]).toMatchObject({ status: 'succeeded', outputItemCount: 150_000 });
    }, 60_000);

    it('fails million items past sandbox limit', async () => {
      const document = graph({ nodes: [node('t', 'trigger'), node('many', 'acme.bulk.many', { parameters: { count: 1_000_000 } })], edges: [edge('t', 'many')] });
      const record = await run(document);

      expect(record.error).toMatchObject({ code: 'extension_invalid_output', nodeId: 'many' });
      expect(record.error!.message).toContain('characters of JSON');
      // The server may close a keep-alive connection from before the long run just as it is reused.
      // A second request then gets a fresh connection.
      const health = await t.fetch('/api/health').catch(() => t.fetch('/api/health'));
      expect(health.status).toBe(200);
    }, 60_000);
  });
});
