import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asValue } from '../../container.js';
import { NotFoundError } from '../../errors.js';
import type { Item, MifyGraph } from '../../graphs/model.js';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import type { RunService } from '../run-service.js';
import type { RunRecord, StepRow } from '../run-store.js';
import { ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';
import type { SubgraphLoader } from '../types.js';

type RecordedItems = { items: Item[]; itemCount: number; truncated: boolean };

/** Loops and sub-workflows, run by the real executor with real isolate extensions. */
describe.each(databaseBackends)('executor loops and sub-workflows on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let workspaceId: string;
    let runs: RunService;
    const stored = new Map<string, MifyGraph>();
    const loads: Array<{ graphId: string; version: number | 'live' | 'draft' }> = [];

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_RUN_MAX_SUBWORKFLOW_DEPTH: '3' } });
      workspaceId = (await setupOwner(t)).workspace.id;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
      runs = t.kernel.services.runService;

      const loader: SubgraphLoader = {
        async load(workspace, graphId, version) {
          loads.push({ graphId, version });
          const document = stored.get(graphId);
          if (!document) throw new NotFoundError('Graph', graphId);
          return executable(workspace, document, graphId);
        },
      };
      t.kernel.container.register({ subgraphLoader: asValue(loader) });
    });

    afterAll(async () => {
      await t?.close();
    });

    const run = async (document: MifyGraph, input: Item[] = [{ json: {} }]) => {
      const record = await runs.start({ workspaceId, graph: executable(workspaceId, document), input, mode: 'manual', createdBy: null, waitForCompletion: true });
      return runs.get(workspaceId, record.id);
    };
    const output = (record: RunRecord) => (record.output as RecordedItems | null)?.items ?? [];
    const stepsOf = (record: { steps: StepRow[] }, nodeId: string) => record.steps.filter((step) => step.nodeId === nodeId);
    const numbered = (count: number) => Array.from({ length: count }, (_, index) => ({ json: { n: index + 1 } }));

    const batchLoop = (extraNodes: ReturnType<typeof node>[] = [], extraEdges: ReturnType<typeof edge>[] = []) =>
      graph({
        nodes: [node('t', 'trigger'), node('loop', 'loop', { parameters: { batchSize: 2 } }), node('body', 'pass'), node('after', 'pass'), ...extraNodes],
        edges: [edge('t', 'loop'), edge('loop:loop', 'body'), edge('body', 'loop'), edge('loop:done', 'after'), ...extraEdges],
      });

    it('runs the loop body once per batch and exits with every item', async () => {
      const record = await run(batchLoop(), numbered(5));

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'loop').map((step) => step.activation)).toEqual([1, 2, 3, 4]);
      expect(stepsOf(record, 'body').map((step) => [step.activation, step.status, step.outputItemCount])).toEqual([
        [1, 'succeeded', 2],
        [2, 'succeeded', 2],
        [3, 'succeeded', 1],
        [4, 'skipped', null],
      ]);
      expect(stepsOf(record, 'after')).toHaveLength(1);
      expect(output(record).map((item) => item.json.n)).toEqual([1, 2, 3, 4, 5]);
      expect(output(record).every((item) => item.json.iterations === 4)).toBe(true);
      expect(output(record)[0]!.json.path).toEqual(['t', 'body', 'after']);
    });

    it('reruns a side branch of the loop body every iteration', async () => {
      const record = await run(batchLoop([node('side', 'pass')], [edge('body', 'side')]), numbered(4));

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'side').filter((step) => step.status === 'succeeded')).toHaveLength(2);
      expect(stepsOf(record, 'loop').at(-1)!.seq).toBeGreaterThan(stepsOf(record, 'side')[1]!.seq);
    });

    it('keeps inputs from outside the loop every iteration', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('outside', 'pass'), node('loop', 'loop', { parameters: { batchSize: 2 } }), node('m', 'merge'), node('after', 'pass')],
        edges: [edge('t', 'outside'), edge('t', 'loop'), edge('loop:loop', 'm:a'), edge('outside', 'm:b'), edge('m', 'loop'), edge('loop:done', 'after')],
      });
      const record = await run(document, numbered(3));
      const merges = stepsOf(record, 'm').filter((step) => step.status === 'succeeded');

      expect(record.status).toBe('succeeded');
      expect(merges.map((step) => (step.input as { itemCounts: Record<string, number> }).itemCounts)).toEqual([
        { a: 2, b: 3 },
        { a: 1, b: 3 },
      ]);
      expect(stepsOf(record, 'outside')).toHaveLength(1);
      expect(output(record)).toHaveLength(9);
    });

    it('gives each step of a loop body its own idempotency key per iteration', async () => {
      const record = await run(batchLoop(), numbered(3));
      const keys = stepsOf(record, 'body').map((step) => step.idempotencyKey);

      expect(new Set(keys).size).toBe(keys.length);
      expect(keys[0]).toBe(`${record.id}:body:1`);
    });

    it('fails the run when a loop reaches maxIterations', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('loop', 'loop', { name: 'Forever', parameters: { forever: true } }), node('body', 'pass')],
        edges: [edge('t', 'loop'), edge('loop:loop', 'body'), edge('body', 'loop')],
        settings: { maxIterations: 5 },
      });
      const record = await run(document);

      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'loop_limit', nodeName: 'Forever' });
      expect(record.error!.message).toContain('limit of 5 iterations');
      expect(stepsOf(record, 'loop')).toHaveLength(5);
    });

    it('runs a loop nested in another loop', async () => {
      const document = graph({
        nodes: [
          node('t', 'trigger'),
          node('outer', 'loop', { parameters: { batchSize: 1 } }),
          node('inner', 'loop', { parameters: { batchSize: 1 } }),
          node('work', 'pass'),
          node('collect', 'pass'),
          node('after', 'pass'),
        ],
        edges: [
          edge('t', 'outer'),
          edge('outer:loop', 'inner'),
          edge('inner:loop', 'work'),
          edge('work', 'inner'),
          edge('inner:done', 'collect'),
          edge('collect', 'outer'),
          edge('outer:done', 'after'),
        ],
      });
      const record = await run(document, numbered(2));

      expect(record.status).toBe('succeeded');
      expect(output(record).map((item) => item.json.n)).toEqual([1, 2]);
      expect(stepsOf(record, 'work').filter((step) => step.status === 'succeeded')).toHaveLength(2);
      expect(stepsOf(record, 'collect').filter((step) => step.status === 'succeeded')).toHaveLength(2);
      expect(stepsOf(record, 'after')).toHaveLength(1);
    });

    it('runs a sub-workflow as a child run and returns its output', async () => {
      stored.set('child', graph({ nodes: [node('ct', 'trigger'), node('mark', 'set', { parameters: { field: 'child', value: true } })], edges: [edge('ct', 'mark')] }));
      const document = graph({
        nodes: [node('t', 'trigger'), node('sub', 'subflow', { parameters: { graphId: 'child', version: 2 } }), node('after', 'pass')],
        edges: [edge('t', 'sub'), edge('sub', 'after')],
      });
      const record = await run(document, [{ json: { n: 1 } }, { json: { n: 2 } }]);
      const step = stepsOf(record, 'sub')[0]!;
      const child = await runs.get(workspaceId, step.childRunId!);

      expect(record.status).toBe('succeeded');
      expect(output(record)).toEqual([
        { json: { n: 1, path: ['t', 'ct', 'after'], child: true } },
        { json: { n: 2, path: ['t', 'ct', 'after'], child: true } },
      ]);
      expect(loads).toContainEqual({ graphId: 'child', version: 2 });
      expect(child).toMatchObject({ parentRunId: record.id, depth: 1, mode: 'subworkflow', status: 'succeeded', graphId: 'child' });
      expect(child.steps.map((s) => s.nodeId)).toEqual(['ct', 'mark']);
    });

    it('stops recursive sub-workflows at the depth limit naming the chain', async () => {
      stored.set('self', graph({ nodes: [node('st', 'trigger'), node('again', 'subflow', { name: 'Again', parameters: { graphId: 'self' } })], edges: [edge('st', 'again')] }));
      const document = graph({ nodes: [node('t', 'trigger'), node('sub', 'subflow', { parameters: { graphId: 'self' } })], edges: [edge('t', 'sub')] });
      const record = await run(document);
      const deepest = (await runs.list(workspaceId, { status: 'failed', limit: 20 })).items.find((item) => item.depth === 3)!;

      expect(record.status).toBe('failed');
      expect(record.error!.message).toContain('sub-workflow depth limit of 3 reached');
      expect(deepest.error).toMatchObject({ code: 'subworkflow_depth', nodeName: 'Again' });
      expect(deepest.error!.message).toContain('inline graph → self → self → self → self');
    });

    it('fails a sub-workflow node whose graph does not exist', async () => {
      const document = graph({ nodes: [node('t', 'trigger'), node('sub', 'subflow', { parameters: { graphId: 'missing' } })], edges: [edge('t', 'sub')] });
      const record = await run(document);

      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'not_found', nodeId: 'sub' });
      expect(record.error!.message).toContain("graph 'missing'");
    });
  });
});
