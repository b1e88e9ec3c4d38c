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
});
