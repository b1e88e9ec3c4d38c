import { describe, expect, it, vi } from 'vitest';
import type { Item } from '../graphs/model.js';
import { withOutputJson } from '../extensions/runtime/output-json.js';
import { ItemsLimitError } from './executor/errors.js';
import { estimateJsonSize } from './executor/items.js';
import { hashStepInput, measureStepInput } from './executor/step-input.js';
import { ExtensionNodeRunner, normalizeRunOutput } from './extension-node-runner.js';
import { testNode } from './testing/acme-extension.js';
import type { NodeTypeInfo } from './types.js';

describe('normalizeRunOutput', () => {
  it('sends { items } to the first output port', () => {
    expect(normalizeRunOutput({ items: [{ json: { a: 1 } }] }, ['main', 'other'], 'N', null)).toEqual({ ports: { main: [{ json: { a: 1 } }], other: [] } });
  });

  it('takes items keyed by port', () => {
    expect(normalizeRunOutput({ false: [{ json: {} }] }, ['true', 'false'], 'N', null).ports).toEqual({ true: [], false: [{ json: {} }] });
  });

  it('separates usage and loop state from the ports', () => {
    const result = normalizeRunOutput({ loop: [{ json: {} }], usage: { tokens: 5, costUsd: 0.1, ignored: 'x' }, state: { pending: 2 } }, ['loop', 'done'], 'Loop', 'loop');

    expect(result).toEqual({ ports: { loop: [{ json: {} }], done: [] }, usage: { tokens: 5, costUsd: 0.1 }, state: { pending: 2 } });
  });

  it('treats state as a port name for nodes that are not loops', () => {
    expect(() => normalizeRunOutput({ items: [], state: {} }, ['main'], 'Plain', null)).toThrow(/^node 'Plain' returned invalid output/);
  });

  it('rejects an undeclared port naming the node', () => {
    expect(() => normalizeRunOutput({ nope: [] }, ['main'], 'Odd', null)).toThrow(/^node 'Odd' returned invalid output: .*"nope"/);
  });

  it('rejects an item without a json object', () => {
    expect(() => normalizeRunOutput({ items: [{ value: 1 }] }, ['main'], 'Odd', null)).toThrow(/Item 0 of output port "main"/);
  });

  it('rejects negative usage', () => {
    expect(() => normalizeRunOutput({ items: [], usage: { tokens: -1 } }, ['main'], 'Odd', null)).toThrow('usage.tokens must be a number of at least 0, got -1');
  });

  it('rejects output that is not an object', () => {
    expect(() => normalizeRunOutput(undefined, ['main'], 'Odd', null)).toThrow("node 'Odd' returned invalid output: expected { items } or items keyed by output port, got undefined");
  });
});

