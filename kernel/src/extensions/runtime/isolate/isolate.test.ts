import { afterEach, describe, expect, it, vi } from 'vitest';

import { ValidationError } from '../../../errors.js';
import { createLogger } from '../../../logger.js';
import { ExtensionCallError, type HostBridge } from '../types.js';
import {
  createIsolateRuntime,
  ExtensionRuntimeDisposedError,
  type IsolateRuntime,
  type IsolateRuntimeOptions,
  MAX_MEMORY_LIMIT_MB,
  MAX_POOL_SIZE,
  MAX_TIMEOUT_MS,
  MAX_WALL_TIMEOUT_MS,
  MIN_MEMORY_LIMIT_MB,
  resolveIsolateLimits,
  SandboxError,
} from './index.js';

const logger = createLogger({ level: 'silent' });
const runtimes: IsolateRuntime[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.dispose()));
});

/** Wraps the source of an object literal as a bundle whose default export is that object. */
function bundle(extensionObject: string): string {
  return `export default ${extensionObject};\n`;
}

async function start(code: string, options: Partial<IsolateRuntimeOptions> = {}): Promise<IsolateRuntime> {
  const runtime = await createIsolateRuntime({
    extensionId: 'test.extension',
    code,
    limits: { memoryLimitMb: 64, timeoutMs: 1_000 },
    logger,
    ...options,
  });
  runtimes.push(runtime);
  return runtime;
}

interface RecordedCall {
  method: string;
  args: unknown[];
}

/** Creates a HostBridge from a table of handlers. Unknown methods reject, as a failed permission check would. */
function testBridge(handlers: Record<string, (...args: unknown[]) => unknown> = {}): HostBridge & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    async call(method, args) {
      calls.push({ method, args });
      const handler = handlers[method];
      if (handler === undefined) throw new Error(`Host method ${method} is not allowed for this extension.`);
      return handler(...args);
    },
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ExtensionCallError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(ExtensionCallError);
  return error as ExtensionCallError;
}

const ECHO = bundle(`{
  nodes: {
    echo: { execute(ctx, input) { return { input, extensionId: ctx.extensionId, kind: ctx.kind, name: ctx.name }; } },
  },
}`);

