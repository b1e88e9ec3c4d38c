import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, MifyGraph } from '../../graphs/model.js';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import type { RunService } from '../run-service.js';
import type { RunRecord, StepRow } from '../run-store.js';
import { ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';

type RecordedItems = { items: Item[]; itemCount: number; truncated: boolean };

/** Items flow, branching, merging, pinned data, disabled nodes and expressions, run by the real executor with real isolate extensions. */
describe.each(databaseBackends)('executor flow on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let workspaceId: string;
    let runs: RunService;

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      workspaceId = (await setupOwner(t)).workspace.id;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
      runs = t.kernel.services.runService;
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

    it('passes items along a chain in order', async () => {
      const record = await run(graph({ nodes: [node('t', 'trigger'), node('a', 'pass'), node('b', 'pass')], edges: [edge('t', 'a'), edge('a', 'b')] }), [{ json: { n: 1 } }, { json: { n: 2 } }]);

      expect(record.status).toBe('succeeded');
      expect(output(record)).toEqual([{ json: { n: 1, path: ['t', 'a', 'b'] } }, { json: { n: 2, path: ['t', 'a', 'b'] } }]);
      expect(record.steps.map((step) => [step.seq, step.nodeId, step.status])).toEqual([
        [1, 't', 'succeeded'],
        [2, 'a', 'succeeded'],
        [3, 'b', 'succeeded'],
      ]);
    });

    it('routes items by an if node and skips the empty branch', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('if', 'if', { parameters: { field: 'ok' } }), node('yes', 'pass'), node('no', 'pass')],
        edges: [edge('t', 'if'), edge('if:true', 'yes'), edge('if:false', 'no')],
      });
      const record = await run(document, [{ json: { ok: true, n: 1 } }, { json: { ok: true, n: 2 } }]);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'yes')[0]!.status).toBe('succeeded');
      expect(stepsOf(record, 'yes')[0]!.outputItemCount).toBe(2);
      expect(stepsOf(record, 'no')[0]!.status).toBe('skipped');
      expect(output(record).map((item) => item.json.n)).toEqual([1, 2]);
    });

    it('routes items by a switch node to several ports', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('sw', 'switch', { parameters: { field: 'k' } }), node('a', 'pass'), node('b', 'pass'), node('other', 'pass')],
        edges: [edge('t', 'sw'), edge('sw:a', 'a'), edge('sw:b', 'b'), edge('sw:other', 'other')],
      });
      const record = await run(document, [{ json: { k: 'b' } }, { json: { k: 'a' } }, { json: { k: 'z' } }]);

      expect(stepsOf(record, 'a')[0]!.outputItemCount).toBe(1);
      expect(stepsOf(record, 'b')[0]!.outputItemCount).toBe(1);
      expect(stepsOf(record, 'other')[0]!.outputItemCount).toBe(1);
      expect(output(record).map((item) => item.json.k)).toEqual(['a', 'b', 'z']);
    });

    it('runs a node with runOnEmptyInput when it gets no items', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('if', 'if', { parameters: { field: 'ok' } }), node('always', 'set', { parameters: { field: 'ran', value: true }, settings: { runOnEmptyInput: true } })],
        edges: [edge('t', 'if'), edge('if:true', 'always')],
      });
      const record = await run(document, [{ json: { ok: false } }]);

      expect(stepsOf(record, 'always')[0]!.status).toBe('succeeded');
      expect(stepsOf(record, 'always')[0]!.outputItemCount).toBe(0);
    });

    it('waits for every input of a merge', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('left', 'pass'), node('slow', 'sleep', { parameters: { ms: 30 } }), node('m', 'merge')],
        edges: [edge('t', 'left'), edge('t', 'slow'), edge('left', 'm:a'), edge('slow', 'm:b')],
      });
      const record = await run(document, [{ json: { n: 1 } }]);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'm')).toHaveLength(1);
      expect(output(record).map((item) => item.json.path)).toEqual([
        ['t', 'left', 'm'],
        ['t', 'slow', 'm'],
      ]);
    });

    it('fires a first-mode merge on the first input and ignores the later one', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('left', 'pass'), node('right', 'pass'), node('m', 'merge', { parameters: { mode: 'first' } })],
        edges: [edge('t', 'left'), edge('t', 'right'), edge('left', 'm:a'), edge('right', 'm:b')],
      });
      const record = await run(document, [{ json: { n: 1 } }]);
      const merge = stepsOf(record, 'm');

      expect(merge).toHaveLength(1);
      expect(stepsOf(record, 'right')[0]!.status).toBe('succeeded');
      expect((merge[0]!.input as { itemCounts: Record<string, number> }).itemCounts).toEqual({ a: 1, b: 0 });
      expect(output(record).filter((item) => (item.json.path as string[]).includes('m'))).toEqual([{ json: { n: 1, path: ['t', 'left', 'm'] } }]);
    });

    it('runs a merge with one input pinned and the other never run', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('pinned', 'fail'), node('if', 'if', { parameters: { field: 'go' } }), node('never', 'fail'), node('m', 'merge')],
        edges: [edge('t', 'pinned'), edge('t', 'if'), edge('if:true', 'never'), edge('pinned', 'm:a'), edge('never', 'm:b')],
        pinnedData: { pinned: [{ json: { from: 'pin' } }] },
      });
      const record = await run(document, [{ json: { go: false } }]);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'pinned')[0]).toMatchObject({ status: 'succeeded', pinned: true, outputItemCount: 1 });
      expect(stepsOf(record, 'never')[0]!.status).toBe('skipped');
      expect(output(record)).toEqual([{ json: { from: 'pin', path: ['m'] } }]);
    });

    it('runs a first-mode merge whose only pinned input comes from a root', async () => {
      const document = graph({
        nodes: [node('source', 'fail'), node('other', 'fail'), node('m', 'merge', { parameters: { mode: 'first' } })],
        edges: [edge('source', 'm:a'), edge('other', 'm:b')],
        pinnedData: { source: [{ json: { n: 7 } }] },
      });
      const record = await run(document, []);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'other')[0]!.status).toBe('skipped');
      expect(output(record)).toEqual([{ json: { n: 7, path: ['m'] } }]);
    });

    it('passes the first input through a disabled node', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('off', 'fail', { disabled: true }), node('after', 'pass')],
        edges: [edge('t', 'off'), edge('off', 'after')],
      });
      const record = await run(document, [{ json: { n: 1 } }]);

      expect(record.status).toBe('succeeded');
      expect(stepsOf(record, 'off')[0]).toMatchObject({ status: 'succeeded', disabled: true });
      expect(output(record)).toEqual([{ json: { n: 1, path: ['t', 'after'] } }]);
    });

    it('resolves expressions per item', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('s', 'set', { parameters: { field: 'greeting', value: '={{ "hi " + $json.name + " #" + $itemIndex + " " + $vars.suffix }}' } })],
        edges: [edge('t', 's')],
        settings: { variables: { suffix: '!' } },
      });
      const record = await run(document, [{ json: { name: 'ann' } }, { json: { name: 'bo' } }]);

      expect(record.status).toBe('succeeded');
      expect(output(record).map((item) => item.json.greeting)).toEqual(['hi ann #0 !', 'hi bo #1 !']);
    });

    it('gives expressions the output of earlier nodes by name', async () => {
      const document = graph({
        nodes: [node('t', 'trigger', { name: 'Start' }), node('s', 'set', { parameters: { field: 'first', value: '={{ $node["Start"].json.name }}' } })],
        edges: [edge('t', 's')],
      });
      const record = await run(document, [{ json: { name: 'ann' } }, { json: { name: 'bo' } }]);

      expect(output(record).map((item) => item.json.first)).toEqual(['ann', 'ann']);
    });

    it('fails the step naming the node and parameter when an expression fails', async () => {
      const document = graph({
        nodes: [node('t', 'trigger'), node('s', 'set', { name: 'Set greeting', parameters: { value: '={{ $json.missing.deeper }}' } })],
        edges: [edge('t', 's')],
      });
      const record = await run(document);
      const step = stepsOf(record, 's')[0]!;

      expect(record.status).toBe('failed');
      expect(step.status).toBe('failed');
      expect(record.error!.nodeName).toBe('Set greeting');
      expect(record.error!.message).toContain('Set greeting');
      expect(record.error!.message).toContain('value');
    });

    it('rejects a graph with a cycle that passes no loop node', async () => {
      const document = graph({ nodes: [node('a', 'pass'), node('b', 'pass')], edges: [edge('a', 'b'), edge('b', 'a')] });

      await expect(runs.start({ workspaceId, graph: executable(workspaceId, document), input: [], mode: 'manual', createdBy: null })).rejects.toMatchObject({ code: 'invalid_graph', status: 422 });
    });
  });
});