describe('ExtensionNodeRunner', () => {
  const type: NodeTypeInfo = { type: 'acme.test.loop', typeVersion: 1, extensionId: 'acme.test', inputs: ['main'], outputs: ['loop', 'done'], executionClass: 'deterministic', control: 'loop', parameters: { type: 'object' } };

  it('invokes the node with its input, node and run information', async () => {
    const calls: unknown[] = [];
    const runner = new ExtensionNodeRunner({
      invoke: async (extensionId, request, context) => {
        calls.push({ extensionId, request, context });
        return { done: [], state: { seen: 1 } };
      },
    });
    const node = { ...testNode('n1', 'loop', { name: 'Loop' }), position: { x: 0, y: 0 }, credentials: {}, settings: { onError: 'fail' as const, runOnEmptyInput: false } };
    const result = await runner.execute({
      node,
      type,
      parameters: { size: 2 },
      itemParameters: [{ size: 2 }],
      input: { items: [{ json: { a: 1 } }], ports: { main: [{ json: { a: 1 } }] } },
      loop: { state: { seen: 0 }, iteration: 2 },
      step: { runId: 'run_1', graphId: null, workspaceId: 'ws_1', stepId: 'step_1', idempotencyKey: 'run_1:n1:2', attempt: 1, signal: new AbortController().signal },
    });

    expect(result).toEqual({ ports: { loop: [], done: [] }, state: { seen: 1 } });
    expect(calls).toEqual([
      {
        extensionId: 'acme.test',
        request: {
          kind: 'node',
          name: 'acme.test.loop',
          input: {
            items: [{ json: { a: 1 } }],
            ports: { main: [{ json: { a: 1 } }] },
            parameters: { size: 2 },
            itemParameters: [{ size: 2 }],
            state: { seen: 0 },
            iteration: 2,
            node: { id: 'n1', name: 'Loop', type: 'acme.test.loop', typeVersion: 1, parameters: { size: 2 } },
            run: { id: 'run_1', workspaceId: 'ws_1', stepId: 'step_1', idempotencyKey: 'run_1:n1:2', attempt: 1 },
          },
        },
        context: { workspaceId: 'ws_1', runId: 'run_1', nodeId: 'n1', stepId: 'step_1' },
      },
    ]);
  });

  it('passes the step progress sink to the invocation', async () => {
    const contexts: unknown[] = [];
    const runner = new ExtensionNodeRunner({
      invoke: async (_extensionId, _request, context) => {
        contexts.push(context);
        await (context as { progress?: (delta: string) => Promise<boolean> }).progress?.('partial');
        return { items: [] };
      },
    });
    const deltas: string[] = [];

    await runner.execute({
      node: { id: 'n1', type: 'acme.test.echo', typeVersion: 1, name: 'Echo', parameters: {}, position: { x: 0, y: 0 }, settings: {} } as never,
      type: { extensionId: 'acme.test', outputs: ['main'], control: null } as never,
      parameters: {},
      input: { items: [], ports: { main: [] } },
      step: {
        runId: 'run_1', graphId: null, workspaceId: 'ws_1', stepId: 'step_1', idempotencyKey: 'run_1:n1:1', attempt: 1, signal: new AbortController().signal,
        progress: async (delta) => {
          deltas.push(delta);
          return true;
        },
      },
    });

    expect(deltas).toEqual(['partial']);
    expect(contexts[0]).toMatchObject({ stepId: 'step_1' });
  });

  describe('sandbox output JSON', () => {
    const limits = { maxItemsPerStep: 10_000, maxStepInputBytes: 1_000_000 };

    /**
     * Runs a node whose sandbox returned `json`, as the isolate runtime (`stringified`) or the
     * WASM runtime hands it over.
     */
    const runReturning = async (json: string, outputs: string[], options: { stringified?: boolean; audited?: boolean } = {}) => {
      const runner = new ExtensionNodeRunner({ invoke: async () => withOutputJson(JSON.parse(json) as unknown, json, { stringified: options.stringified ?? false }) });
      return runner.execute({
        node: { id: 'n1', type: 'acme.test.echo', typeVersion: 1, name: 'Echo', parameters: {}, position: { x: 0, y: 0 }, settings: {} } as never,
        type: { extensionId: 'acme.test', outputs, control: null } as never,
        parameters: {},
        input: { items: [], ports: { main: [] } },
        step: { runId: 'run_1', graphId: null, workspaceId: 'ws_1', stepId: 'step_1', idempotencyKey: 'run_1:n1:1', attempt: 1, signal: new AbortController().signal, audited: options.audited ?? false },
      });
    };
    const definition = { type: 'acme.test.next', typeVersion: 1, parameters: {} };

    it('sizes a sole port by its JSON', async () => {
      const json = JSON.stringify({ items: [{ json: { n: 1 } }, { json: { n: 22 } }] });

      const { ports } = await runReturning(json, ['main']);

      expect(measureStepInput({ main: ports.main! }, 'Next', limits)).toBe(2 + 'main'.length + 4 + json.length);
    });

    it('sizes stringified port by its text', async () => {
      const json = JSON.stringify({ items: [{ json: { n: 1 } }, { json: { n: 22 } }] });

      const { ports } = await runReturning(json, ['main'], { stringified: true });

      expect(measureStepInput({ main: ports.main! }, 'Next', limits)).toBe(2 + 'main'.length + 4 + JSON.stringify(ports.main).length);
    });

    it('hashes audited port from its text', async () => {
      const json = JSON.stringify({ main: [{ json: { a: [1.5, 'x'], b: 1 } }] });

      const { ports } = await runReturning(json, ['main'], { stringified: true, audited: true });
      const stringify = vi.spyOn(JSON, 'stringify');
      const hash = hashStepInput(definition, { main: ports.main! }, 'Next', limits).hash;
      const serialisedItems = stringify.mock.calls.filter(([value]) => Array.isArray(value));
      stringify.mockRestore();

      expect(serialisedItems).toEqual([]);
      expect(hash).toBe(hashStepInput(definition, { main: JSON.parse(json).main as Item[] }, 'Next', limits).hash);
    });

    it('hashes other output by serialising', async () => {
      // Text from a WebAssembly plugin may be spaced differently, so the items are serialised again.
      const json = '{ "items": [ { "json": { "n": 1 } } ] }';

      const { ports } = await runReturning(json, ['main'], { stringified: false, audited: true });

      expect(hashStepInput(definition, { main: ports.main! }, 'Next', limits).hash).toBe(hashStepInput(definition, { main: [{ json: { n: 1 } }] }, 'Next', limits).hash);
    });

    it('walks items on several ports', async () => {
      const json = JSON.stringify({ true: [{ json: { n: 1 } }], false: [{ json: { n: 2 } }] });

      const { ports } = await runReturning(json, ['true', 'false']);

      expect(measureStepInput({ main: ports.true! }, 'Next', limits)).toBe(2 + 'main'.length + 4 + estimateJsonSize(ports.true!, Number.POSITIVE_INFINITY));
    });

    it('rejects a sole port past the limit', async () => {
      const json = JSON.stringify({ items: [{ json: { text: 'x'.repeat(2_000) } }] });

      const { ports } = await runReturning(json, ['main']);

      expect(() => measureStepInput({ main: ports.main! }, 'Next', { ...limits, maxStepInputBytes: 1_500 })).toThrow(ItemsLimitError);
    });
  });
});