describe('isolate runtime invoke', () => {
  it('runs a node with its input', async () => {
    const runtime = await start(ECHO);

    const output = await runtime.invoke({ kind: 'node', name: 'echo', input: { a: [1, 'two', null] } }, testBridge());

    expect(output).toEqual({ input: { a: [1, 'two', null] }, extensionId: 'test.extension', kind: 'node', name: 'echo' });
  });

  it('sends a node its items once', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        look: { execute(ctx, input) { return { keys: Object.keys(input).sort(), shared: input.items === input.ports.main, items: input.items }; } },
      },
    }`));
    const items = [{ json: { n: 1 } }, { json: { n: 2 } }];

    const shared = await runtime.invoke({ kind: 'node', name: 'look', input: { items, ports: { other: [], main: items }, parameters: {} } }, testBridge());
    const apart = await runtime.invoke({ kind: 'node', name: 'look', input: { items: structuredClone(items), ports: { main: items }, parameters: {} } }, testBridge());

    expect(shared).toEqual({ keys: ['items', 'parameters', 'ports'], shared: true, items });
    expect(apart).toEqual({ keys: ['items', 'parameters', 'ports'], shared: false, items });
  });

  it('dispatches every contribution kind to its method', async () => {
    const runtime = await start(bundle(`{
      nodes: { n: { execute: (ctx, input) => 'node:' + input } },
      routes: { r: { handle: (ctx, request) => 'route:' + request } },
      triggers: { t: { handle: (ctx, event) => 'trigger:' + event } },
      importers: { i: { import: (ctx, input) => 'importer:' + input } },
      providers: { p: { call: (ctx, input) => 'provider:' + input } },
      hooks: { h: (ctx, input) => 'hook:' + input },
    }`));
    const bridge = testBridge();

    await expect(runtime.invoke({ kind: 'node', name: 'n', input: 1 }, bridge)).resolves.toBe('node:1');
    await expect(runtime.invoke({ kind: 'route', name: 'r', input: 2 }, bridge)).resolves.toBe('route:2');
    await expect(runtime.invoke({ kind: 'trigger', name: 't', input: 3 }, bridge)).resolves.toBe('trigger:3');
    await expect(runtime.invoke({ kind: 'importer', name: 'i', input: 4 }, bridge)).resolves.toBe('importer:4');
    await expect(runtime.invoke({ kind: 'provider', name: 'p', input: 5 }, bridge)).resolves.toBe('provider:5');
    await expect(runtime.invoke({ kind: 'hook', name: 'h', input: 6 }, bridge)).resolves.toBe('hook:6');
  });

  it('awaits async node results and allows undefined', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        later: { async execute() { await null; return { done: true }; } },
        nothing: { execute() {} },
      },
    }`));

    await expect(runtime.invoke({ kind: 'node', name: 'later', input: null }, testBridge())).resolves.toEqual({ done: true });
    await expect(runtime.invoke({ kind: 'node', name: 'nothing', input: null }, testBridge())).resolves.toBeUndefined();
  });

  it('reports unknown names as not_found', async () => {
    const runtime = await start(ECHO);
    const bridge = testBridge();

    for (const name of ['missing', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const error = await failureOf(runtime.invoke({ kind: 'node', name, input: null }, bridge));
      expect(error.reason).toBe('not_found');
      expect(error.message).toContain("Extension 'test.extension'");
    }
    const routeError = await failureOf(runtime.invoke({ kind: 'route', name: 'echo', input: null }, bridge));
    expect(routeError.reason).toBe('not_found');
    const kindError = await failureOf(runtime.invoke({ kind: 'widget' as 'node', name: 'echo', input: null }, bridge));
    expect(kindError.reason).toBe('not_found');
    // A missing contribution does not mean the isolate is broken, so it is kept.
    expect(runtime.stats().created).toBe(1);
  });

  it('rejects input that is not JSON before running', async () => {
    const runtime = await start(ECHO);

    await expect(runtime.invoke({ kind: 'node', name: 'echo', input: { big: 1n } }, testBridge())).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('isolate runtime host calls', () => {
  it('round-trips an awaited host call', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        read: {
          async execute(ctx, input) {
            const viaCall = await ctx.host.call('kv.get', [input.key]);
            const viaShortcut = await ctx.host.kv.get(input.key);
            await ctx.host.kv.set(input.key, { count: viaCall.count + 1 });
            return { viaCall, viaShortcut };
          },
        },
      },
    }`));
    const store = new Map<unknown, unknown>([['k', { count: 1 }]]);
    const bridge = testBridge({
      'kv.get': async (key) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return store.get(key);
      },
      'kv.set': (key, value) => {
        store.set(key, value);
      },
    });

    const output = await runtime.invoke({ kind: 'node', name: 'read', input: { key: 'k' } }, bridge);

    expect(output).toEqual({ viaCall: { count: 1 }, viaShortcut: { count: 1 } });
    expect(bridge.calls.map((call) => call.method)).toEqual(['kv.get', 'kv.get', 'kv.set']);
    expect(store.get('k')).toEqual({ count: 2 });
  });

  it('forwards ctx.log and console to log host methods', async () => {
    const runtime = await start(bundle(`{
      nodes: { talk: { execute(ctx) { ctx.log.info('hello', { step: 1 }); console.log('from console', { a: 1 }); console.error('oops'); return 'ok'; } } },
    }`));
    const lines: RecordedCall[] = [];
    const bridge: HostBridge = {
      async call(method, args) {
        lines.push({ method, args });
      },
    };

    await runtime.invoke({ kind: 'node', name: 'talk', input: null }, bridge);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(lines).toEqual([
      { method: 'log.info', args: ['hello', { step: 1 }] },
      { method: 'log.info', args: ['from console {"a":1}'] },
      { method: 'log.error', args: ['oops'] },
    ]);
  });

  it('builds ctx.host shortcuts from hostMethods', async () => {
    const runtime = await start(bundle(`{
      nodes: { shape: { execute(ctx) { return { namespaces: Object.keys(ctx.host), frozen: Object.isFrozen(ctx) && Object.isFrozen(ctx.host) && Object.isFrozen(ctx.host.vectors) }; } } },
    }`), { hostMethods: ['vectors.search', 'vectors.upsert'] });

    const shape = await runtime.invoke({ kind: 'node', name: 'shape', input: null }, testBridge());

    expect(shape).toEqual({ namespaces: ['call', 'vectors'], frozen: true });
  });

  it('rejects hostMethods that are not namespace.method', async () => {
    for (const hostMethods of [['kv'], ['call.x'], ['kv.get.deep'], ['']]) {
      await expect(start(ECHO, { hostMethods }), JSON.stringify(hostMethods)).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('rejects host calls with arguments that are not JSON inside the sandbox', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        bad: {
          async execute(ctx) {
            const cyclic = {}; cyclic.self = cyclic;
            const messages = [];
            for (const args of [[cyclic], [1n], 'not an array']) {
              try { await ctx.host.call('kv.set', args); } catch (error) { messages.push(error.constructor.name + ': ' + error.message); }
            }
            try { await ctx.host.call(42, []); } catch (error) { messages.push(error.constructor.name); }
            return messages;
          },
        },
      },
    }`));
    const bridge = testBridge({ 'kv.set': () => undefined });

    const messages = (await runtime.invoke({ kind: 'node', name: 'bad', input: null }, bridge)) as string[];

    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatch(/^TypeError: .*not JSON-serialisable/);
    expect(messages[1]).toMatch(/^TypeError: .*not JSON-serialisable/);
    expect(messages[2]).toMatch(/^TypeError: .*must be an array/);
    expect(messages[3]).toBe('TypeError');
    expect(bridge.calls).toEqual([]);
  });

  it('rejects host calls made after the invocation returned', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        keep: { execute(ctx) { globalThis.kept = ctx; return 'kept'; } },
        reuse: { async execute() { try { await globalThis.kept.host.call('kv.get', ['k']); return 'allowed'; } catch (error) { return error.message; } } },
      },
    }`), { poolSize: 1 });
    const bridge = testBridge({ 'kv.get': () => 'value' });

    await runtime.invoke({ kind: 'node', name: 'keep', input: null }, bridge);
    const message = await runtime.invoke({ kind: 'node', name: 'reuse', input: null }, bridge);

    expect(message).toMatch(/after its invocation finished/);
    expect(bridge.calls).toEqual([]);
  });

  it('limits host calls in flight per invocation', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        flood: {
          async execute(ctx) {
            const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ctx.host.call('kv.get', [i])));
            return results.filter((result) => result.status === 'rejected').map((result) => result.reason.message)[0];
          },
        },
      },
    }`));
    const bridge = testBridge({ 'kv.get': (index) => index });

    const firstRejection = await runtime.invoke({ kind: 'node', name: 'flood', input: null }, bridge);

    expect(firstRejection).toMatch(/more than 64 host calls are in flight/);
    expect(bridge.calls).toHaveLength(64);
  });
});

