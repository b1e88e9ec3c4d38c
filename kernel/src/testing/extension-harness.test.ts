import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness } from '@mify/sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../test-support/extensions.js';

const SAMPLE_WASM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../extensions/sample-wasm');

describe('extension test harness from @mify/sdk/testing', () => {
  const harnesses: Array<{ close(): Promise<void> }> = [];

  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  it('runs an isolate node and a route in the production sandbox', async () => {
    const harness = await createTestHarness({ folder: writeIsolateExtension({ id: 'acme.harness' }) });
    harnesses.push(harness);

    const output = await harness.runNode('acme.harness.echo', { items: [{ json: { n: 1 } }] });
    const route = await harness.callRoute('GET', 'hello/ada');

    expect(output).toEqual({ main: [{ json: { n: 1, version: '1.0.0' } }] });
    expect(route).toEqual({ status: 200, body: { greeting: 'hello ada' } });
  });

  it('runs the WASM sample node', async () => {
    const harness = await createTestHarness({ folder: SAMPLE_WASM });
    harnesses.push(harness);

    const output = await harness.runNode('mify.sample-wasm.text-stats', { items: [{ json: { text: 'ab cd' } }], parameters: { transform: 'reverse' } });

    expect(output.main?.[0]?.json).toMatchObject({ text: 'dc ba' });
  });

  it('enforces manifest permissions through the host API', async () => {
    const harness = await createTestHarness({
      folder: writeIsolateExtension({
        id: 'acme.nokv',
        code: `export default { nodes: { 'acme.nokv.echo': { async execute(ctx, input) {
          try { await ctx.host.call('kv.set', ['k', 1]); return { items: [{ json: { wrote: true } }] }; }
          catch (error) { return { items: [{ json: { error: String(error.message) } }] }; }
        } } } };`,
      }),
    });
    harnesses.push(harness);

    const output = await harness.runNode('acme.nokv.echo', { items: [{ json: {} }] });
    const calls = await harness.hostCalls();

    expect(String(output.main?.[0]?.json.error)).toContain('kv:write');
    expect(calls).toContainEqual({ action: 'host.kv.set', allowed: false });
  });

  it('gives nodes their node and run on ctx and keeps error codes', async () => {
    const harness = await createTestHarness({
      folder: writeIsolateExtension({
        id: 'acme.ctx',
        code: `export default {
          nodes: { 'acme.ctx.echo': { execute(ctx, input) {
            if (input.items[0].json.fail) { const error = new Error('quota exhausted'); error.code = 'quota_exhausted'; throw error; }
            return { items: [{ json: { nodeId: ctx.node.id, key: ctx.run.idempotencyKey, workspace: ctx.run.workspaceId } }] };
          } } },
          routes: { 'GET hello/:name': { handle(ctx) { return { status: 200, body: { workspaceId: ctx.workspaceId, requestId: ctx.requestId } }; } } },
        };`,
      }),
    });
    harnesses.push(harness);

    const output = await harness.runNode('acme.ctx.echo', { items: [{ json: {} }] });
    const failure = await harness.runNode('acme.ctx.echo', { items: [{ json: { fail: true } }] }).catch((error: Error & { cause?: { code?: string } }) => error);
    const route = await harness.callRoute('GET', 'hello/x');

    expect(output.main?.[0]?.json).toEqual({ nodeId: 'node_1', key: 'run_test_1:node_1:1', workspace: 'ws_test' });
    expect((failure as Error).message).toContain('quota exhausted');
    expect((failure as { cause?: { code?: string } }).cause?.code).toBe('quota_exhausted');
    expect(route.body).toEqual({ workspaceId: null, requestId: 'test-request' });
  });
});
