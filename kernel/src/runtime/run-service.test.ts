import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, MifyGraph } from '../graphs/model.js';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { hashStepInput } from './executor/step-input.js';
import { ExtensionNodeRunner } from './extension-node-runner.js';
import { RunService } from './run-service.js';
import type { RunRecord, StepRow } from './run-store.js';
import { ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from './testing/acme-extension.js';

type RecordedPorts = { ports: Record<string, Item[]>; itemCounts: Record<string, number>; truncated: boolean };

/** Run records, rigor, usage, listing and concurrency limits of the run service. */
describe.each(databaseBackends)('run service on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let workspaceId: string;
    let runs: RunService;

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_RUN_MAX_CONCURRENT_PER_WORKSPACE: '2' } });
      workspaceId = (await setupOwner(t)).workspace.id;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
      runs = t.kernel.services.runService;
    });

    afterAll(async () => {
      await t?.close();
    });

    const start = (document: MifyGraph, options: { input?: Item[]; graphId?: string; wait?: boolean } = {}) =>
      runs.start({ workspaceId, graph: executable(workspaceId, document, options.graphId ?? null), input: options.input ?? [{ json: {} }], mode: 'api', createdBy: 'usr_test', waitForCompletion: options.wait ?? true });
    const stepsOf = (record: { steps: StepRow[] }, nodeId: string) => record.steps.filter((step) => step.nodeId === nodeId);
    const sleeper = (ms: number, settings: MifyGraph['settings'] | undefined = undefined) =>
      graph({ nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms } })], edges: [edge('t', 'nap')], ...(settings ? { settings } : {}) });

    it('records a run from start to end with step timings', async () => {
      const finished = await start(sleeper(60), { input: [{ json: { n: 1 } }] });
      const record = await runs.get(workspaceId, finished.id);
      const nap = stepsOf(record, 'nap')[0]!;

      expect(record).toMatchObject({ status: 'succeeded', mode: 'api', rigor: 'audited', depth: 0, parentRunId: null, createdBy: 'usr_test', error: null });
      expect(record.input).toEqual({ items: [{ json: { n: 1 } }], itemCount: 1, truncated: false });
      expect(record.startedAt!.getTime()).toBeGreaterThanOrEqual(record.createdAt.getTime());
      expect(record.finishedAt!.getTime()).toBeGreaterThanOrEqual(nap.finishedAt!.getTime());
      expect(nap.durationMs).toBeGreaterThanOrEqual(60);
      expect(nap.finishedAt!.getTime() - nap.startedAt.getTime()).toBe(nap.durationMs);
      expect(nap.inputHash).toMatch(/^[0-9a-f]{64}$/);
      expect(nap.input).toEqual({ ports: { main: [{ json: { n: 1, path: ['t'] } }] }, itemCounts: { main: 1 }, truncated: false });
    });

    it('gives equal inputs of a node the same input hash', async () => {
      const first = await runs.get(workspaceId, (await start(sleeper(0), { input: [{ json: { a: 1, b: 2 } }] })).id);
      const second = await runs.get(workspaceId, (await start(sleeper(0), { input: [{ json: { b: 2, a: 1 } }] })).id);
      const third = await runs.get(workspaceId, (await start(sleeper(0), { input: [{ json: { a: 1, b: 3 } }] })).id);

      expect(stepsOf(second, 'nap')[0]!.inputHash).toBe(stepsOf(first, 'nap')[0]!.inputHash);
      expect(stepsOf(third, 'nap')[0]!.inputHash).not.toBe(stepsOf(first, 'nap')[0]!.inputHash);
    });

    it('keeps full items for audited runs and previews for experimental ones', async () => {
      const long = 'x'.repeat(3_000);
      const input = Array.from({ length: 25 }, (_, index) => ({ json: { index, long } }));
      const document = (rigor: 'audited' | 'experimental') => graph({ nodes: [node('t', 'trigger'), node('p', 'pass')], edges: [edge('t', 'p')], settings: { rigor } });

      const audited = await runs.get(workspaceId, (await start(document('audited'), { input })).id);
      const experimental = await runs.get(workspaceId, (await start(document('experimental'), { input })).id);
      const auditedOutput = stepsOf(audited, 'p')[0]!.output as RecordedPorts;
      const preview = stepsOf(experimental, 'p')[0]!.output as RecordedPorts;

      expect(auditedOutput.truncated).toBe(false);
      expect(auditedOutput.ports.main).toHaveLength(25);
      expect(auditedOutput.ports.main![0]!.json.long).toBe(long);
      expect(preview).toMatchObject({ truncated: true, itemCounts: { main: 25 } });
      expect(preview.ports.main).toHaveLength(20);
      expect(preview.ports.main![0]!.json.long).toBe(`${'x'.repeat(2_048)}…`);
      expect(experimental.rigor).toBe('experimental');
      expect(experimental.output).toMatchObject({ itemCount: 25, truncated: true });
      expect(stepsOf(experimental, 'p')[0]!.inputHash).toBeNull();
      expect(stepsOf(audited, 'p')[0]!.inputHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('hashes large inputs as recorded', async () => {
      // About 30 KB of items per step, hashed from the sandbox's output text. The keys are not in sorted order.
      const input = Array.from({ length: 300 }, (_, index) => ({ json: { text: 'x'.repeat(60), index } }));
      const document = graph({ nodes: [node('t', 'trigger'), node('p', 'pass'), node('q', 'pass')], edges: [edge('t', 'p'), edge('p', 'q')] });
      const record = await runs.get(workspaceId, (await start(document, { input })).id);

      for (const nodeId of ['p', 'q']) {
        const step = stepsOf(record, nodeId)[0]!;
        const { type, typeVersion, parameters } = document.nodes.find((candidate) => candidate.id === nodeId)!;
        const expected = hashStepInput({ type, typeVersion, parameters }, (step.input as RecordedPorts).ports, step.nodeName, { maxItemsPerStep: 10_000, maxStepInputBytes: 10_000_000 });

        expect(step.inputHash).toBe(expected.hash);
      }
    });

    it('sums the usage nodes report', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('u1', 'usage', { parameters: { tokens: 120, costUsd: 0.25 } }), node('u2', 'usage', { parameters: { tokens: 30, costUsd: 0.5 } })],
        edges: [edge('t', 'u1'), edge('u1', 'u2')],
      });
      const record = await runs.get(workspaceId, (await start(document)).id);

      expect(record.usage).toEqual({ tokens: 150, inputTokens: 0, outputTokens: 0, costUsd: 0.75 });
      expect(stepsOf(record, 'u1')[0]!.usage).toEqual({ tokens: 120, costUsd: 0.25 });
    });

    it('queues runs past the graph limit and starts them in order', async () => {
      const document = sleeper(600, { maxConcurrentRuns: 1 });
      const started = [await start(document, { graphId: 'g-limited', wait: false }), await start(document, { graphId: 'g-limited', wait: false }), await start(document, { graphId: 'g-limited', wait: false })];

      expect(started.map((run) => run.status)).toEqual(['running', 'queued', 'queued']);
      const finished = await Promise.all(started.map((run) => runs.waitFor(workspaceId, run.id)));
      expect(finished.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(finished[1]!.startedAt!.getTime()).toBeGreaterThanOrEqual(finished[0]!.finishedAt!.getTime());
      expect(finished[2]!.startedAt!.getTime()).toBeGreaterThanOrEqual(finished[1]!.finishedAt!.getTime());
    });

    it('queues runs past the workspace limit', async () => {
      const document = sleeper(600);
      const started = [await start(document, { wait: false }), await start(document, { wait: false }), await start(document, { wait: false })];

      expect(started.map((run) => run.status)).toEqual(['running', 'running', 'queued']);
      const finished = await Promise.all(started.map((run) => runs.waitFor(workspaceId, run.id)));
      expect(finished[2]!.startedAt!.getTime()).toBeGreaterThanOrEqual(Math.min(finished[0]!.finishedAt!.getTime(), finished[1]!.finishedAt!.getTime()));
    });

    it('cancels a queued run without starting it', async () => {
      const document = sleeper(150, { maxConcurrentRuns: 1 });
      const first = await start(document, { graphId: 'g-cancel', wait: false });
      const second = await start(document, { graphId: 'g-cancel', wait: false });
      const cancelled = await runs.cancel(workspaceId, second.id);

      expect(second.status).toBe('queued');
      expect(cancelled).toMatchObject({ status: 'cancelled', startedAt: null, error: { code: 'run_cancelled' } });
      expect((await runs.get(workspaceId, second.id)).steps).toEqual([]);
      expect((await runs.waitFor(workspaceId, first.id)).status).toBe('succeeded');
    });

    it('cancels a run owned by another service instance', async () => {
      const { db, sharedState, logger, extensionHost, nodeTypes } = t.kernel.services;
      const other = await RunService.create({
        db,
        sharedState,
        logger,
        nodeTypes: () => nodeTypes.snapshot(),
        runner: new ExtensionNodeRunner(extensionHost),
        evaluator: () => null,
        subgraphLoader: () => null,
        limits: { maxItemsPerStep: 10, maxStepInputBytes: 1_000_000, maxSubworkflowDepth: 1, maxConcurrentPerWorkspace: 1, maxRecordBytes: 1_000_000 },
      });
      try {
        const started = await start(sleeper(1_000), { wait: false });
        const cancelled = await other.cancel(workspaceId, started.id);
        const finished = await runs.waitFor(workspaceId, started.id);

        expect(cancelled.cancelRequested).toBe(true);
        expect(finished.status).toBe('cancelled');
      } finally {
        await other.dispose();
      }
    });

    it('hashes no inputs of unsaved direct runs', async () => {
      const { db, sharedState, logger, extensionHost, nodeTypes } = t.kernel.services;
      const extensionRunner = new ExtensionNodeRunner(extensionHost);
      const auditedFlags: Array<boolean | undefined> = [];
      const other = await RunService.create({
        db,
        sharedState,
        logger,
        nodeTypes: () => nodeTypes.snapshot(),
        runner: { execute: async (request) => (auditedFlags.push(request.step.audited), extensionRunner.execute(request)) },
        evaluator: () => null,
        subgraphLoader: () => null,
        limits: { maxItemsPerStep: 10, maxStepInputBytes: 1_000_000, maxSubworkflowDepth: 1, maxConcurrentPerWorkspace: 5, maxRecordBytes: 1_000_000 },
      });
      try {
        const direct = (saving: 'all' | 'none') => other.runDirect({ workspaceId, graph: executable(workspaceId, sleeper(0)), input: [{ json: { n: 1 } }], mode: 'api', createdBy: 'usr_test', saving });

        const unsaved = await direct('none');
        const unsavedFlags = auditedFlags.splice(0);
        const saved = await direct('all');

        expect(unsaved.run).toMatchObject({ status: 'succeeded', rigor: 'audited' });
        expect(unsaved.saved).toBe(false);
        expect(unsavedFlags).toEqual([undefined, undefined]);
        expect(saved.saved).toBe(true);
        expect(auditedFlags).toEqual([true, true]);
        expect(stepsOf(saved, 'nap')[0]!.inputHash).toMatch(/^[0-9a-f]{64}$/);
      } finally {
        await other.dispose();
      }
    });

    it('lists runs newest first with filters and cursor pages', async () => {
      const before = new Date();
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) ids.push((await start(sleeper(0), { graphId: 'g-listed' })).id);
      const failed = await start(graph({ nodes: [node('t', 'trigger'), node('bad', 'fail')], edges: [edge('t', 'bad')] }), { graphId: 'g-listed' });

      const seen: RunRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await runs.list(workspaceId, { graphId: 'g-listed', status: 'succeeded', limit: 2, cursor });
        seen.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);

      expect(seen.map((run) => run.id)).toEqual([...ids].reverse());
      expect(seen[0]!.input).toBeNull();
      expect((await runs.list(workspaceId, { graphId: 'g-listed', status: 'failed', limit: 10 })).items.map((run) => run.id)).toEqual([failed.id]);
      expect((await runs.list(workspaceId, { graphId: 'g-listed', since: before, limit: 10 })).items).toHaveLength(6);
      expect((await runs.list(workspaceId, { graphId: 'g-listed', until: before, limit: 10 })).items).toHaveLength(0);
      await expect(runs.list(workspaceId, { limit: 1, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'invalid_cursor', status: 400 });
    });
  });
});