describe('isolate runtime host call limits', () => {
  it('bounds the argument size of host calls in flight', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        bulk: {
          async execute(ctx) {
            const blob = 'x'.repeat(7 * 1024 * 1024);
            const results = await Promise.allSettled([1, 2, 3].map((index) => ctx.host.call('store', [index, blob])));
            return results.map((result) => result.status === 'fulfilled' ? result.value : result.reason.message);
          },
        },
      },
    }`));
    const bridge = testBridge({ store: (index) => `stored ${String(index)}` });

    const results = (await runtime.invoke({ kind: 'node', name: 'bulk', input: null }, bridge)) as string[];

    expect(results[0]).toBe('stored 1');
    expect(results[1]).toBe('stored 2');
    expect(results[2]).toMatch(/would exceed 16777216 characters of JSON/);
    expect(bridge.calls).toHaveLength(2);
  });

  it('replaces oversized log fields with a note', async () => {
    const runtime = await start(bundle(`{
      nodes: { chatty: { execute(ctx) { ctx.log.info('big', { blob: 'x'.repeat(100000) }); return null; } } },
    }`));
    const lines: RecordedCall[] = [];
    const bridge: HostBridge = { call: async (method, args) => void lines.push({ method, args }) };

    await runtime.invoke({ kind: 'node', name: 'chatty', input: null }, bridge);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(lines).toEqual([{ method: 'log.info', args: ['big', { omitted: 'fields were not JSON or longer than 16384 characters' }] }]);
  });

  it('caps log lines per invocation', async () => {
    const runtime = await start(bundle(`{
      nodes: { chatty: { execute(ctx) { for (let i = 0; i < 1500; i++) console.log('line', i); return null; } } },
    }`));
    const lines: RecordedCall[] = [];
    const bridge: HostBridge = { call: async (method, args) => void lines.push({ method, args }) };

    await runtime.invoke({ kind: 'node', name: 'chatty', input: null }, bridge);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(lines).toHaveLength(1_000);
    expect(lines[998]).toEqual({ method: 'log.info', args: ['line 998'] });
    expect(lines[999]?.method).toBe('log.warn');
    expect(lines[999]?.args[0]).toMatch(/log limit of 1000 lines/);
  });
});

describe('isolate runtime on the kernel thread', () => {
  // Busy-waits inside the isolate for the given number of milliseconds of wall time.
  const SPIN = 'function spin(ms) { const until = Date.now() + ms; while (Date.now() < until) {} }';

  it('starts every call on an isolate thread by default', async () => {
    const runtime = await start(ECHO);

    await runtime.invoke({ kind: 'node', name: 'echo', input: 1 }, testBridge());

    expect(runtime.stats()).toMatchObject({ startedOnKernelThread: 0, startedOnIsolateThread: 1 });
  });

  it('runs a call without host calls on the kernel thread', async () => {
    const runtime = await start(ECHO, { kernelThreadSliceMs: 20 });

    const outputs = [];
    for (let index = 0; index < 3; index++) outputs.push(await runtime.invoke({ kind: 'node', name: 'echo', input: index }, testBridge()));

    expect(outputs.map((output) => (output as { input: number }).input)).toEqual([0, 1, 2]);
    expect(runtime.stats()).toMatchObject({ startedOnKernelThread: 3, startedOnIsolateThread: 0, outranSlice: 0, offKernelThread: [], created: 1 });
  });

  it('finishes host-call continuations off the kernel thread', async () => {
    const runtime = await start(bundle(`{
      nodes: { twice: { async execute(ctx, input) { const a = await ctx.host.call('echo', [input]); const b = await ctx.host.call('echo', [a + 1]); return [a, b]; } } },
    }`), { kernelThreadSliceMs: 20 });
    const bridge = testBridge({ echo: async (value) => value });

    const outputs = await Promise.all([1, 10, 100].map((input) => runtime.invoke({ kind: 'node', name: 'twice', input }, bridge)));

    expect(outputs).toEqual([[1, 2], [10, 11], [100, 101]]);
    expect(bridge.calls).toHaveLength(6);
    expect(runtime.stats().startedOnKernelThread).toBe(3);
  });

  it('moves a slow call to an isolate thread', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        slow: {
          async execute(ctx, input) {
            ${SPIN}
            globalThis.starts = (globalThis.starts ?? 0) + 1;
            ctx.log.info('starting', { input });
            const stored = ctx.host.call('record', [input]);
            spin(input.spinMs);
            return { recorded: await stored, startsInThisIsolate: globalThis.starts };
          },
        },
      },
    }`), { kernelThreadSliceMs: 20, poolSize: 1 });
    const bridge = testBridge({ record: (value) => ({ ...(value as object), seen: true }) });

    const first = await runtime.invoke({ kind: 'node', name: 'slow', input: { spinMs: 60 } }, bridge);

    // The stopped start never reached the host: one host call and one log line, and a fresh
    // isolate ran the node once.
    expect(first).toEqual({ recorded: { spinMs: 60, seen: true }, startsInThisIsolate: 1 });
    await vi.waitFor(() => expect(bridge.calls.filter((call) => call.method === 'log.info')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(bridge.calls.map((call) => call.method).sort()).toEqual(['log.info', 'record']);
    expect(bridge.calls.find((call) => call.method === 'record')?.args).toEqual([{ spinMs: 60 }]);
    expect(runtime.stats()).toMatchObject({ startedOnKernelThread: 1, startedOnIsolateThread: 1, outranSlice: 1, offKernelThread: ['node:slow'], created: 2, alive: 1 });

    // Later calls of that node start on an isolate thread, even when they are quick.
    const second = await runtime.invoke({ kind: 'node', name: 'slow', input: { spinMs: 0 } }, bridge);
    expect(second).toEqual({ recorded: { spinMs: 0, seen: true }, startsInThisIsolate: 2 });
    expect(runtime.stats()).toMatchObject({ startedOnKernelThread: 1, startedOnIsolateThread: 2, outranSlice: 1 });
  });

  it('stops an endless loop after one slice', async () => {
    const runtime = await start(bundle(`{ nodes: { forever: { execute() { for (;;) {} } } } }`), { kernelThreadSliceMs: 20, limits: { memoryLimitMb: 64, timeoutMs: 300 } });
    const lags: number[] = [];
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      lags.push(now - last);
      last = now;
    }, 5);

    try {
      const error = await failureOf(runtime.invoke({ kind: 'node', name: 'forever', input: null }, testBridge()));
      expect(error.reason).toBe('timeout');
    } finally {
      clearInterval(ticker);
    }

    // The timer kept firing while the node used its 300 ms of CPU on an isolate thread.
    expect(lags.length).toBeGreaterThan(10);
    expect(runtime.stats()).toMatchObject({ outranSlice: 1, offKernelThread: ['node:forever'] });
  });

  it('rejects a negative slice, naming the value', async () => {
    await expect(start(ECHO, { kernelThreadSliceMs: -1 })).rejects.toThrow(/Invalid kernelThreadSliceMs -1 for extension 'test.extension'/);
  });

  it('builds ctx.host and ctx.log lazily', async () => {
    const runtime = await start(bundle(`{
      nodes: { same: { execute(ctx) { return { host: ctx.host === ctx.host, log: ctx.log === ctx.log, frozen: Object.isFrozen(ctx.host) && Object.isFrozen(ctx.log) }; } } },
    }`), { kernelThreadSliceMs: 20 });

    expect(await runtime.invoke({ kind: 'node', name: 'same', input: null }, testBridge())).toEqual({ host: true, log: true, frozen: true });
  });
});

