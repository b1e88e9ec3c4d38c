import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, MifyGraph } from '../../graphs/model.js';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import type { RunService } from '../run-service.js';
import type { StepRow } from '../run-store.js';
import { ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';

/** Step input limit for these tests, in bytes. The configuration accepts 1024 or more. */
const MAX_STEP_INPUT_BYTES = 2_048;
const tooLarge = (nodeName: string) =>
  `input too large: the items that reach node '${nodeName}' are more than 2 KiB of JSON (MIFY_RUN_MAX_STEP_INPUT_BYTES); split the input with a loop node`;

/** Input hashes by rigor, and the input size limit, run by the real executor with real isolate extensions. */
describe.each(databaseBackends)('executor step inputs on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let workspaceId: string;
    let runs: RunService;

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_RUN_MAX_STEP_INPUT_BYTES: String(MAX_STEP_INPUT_BYTES) } });
      workspaceId = (await setupOwner(t)).workspace.id;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
      runs = t.kernel.services.runService;
    });

    afterAll(async () => {
      await t?.close();
    });

    const run = async (document: MifyGraph, input: Item[] = [{ json: {} }]) =>
      runs.get(workspaceId, (await runs.start({ workspaceId, graph: executable(workspaceId, document), input, mode: 'manual', createdBy: null, waitForCompletion: true })).id);
    const stepOf = (record: { steps: StepRow[] }, nodeId: string) => record.steps.find((step) => step.nodeId === nodeId)!;
    /** Trigger, then a node that adds `text` of `chars` characters to each item, then `after`. */
    const textGraph = (chars: number, rigor: 'audited' | 'experimental', after: { nodes: MifyGraph['nodes']; edges: MifyGraph['edges'] }) =>
      graph({
        nodes: [node('t', 'trigger'), node('text', 'set', { parameters: { field: 'text', value: 'x'.repeat(chars) } }), ...after.nodes],
        edges: [edge('t', 'text'), ...after.edges],
        settings: { rigor },
      });

    it('hashes inputs of audited runs only', async () => {
      const document = (rigor: 'audited' | 'experimental') => graph({ nodes: [node('t', 'trigger'), node('p', 'pass')], edges: [edge('t', 'p')], settings: { rigor } });
      const audited = await run(document('audited'));
      const experimental = await run(document('experimental'));

      expect(stepOf(audited, 't').inputHash).toMatch(/^[0-9a-f]{64}$/);
      expect(stepOf(audited, 'p').inputHash).toMatch(/^[0-9a-f]{64}$/);
      expect(stepOf(experimental, 't').inputHash).toBeNull();
      expect(stepOf(experimental, 'p').inputHash).toBeNull();
      expect(experimental.status).toBe('succeeded');
    });

    it.each(['audited', 'experimental'] as const)('rejects produced items over size limit at %s rigor', async (rigor) => {
      const record = await run(textGraph(3_000, rigor, { nodes: [node('next', 'pass', { name: 'Next' })], edges: [edge('text', 'next')] }));

      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'items_limit', nodeName: 'Next' });
      expect(record.error!.message).toBe(tooLarge('Next'));
      expect(stepOf(record, 'text').status).toBe('succeeded');
      expect(stepOf(record, 'next')).toMatchObject({ status: 'failed', input: null, inputHash: null });
    });

    it('accepts produced items under size limit', async () => {
      const record = await run(textGraph(1_500, 'experimental', { nodes: [node('next', 'pass', { name: 'Next' })], edges: [edge('text', 'next')] }));

      expect(record.status).toBe('succeeded');
    });

    it('rejects items passed along to two ports over size limit', async () => {
      // Each port alone stays under the limit, and the merge node receives the same items array on both.
      const record = await run(textGraph(1_500, 'experimental', { nodes: [node('both', 'merge', { name: 'Both' })], edges: [edge('text', 'both:a'), edge('text', 'both:b')] }));

      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'items_limit', nodeName: 'Both' });
      expect(record.error!.message).toBe(tooLarge('Both'));
    });

    it('rejects items passed along by a disabled node over size limit', async () => {
      const record = await run(
        textGraph(3_000, 'experimental', {
          nodes: [node('off', 'pass', { disabled: true }), node('next', 'pass', { name: 'Next' })],
          edges: [edge('text', 'off'), edge('off', 'next')],
        }),
      );

      expect(record.error).toMatchObject({ code: 'items_limit', nodeName: 'Next' });
      expect(stepOf(record, 'off')).toMatchObject({ status: 'succeeded', disabled: true });
    });

    it('rejects run input over size limit', async () => {
      const document = graph({ nodes: [node('t', 'trigger', { name: 'Start' })], edges: [], settings: { rigor: 'experimental' } });
      const record = await run(document, [{ json: { text: 'x'.repeat(3_000) } }]);

      expect(record.error).toMatchObject({ code: 'items_limit', nodeName: 'Start' });
      expect(record.error!.message).toBe(tooLarge('Start'));
    });
  });
});
