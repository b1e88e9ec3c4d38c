import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import { MAX_TRACE_ENTRIES_PER_STEP } from './trace.js';

interface StepBody {
  nodeId: string;
  status: string;
  trace: Array<Record<string, unknown>>;
  output: { ports: { main: Array<{ json: Record<string, unknown> }> } } | null;
}

/**
 * A node that calls runs.trace once per batch in its `batches` parameter and returns each
 * call's result, or the error of the first call that failed.
 */
const TRACER_CODE = `export default { nodes: { 'acme.tracer.echo': { async execute(ctx, input) {
  const results = [];
  for (const batch of input.parameters.batches ?? []) {
    try { results.push(await ctx.host.runs.trace(batch)); }
    catch (error) { return { items: [{ json: { results, error: { code: error.code, message: error.message } } }] }; }
  }
  return { items: [{ json: { results } }] };
} } } };`;

describe.each(databaseBackends)('runs.trace on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let cookie: string;
    let workspaceId: string;

    async function runTracer(batches: unknown[]): Promise<{ runId: string; step: StepBody }> {
      const graph = { nodes: [{ id: 'tracer', name: 'Tracer', type: 'acme.tracer.echo', typeVersion: 1, parameters: { batches } }], edges: [] };
      const started = await t.fetch('/api/runs', { method: 'POST', cookie, json: { graph, wait: true } });
      const run = (await started.json()) as { id: string; status: string };
      expect(started.status, JSON.stringify(run)).toBe(201);
      const details = (await (await t.fetch(`/api/runs/${run.id}`, { cookie })).json()) as { steps: StepBody[] };
      return { runId: run.id, step: details.steps.find((step) => step.nodeId === 'tracer')! };
    }

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t);
      cookie = owner.cookie;
      workspaceId = owner.workspace.id;
      await t.kernel.services.extensionHost.install({
        folder: writeIsolateExtension({ id: 'acme.tracer', manifest: { limits: { memoryLimitMb: 32, timeoutMs: 5000 } }, code: TRACER_CODE }),
      });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('stores entries with the step in order', async () => {
      const { step } = await runTracer([[{ type: 'thought', text: 'look it up' }, { type: 'tool_call', tool: 'search', arguments: { q: 'mify' } }], [{ type: 'observation', text: 'found' }]]);

      expect(step.status).toBe('succeeded');
      expect(step.output!.ports.main[0]!.json.results).toEqual([{ recorded: 2, dropped: 0 }, { recorded: 1, dropped: 0 }]);
      expect(step.trace.map((entry) => [entry.seq, entry.type])).toEqual([[1, 'thought'], [2, 'tool_call'], [3, 'observation']]);
      expect(step.trace[1]).toMatchObject({ tool: 'search', arguments: { q: 'mify' } });
      expect(Number.isNaN(Date.parse(String(step.trace[0]!.at)))).toBe(false);
    });

    it('returns the trace in the run history', async () => {
      const { runId } = await runTracer([[{ type: 'final_answer', text: '42' }]]);

      const history = (await (await t.fetch(`/api/temporal-time-travel/history/${runId}`, { cookie })).json()) as { steps: StepBody[] };

      expect(history.steps.find((step) => step.nodeId === 'tracer')!.trace).toMatchObject([{ type: 'final_answer', text: '42', seq: 1 }]);
    });

    it('rejects an entry without type', async () => {
      const { step } = await runTracer([[{ text: 'no type' }]]);

      expect(step.output!.ports.main[0]!.json.error).toMatchObject({ code: 'invalid_argument' });
      expect(step.trace).toEqual([]);
    });

    it('rejects more than 100 entries in one call', async () => {
      const { step } = await runTracer([Array.from({ length: 101 }, (_, index) => ({ type: 'thought', index }))]);

      expect(step.output!.ports.main[0]!.json.error).toMatchObject({ code: 'invalid_argument' });
      expect((step.output!.ports.main[0]!.json.error as { message: string }).message).toContain('at most 100 entries');
    });

    it('drops entries past the step limit', async () => {
      const calls = MAX_TRACE_ENTRIES_PER_STEP / 100 + 1;
      const batches = Array.from({ length: calls }, (_, call) => Array.from({ length: 100 }, (_, index) => ({ type: 'thought', n: call * 100 + index })));

      const { step } = await runTracer(batches);

      const results = step.output!.ports.main[0]!.json.results as Array<{ recorded: number; dropped: number }>;
      expect(results.at(-2)).toEqual({ recorded: 100, dropped: 0 });
      expect(results.at(-1)).toEqual({ recorded: 0, dropped: 100 });
      expect(step.trace).toHaveLength(MAX_TRACE_ENTRIES_PER_STEP);
      expect(step.trace.at(-1)).toMatchObject({ n: MAX_TRACE_ENTRIES_PER_STEP - 1, seq: MAX_TRACE_ENTRIES_PER_STEP });
    });

    it('records nothing outside a run', async () => {
      const output = (await t.kernel.services.extensionHost.invoke('acme.tracer', { kind: 'node', name: 'acme.tracer.echo', input: { items: [{ json: {} }], parameters: { batches: [[{ type: 'thought' }]] } } }, { workspaceId })) as {
        items: Array<{ json: { results: unknown[] } }>;
      };

      expect(output.items[0]!.json.results).toEqual([{ recorded: 0, dropped: 0 }]);
    });

    it('records nothing for a run of another workspace', async () => {
      const { runId } = await runTracer([]);
      const other = await t.fetch('/api/workspaces', { method: 'POST', cookie, json: { name: 'Beta' } });
      const otherWorkspace = ((await other.json()) as { id: string }).id;

      const output = (await t.kernel.services.extensionHost.invoke(
        'acme.tracer',
        { kind: 'node', name: 'acme.tracer.echo', input: { items: [{ json: {} }], parameters: { batches: [[{ type: 'thought' }]] } } },
        { workspaceId: otherWorkspace, runId, nodeId: 'tracer', stepId: 'step_foreign' },
      )) as { items: Array<{ json: { results: unknown[] } }> };

      expect(other.status).toBe(201);
      expect(output.items[0]!.json.results).toEqual([{ recorded: 0, dropped: 0 }]);
    });
  });
});
