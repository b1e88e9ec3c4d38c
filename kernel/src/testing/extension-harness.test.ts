import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness } from '@mify/sdk/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../test-support/extensions.js';

const SAMPLE_WASM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../extensions/sample-wasm');

describe('extension test harness from @mify/sdk/testing', () => {
  const harnesses: Array<{ close(): Promise<void> }> = [];

  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  it('runs isolate node and route', async () => {
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

  it('passes ctx node, run and error codes', async () => {
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

  describe('node features the kernel supports', () => {
    /** Builds a manifest with one node type, whose fields `node` extends or overrides (such as control and output ports). */
    function nodeManifest(id: string, node: Record<string, unknown>, permissions: string[] = []) {
      return {
        permissions,
        contributes: {
          nodes: [{ type: `${id}.node`, typeVersion: 1, name: 'Node', description: 'Test node.', category: 'Test', inputs: ['main'], outputs: ['main'], parameters: { type: 'object' }, executionClass: 'deterministic', ...node }],
        },
      };
    }

    it('accepts usage beside the items', async () => {
      const harness = await createTestHarness({
        folder: writeIsolateExtension({
          id: 'acme.usage',
          manifest: nodeManifest('acme.usage', {}),
          code: `export default { nodes: { 'acme.usage.node': { execute(ctx, input) { return { items: input.items, usage: { inputTokens: 12, outputTokens: 3, costUsd: 0.001 } }; } } } };`,
        }),
      });
      harnesses.push(harness);

      const ports = await harness.runNode('acme.usage.node', { items: [{ json: { a: 1 } }] });
      const result = await harness.runNodeResult('acme.usage.node', { items: [{ json: { a: 1 } }] });

      expect(ports).toEqual({ main: [{ json: { a: 1 } }] });
      expect(result.usage).toEqual({ inputTokens: 12, outputTokens: 3, costUsd: 0.001 });
    });

    it('rejects malformed usage as the kernel does', async () => {
      const harness = await createTestHarness({
        folder: writeIsolateExtension({
          id: 'acme.badusage',
          manifest: nodeManifest('acme.badusage', {}),
          code: `export default { nodes: { 'acme.badusage.node': { execute(ctx, input) { return { items: input.items, usage: { costUsd: -1 } }; } } } };`,
        }),
      });
      harnesses.push(harness);

      const failure = await harness.runNode('acme.badusage.node', { items: [{ json: {} }] }).catch((error: Error) => error);

      expect((failure as Error).message).toContain('usage.costUsd must be a number of at least 0');
    });

    it('passes loop state and iteration', async () => {
      const harness = await createTestHarness({
        folder: writeIsolateExtension({
          id: 'acme.loop',
          manifest: nodeManifest('acme.loop', { control: 'loop', outputs: ['loop', 'done'] }),
          code: `export default { nodes: { 'acme.loop.node': { execute(ctx, input) {
            const seen = (input.state?.seen ?? 0) + input.items.length;
            return input.iteration >= 2 ? { done: [{ json: { seen, iteration: input.iteration } }], state: { seen } } : { loop: input.items, state: { seen } };
          } } } };`,
        }),
      });
      harnesses.push(harness);

      const first = await harness.runNodeResult('acme.loop.node', { items: [{ json: {} }, { json: {} }] });
      const second = await harness.runNodeResult('acme.loop.node', { items: [{ json: {} }], state: first.state, iteration: 2 });

      expect(first.ports.loop).toHaveLength(2);
      expect(first.state).toEqual({ seen: 2 });
      expect(second.ports.done).toEqual([{ json: { seen: 3, iteration: 2 } }]);
    });

    it('drives a wait node with resume', async () => {
      const harness = await createTestHarness({
        folder: writeIsolateExtension({
          id: 'acme.approve',
          manifest: nodeManifest('acme.approve', { control: 'wait' }),
          code: `export default { nodes: { 'acme.approve.node': { execute(ctx, input) {
            if (!input.resume) return { wait: { kind: 'approval', title: 'Check the refund', items: input.items, allowEdit: true } };
            return { items: (input.resume.items ?? input.items).map((item) => ({ json: { ...item.json, outcome: input.resume.outcome, by: input.resume.decidedBy } })) };
          } } } };`,
        }),
      });
      harnesses.push(harness);

      const waitResult = await harness.runNodeResult('acme.approve.node', { items: [{ json: { amount: 30 } }] });
      const blocked = await harness.runNode('acme.approve.node', { items: [{ json: { amount: 30 } }] }).catch((error: Error) => error);
      const resumed = await harness.runNode('acme.approve.node', {
        items: [{ json: { amount: 30 } }],
        resume: { waitId: 'wait_1', kind: 'approval', outcome: 'approved', items: [{ json: { amount: 25 } }], comment: null, decidedBy: 'user_1', decidedAt: '2030-01-01T00:00:00.000Z' },
      });

      expect(waitResult.wait).toEqual({ kind: 'approval', title: 'Check the refund', items: [{ json: { amount: 30 } }], allowEdit: true });
      expect(waitResult.ports).toEqual({});
      expect((blocked as Error).message).toContain('use runNodeResult to read the wait');
      expect(resumed).toEqual({ main: [{ json: { amount: 25, outcome: 'approved', by: 'user_1' } }] });
    });

    it('rejects resume for non-wait node', async () => {
      const harness = await createTestHarness({ folder: writeIsolateExtension({ id: 'acme.plain' }) });
      harnesses.push(harness);

      const failure = await harness
        .runNode('acme.plain.echo', { items: [], resume: { waitId: 'w', kind: 'resume', outcome: 'resumed', comment: null, decidedBy: null, decidedAt: '2030-01-01T00:00:00.000Z' } })
        .catch((error: Error) => error);

      expect((failure as Error).message).toContain('is not a wait node');
    });

    it('collects runs.progress deltas', async () => {
      const harness = await createTestHarness({
        folder: writeIsolateExtension({
          id: 'acme.progress',
          manifest: nodeManifest('acme.progress', {}),
          code: `export default { nodes: { 'acme.progress.node': { async execute(ctx, input) {
            const first = await ctx.host.runs.progress('Hel');
            await ctx.host.runs.progress('lo');
            return { items: [{ json: { recorded: first.recorded } }] };
          } } } };`,
        }),
      });
      harnesses.push(harness);

      const result = await harness.runNodeResult('acme.progress.node', { items: [] });

      expect(result.progress).toEqual(['Hel', 'lo']);
      expect(result.ports.main?.[0]?.json).toEqual({ recorded: true });
    });

    it('rejects a progress delta over 64 KiB', async () => {
      const harness = await createTestHarness({
        folder: writeIsolateExtension({
          id: 'acme.bigdelta',
          manifest: nodeManifest('acme.bigdelta', {}),
          code: `export default { nodes: { 'acme.bigdelta.node': { async execute(ctx) {
            try { await ctx.host.runs.progress('x'.repeat(64 * 1024 + 1)); return { items: [] }; }
            catch (error) { return { items: [{ json: { code: error.code, message: error.message } }] }; }
          } } } };`,
        }),
      });
      harnesses.push(harness);

      const result = await harness.runNodeResult('acme.bigdelta.node', { items: [] });

      expect(result.ports.main?.[0]?.json.code).toBe('invalid_argument');
      expect(String(result.ports.main?.[0]?.json.message)).toContain('at most 65536 characters');
      expect(result.progress).toEqual([]);
    });

    describe('private network option', () => {
      let server: http.Server;
      let url: string;

      beforeAll(async () => {
        server = http.createServer((_request, response) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"stub":true}');
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      });

      afterAll(async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });

      const fetcher = (id: string) =>
        writeIsolateExtension({
          id,
          manifest: nodeManifest(id, {}, ['http:fetch:127.0.0.1']),
          code: `export default { nodes: { '${id}.node': { async execute(ctx, input) {
            try { const response = await ctx.host.http.fetch(input.items[0].json.url); return { items: [{ json: { body: response.body } }] }; }
            catch (error) { return { items: [{ json: { code: error.code } }] }; }
          } } } };`,
        });

      it('blocks loopback stubs by default', async () => {
        const harness = await createTestHarness({ folder: fetcher('acme.blocked') });
        harnesses.push(harness);

        const output = await harness.runNode('acme.blocked.node', { items: [{ json: { url } }] });

        expect(output.main?.[0]?.json).toEqual({ code: 'address_blocked' });
      });

      it('reaches a loopback stub with allowPrivateNetwork', async () => {
        const harness = await createTestHarness({ folder: fetcher('acme.allowed'), allowPrivateNetwork: true });
        harnesses.push(harness);

        const output = await harness.runNode('acme.allowed.node', { items: [{ json: { url } }] });

        expect(output.main?.[0]?.json).toEqual({ body: '{"stub":true}' });
      });
    });
  });
});