describe('isolate runtime pool', () => {
  it('reuses one warm isolate for sequential calls', async () => {
    const runtime = await start(bundle(`{
      nodes: { count: { execute() { globalThis.calls = (globalThis.calls ?? 0) + 1; return globalThis.calls; } } },
    }`));
    const bridge = testBridge();

    const counts = [];
    for (let index = 0; index < 5; index++) counts.push(await runtime.invoke({ kind: 'node', name: 'count', input: null }, bridge));

    expect(counts).toEqual([1, 2, 3, 4, 5]);
    expect(runtime.stats().created).toBe(1);
  });

  it('serves many parallel calls with at most poolSize isolates', async () => {
    const runtime = await start(bundle(`{
      nodes: { double: { async execute(ctx, input) { const echoed = await ctx.host.call('echo', [input]); return echoed * 2; } } },
    }`), { poolSize: 3 });
    const bridge = testBridge({
      echo: async (value) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return value;
      },
    });

    const outputs = await Promise.all(Array.from({ length: 200 }, (_, index) => runtime.invoke({ kind: 'node', name: 'double', input: index }, bridge)));

    expect(outputs).toEqual(Array.from({ length: 200 }, (_, index) => index * 2));
    expect(runtime.stats().created).toBe(3);
    expect(runtime.stats().queued).toBe(0);
  });

  it('replaces the isolate after a failed call', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        remember: { execute() { globalThis.marker = 'set'; return globalThis.marker; } },
        recall: { execute() { return globalThis.marker ?? 'fresh'; } },
        fail: { execute() { throw new TypeError('broken on purpose'); } },
      },
    }`), { poolSize: 1 });
    const bridge = testBridge();

    await runtime.invoke({ kind: 'node', name: 'remember', input: null }, bridge);
    const error = await failureOf(runtime.invoke({ kind: 'node', name: 'fail', input: null }, bridge));
    const afterFailure = await runtime.invoke({ kind: 'node', name: 'recall', input: null }, bridge);

    expect(error.reason).toBe('threw');
    expect(afterFailure).toBe('fresh');
    expect(runtime.stats().created).toBe(2);
    expect(runtime.stats().alive).toBe(1);
  });

  it('reports each failure to onFailure', async () => {
    const reasons: string[] = [];
    const runtime = await start(bundle(`{ nodes: { fail: { execute() { throw new Error('x'); } } } }`), {
      onFailure: (reason) => reasons.push(reason),
    });

    await failureOf(runtime.invoke({ kind: 'node', name: 'fail', input: null }, testBridge()));
    await failureOf(runtime.invoke({ kind: 'node', name: 'absent', input: null }, testBridge()));

    expect(reasons).toEqual(['threw', 'not_found']);
  });
});

describe('isolate runtime failures', () => {
  it('names the extension and keeps only sandbox frames for a throw', async () => {
    const runtime = await start(bundle(`{
      nodes: { fail: { execute() { return helper(); } } },
    }`) + 'function helper() { throw new RangeError("value out of range"); }\n');

    const error = await failureOf(runtime.invoke({ kind: 'node', name: 'fail', input: null }, testBridge()));

    expect(error.reason).toBe('threw');
    expect(error.message).toBe("Extension 'test.extension' threw in node 'fail': RangeError: value out of range");
    expect(error.cause).toBeInstanceOf(SandboxError);
    const stack = (error.cause as SandboxError).stack ?? '';
    expect(stack).toMatch(/^RangeError: value out of range\n {4}at helper \(mify-extension:\/\/\/test\.extension\/bundle\.js:\d+:\d+\)/);
    expect(stack).not.toContain('mify-sandbox');
    expect(stack).not.toContain('node_modules');
    expect(stack).not.toContain('.ts');
  });

  it('reports output that is not JSON as invalid_output', async () => {
    const runtime = await start(bundle(`{
      nodes: {
        cyclic: { execute() { const value = {}; value.self = value; return value; } },
        bigint: { execute() { return { n: 1n }; } },
        fn: { execute() { return () => 1; } },
        symbol: { execute() { return Symbol('s'); } },
        big: { execute() { return 'x'.repeat(16 * 1024 * 1024); } },
      },
    }`), { limits: { memoryLimitMb: 256, timeoutMs: 5_000 } });
    const bridge = testBridge();

    for (const name of ['cyclic', 'bigint', 'fn', 'symbol', 'big']) {
      const error = await failureOf(runtime.invoke({ kind: 'node', name, input: null }, bridge));
      expect(error.reason, name).toBe('invalid_output');
    }
  });

  it('stops a call that outlives its wall-clock deadline', async () => {
    const runtime = await start(bundle(`{
      nodes: { wait: { async execute(ctx) { await ctx.host.call('never', []); return 'unreachable'; } } },
    }`), { limits: { memoryLimitMb: 64, timeoutMs: 50 }, wallTimeoutMs: 200 });
    const bridge = testBridge({ never: () => new Promise(() => undefined) });

    const startedAt = performance.now();
    const error = await failureOf(runtime.invoke({ kind: 'node', name: 'wait', input: null }, bridge));

    expect(error.reason).toBe('timeout');
    expect(error.message).toContain('wall-clock limit of 200 ms');
    expect(performance.now() - startedAt).toBeLessThan(2_000);
  });

  it('fails loading a bundle that imports modules', async () => {
    const loading = start(`import fs from 'node:fs';\nexport default { nodes: {} };\n`);

    const error = await failureOf(loading);

    expect(error.message).toContain('failed to load its bundle');
    expect(error.message).toContain('"node:fs"');
  });

  it('fails loading a bundle that throws at top level', async () => {
    const error = await failureOf(start(`throw new Error('bad init');\nexport default {};\n`));

    expect(error.reason).toBe('threw');
    expect(error.message).toContain('Error: bad init');
  });

  it('fails loading a bundle with a syntax error', async () => {
    const error = await failureOf(start(`export default {`));

    expect(error.reason).toBe('threw');
    expect(error.message).toContain('SyntaxError');
  });

  it('fails loading a bundle without a default export object', async () => {
    const error = await failureOf(start(`export const nodes = {};\n`));

    expect(error.reason).toBe('not_found');
    expect(error.message).toContain('default export');
  });
});

describe('isolate runtime lifecycle', () => {
  it('rejects calls after dispose', async () => {
    const runtime = await start(ECHO);

    await runtime.dispose();

    await expect(runtime.invoke({ kind: 'node', name: 'echo', input: 1 }, testBridge())).rejects.toBeInstanceOf(ExtensionRuntimeDisposedError);
    expect(runtime.stats().alive).toBe(0);
  });

  it('rejects running and queued calls on dispose', async () => {
    const runtime = await start(bundle(`{
      nodes: { wait: { async execute(ctx) { await ctx.host.call('slow', []); return 'done'; } } },
    }`), { poolSize: 1 });
    const bridge = testBridge({ slow: () => new Promise((resolve) => setTimeout(resolve, 200)) });

    const rejectionOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
    const running = rejectionOf(runtime.invoke({ kind: 'node', name: 'wait', input: null }, bridge));
    const queued = rejectionOf(runtime.invoke({ kind: 'node', name: 'wait', input: null }, bridge));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runtime.dispose();

    expect(await running).toBeInstanceOf(ExtensionRuntimeDisposedError);
    expect(await queued).toBeInstanceOf(ExtensionRuntimeDisposedError);
  });
});

describe('isolate limits', () => {
  it('caps limits at the kernel maxima', async () => {
    const runtime = await start(ECHO, { limits: { memoryLimitMb: 100_000, timeoutMs: 10_000_000 }, poolSize: 1_000 });

    expect(runtime.limits.memoryLimitMb).toBe(MAX_MEMORY_LIMIT_MB);
    expect(runtime.limits.timeoutMs).toBe(MAX_TIMEOUT_MS);
    expect(runtime.limits.wallTimeoutMs).toBe(MAX_WALL_TIMEOUT_MS);
    expect(runtime.limits.poolSize).toBe(MAX_POOL_SIZE);
    expect(runtime.limits.adjusted).toEqual(['memoryLimitMb', 'timeoutMs', 'poolSize']);
  });

  it('raises limits below the minimum', () => {
    const limits = resolveIsolateLimits({ limits: { memoryLimitMb: 1, timeoutMs: 1 } });

    expect(limits.memoryLimitMb).toBe(MIN_MEMORY_LIMIT_MB);
    expect(limits.timeoutMs).toBe(10);
    expect(limits.wallTimeoutMs).toBe(100);
  });

  it('rounds fractional limits to whole numbers', () => {
    const limits = resolveIsolateLimits({ limits: { memoryLimitMb: 64.9, timeoutMs: 100.2 }, poolSize: 2.7 });

    expect(limits.memoryLimitMb).toBe(64);
    expect(limits.timeoutMs).toBe(101);
    expect(limits.poolSize).toBe(2);
    expect(limits.wallTimeoutMs).toBe(1_010);
  });

  it('rejects limits that are not positive numbers', () => {
    for (const memoryLimitMb of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveIsolateLimits({ limits: { memoryLimitMb, timeoutMs: 100 } }), String(memoryLimitMb)).toThrow(ValidationError);
    }
  });

  it('applies the capped memory limit to the isolate', async () => {
    const runtime = await start(bundle(`{
      nodes: { grow: { execute() { const chunks = []; for (let i = 0; i < 200; i++) chunks.push(new Array(1024 * 1024).fill(i)); return chunks.length; } } },
    }`), { limits: { memoryLimitMb: 16, timeoutMs: 10_000 } });

    const error = await failureOf(runtime.invoke({ kind: 'node', name: 'grow', input: null }, testBridge()));

    expect(error.reason).toBe('memory');
    expect(error.message).toContain('16 MiB');
  });
});
