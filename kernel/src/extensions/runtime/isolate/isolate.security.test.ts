import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ForbiddenError } from '../../../errors.js';
import { createLogger } from '../../../logger.js';
import { ExtensionCallError, type HostBridge } from '../types.js';
import { createIsolateRuntime, type IsolateRuntime } from './index.js';

const logger = createLogger({ level: 'silent' });

/**
 * One bundle contains every attack as a node. Each test runs one attack and then a normal call,
 * to show that the runtime and the kernel still work afterwards.
 */
const ATTACKS = String.raw`
function merge(target, source) {
  for (const key of Object.keys(source)) {
    if (source[key] !== null && typeof source[key] === 'object') {
      if (target[key] === undefined || target[key] === null) target[key] = {};
      merge(target[key], source[key]);
    } else {
      target[key] = source[key];
    }
  }
  return target;
}

export default {
  nodes: {
    healthy: { execute: (ctx, input) => ({ ok: true, input }) },

    constructorOfThis: { execute() { return this.constructor.constructor('return process')(); } },
    constructorOfCtxFunction: { execute(ctx) { return ctx.host.call.constructor('return process')(); } },
    constructorOfLogFunction: { execute(ctx) { return ctx.log.info.constructor('return require')(); } },
    constructorOfHostResult: {
      async execute(ctx) {
        const result = await ctx.host.call('object.get', []);
        return result.constructor.constructor('return process')();
      },
    },
    constructorOfHostError: {
      async execute(ctx) {
        try { await ctx.host.call('kv.set', ['k', 1]); } catch (error) { return error.constructor.constructor('return process')(); }
        return 'no error';
      },
    },
    constructorOfAsyncFunction: { execute() { return (async () => {}).constructor('return process')(); } },
    constructorOfGenerator: { execute() { return (function* () {}).constructor('yield process')().next().value; } },
    evalProcess: { execute() { return eval('process.pid'); } },
    dynamicImport: { async execute() { const fs = await import('node:fs'); return typeof fs; } },

    globalNames: { execute() { return Object.getOwnPropertyNames(Function('return this')()); } },
    typeofCapabilities: {
      execute() {
        return {
          process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer,
          setTimeout: typeof setTimeout, setInterval: typeof setInterval, setImmediate: typeof setImmediate,
          fetch: typeof fetch, SharedArrayBuffer: typeof SharedArrayBuffer, Atomics: typeof Atomics,
          WebAssembly: typeof WebAssembly, hostStart: typeof __mifyHostStart,
        };
      },
    },
    hostResultShape: {
      async execute(ctx) {
        const result = await ctx.host.call('object.get', []);
        return { fn: typeof result.fn, date: typeof result.date, sameObject: result.constructor === Object, keys: Object.keys(result) };
      },
    },

    pollutionInside: {
      async execute(ctx) {
        const payload = await ctx.host.call('pollution.get', []);
        merge({}, payload);
        return { sandboxSees: ({}).polluted ?? null };
      },
    },
    pollutionPassThrough: { async execute(ctx) { return await ctx.host.call('pollution.get', []); } },
    pollutionConstructorKey: { execute() { return { constructor: { prototype: { polluted: 'yes' } } }; } },
    pollutionHostArgs: {
      async execute(ctx) {
        try { await ctx.host.call('kv.set', [JSON.parse('{"__proto__":{"polluted":"yes"}}')]); return 'accepted'; }
        catch (error) { return error.message; }
      },
    },

    stackFrames: {
      async execute(ctx) {
        await ctx.host.call('noop', []);
        Error.prepareStackTrace = (error, frames) => frames.map((frame) => ({
          file: frame.getFileName() ?? null,
          fn: typeof frame.getFunction(),
          self: typeof frame.getThis(),
        }));
        const frames = new Error('probe').stack;
        Error.prepareStackTrace = undefined;
        return frames;
      },
    },
    stackAsObject: {
      execute() {
        Error.prepareStackTrace = () => ({ not: 'a string' });
        try { throw new Error('custom stack'); } finally { Error.prepareStackTrace = undefined; }
      },
    },
    stackThatLoops: {
      execute() {
        Error.prepareStackTrace = () => { for (;;) {} };
        throw new Error('never rendered');
      },
    },

    loopSync: { execute() { for (;;) {} } },
    loopInThen: { execute() { return Promise.resolve().then(() => { for (;;) {} }); } },
    loopAfterAwaitNull: { async execute() { await null; for (;;) {} } },
    loopAfterHostCall: { async execute(ctx) { await ctx.host.call('noop', []); for (;;) {} } },
    loopDetached: { execute() { (async () => { await null; await null; for (;;) {} })(); return 'returned early'; } },
    loopAsyncRecursion: { async execute() { const spin = async () => { await null; return spin(); }; return spin(); } },
    loopAcrossHostCalls: {
      async execute(ctx) {
        for (;;) {
          await ctx.host.call('noop', []);
          const end = Date.now() + 20;
          while (Date.now() < end) {}
        }
      },
    },
    loopAwaitingHost: { async execute(ctx) { for (;;) await ctx.host.call('noop', []); } },

    recursionBomb: { execute() { const dive = (depth) => dive(depth + 1) + 1; return dive(0); } },

    hugeStringDoubling: {
      execute() {
        let text = 'x';
        try { for (;;) text += text; } catch {}
        return text;
      },
    },
    hugeStringFlattened: {
      execute() {
        let text = 'x'.repeat(1024);
        while (text.length < 2 ** 28) { text = text + text; /y/.test(text); }
        return text;
      },
    },
    hugeArrayBuffers: { execute() { const buffers = []; for (;;) buffers.push(new ArrayBuffer(8 * 1024 * 1024)); } },
    oneHugeArray: { execute() { return new Array(5e7).fill(0).length; } },
    outputCapWithPatchedJson: {
      execute() {
        JSON.stringify = () => '"small"';
        String.prototype.slice = () => '';
        return 'x'.repeat(17 * 1024 * 1024);
      },
    },

    permissionCaught: {
      async execute(ctx) {
        try { await ctx.host.kv.set('k', 1); return 'allowed'; }
        catch (error) {
          return { name: error.name, message: error.message, code: error.code, kernelFrames: /\.ts:|node_modules|file:|node:/.test(String(error.stack)) };
        }
      },
    },
    permissionUncaught: { async execute(ctx) { await ctx.host.kv.set('k', 1); return 'allowed'; } },
  },
};
`;

const bridge: HostBridge & { calls: string[] } = {
  calls: [],
  async call(method, args) {
    this.calls.push(method);
    switch (method) {
      case 'noop':
        return null;
      case 'object.get':
        return { fn: () => 'kernel function', date: new Date(0), nested: { value: 1 } };
      case 'pollution.get':
        return JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as unknown;
      case 'kv.set':
        throw new ForbiddenError(`Permission denied: extension 'security.test' lacks "kv:write" for ${JSON.stringify(args[0])}.`);
      default:
        throw new Error(`Host method ${method} is not allowed.`);
    }
  },
};

/** Short CPU timeout, so runaway-code tests finish fast. */
let runtime: IsolateRuntime;
/** Generous CPU timeout, so memory tests reach the heap limit before the timeout. */
let roomyRuntime: IsolateRuntime;

beforeAll(async () => {
  runtime = await createIsolateRuntime({
    extensionId: 'security.test',
    code: ATTACKS,
    limits: { memoryLimitMb: 64, timeoutMs: 200 },
    wallTimeoutMs: 1_000,
    logger,
  });
  roomyRuntime = await createIsolateRuntime({
    extensionId: 'security.test',
    code: ATTACKS,
    limits: { memoryLimitMb: 64, timeoutMs: 20_000 },
    logger,
  });
});

afterAll(async () => {
  await runtime.dispose();
  await roomyRuntime.dispose();
});

function invoke(name: string, target = runtime): Promise<unknown> {
  return target.invoke({ kind: 'node', name, input: null }, bridge);
}

async function failureOf(name: string, target = runtime): Promise<ExtensionCallError> {
  const error = await invoke(name, target).then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error, `${name} should fail`).toBeInstanceOf(ExtensionCallError);
  return error as ExtensionCallError;
}

/** A normal call right after an attack must still succeed. */
async function expectHealthy(): Promise<void> {
  await expect(invoke('healthy')).resolves.toEqual({ ok: true, input: null });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

describe('sandbox escapes through constructors', () => {
  it.each([
    ['constructorOfThis', /process is not defined/],
    ['constructorOfCtxFunction', /process is not defined/],
    ['constructorOfLogFunction', /require is not defined/],
    ['constructorOfHostResult', /process is not defined/],
    ['constructorOfHostError', /process is not defined/],
    ['constructorOfAsyncFunction', /process is not defined/],
    ['constructorOfGenerator', /process is not defined/],
    ['evalProcess', /process is not defined/],
    ['dynamicImport', /Not supported/],
  ])('%s finds no Node.js capability', async (name, message) => {
    const error = await failureOf(name);

    expect(error.reason).toBe('threw');
    expect(error.message).toMatch(message);
    await expectHealthy();
  });

  it('global object from Function("return this") holds only sandbox names', async () => {
    const names = (await invoke('globalNames')) as string[];

    for (const forbidden of ['process', 'require', 'module', 'Buffer', 'setTimeout', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', '__mifyHostStart']) {
      expect(names, forbidden).not.toContain(forbidden);
    }
    expect(names).toContain('console');
    await expectHealthy();
  });

  it('no Node.js or blocking capability is defined', async () => {
    const types = (await invoke('typeofCapabilities')) as Record<string, string>;

    for (const [name, type] of Object.entries(types)) expect(type, name).toBe('undefined');
  });

  it('host results arrive as plain sandbox data', async () => {
    const shape = await invoke('hostResultShape');

    expect(shape).toEqual({ fn: 'undefined', date: 'string', sameObject: true, keys: ['date', 'nested'] });
  });
});

describe('prototype pollution through host results', () => {
  it('stays inside the isolate', async () => {
    const output = await invoke('pollutionInside');

    expect(output).toEqual({ sandboxSees: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    await expectHealthy();
  });

  it('rejects output carrying a __proto__ key', async () => {
    const error = await failureOf('pollutionPassThrough');

    expect(error.reason).toBe('invalid_output');
    expect(error.message).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectHealthy();
  });

  it('parses a constructor.prototype key as plain data', async () => {
    const output = (await invoke('pollutionConstructorKey')) as Record<string, unknown>;

    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.hasOwn(output, 'constructor')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects host call arguments carrying a __proto__ key', async () => {
    bridge.calls.length = 0;

    const message = await invoke('pollutionHostArgs');

    expect(message).toContain('__proto__');
    expect(bridge.calls).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Error.prepareStackTrace tricks', () => {
  it('frames expose no kernel function, receiver or file', async () => {
    const frames = (await invoke('stackFrames')) as Array<{ file: string | null; fn: string; self: string }>;

    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(frame.file ?? 'mify-', JSON.stringify(frame)).toMatch(/^mify-(extension|sandbox):\/\/\//);
      if (frame.file?.startsWith('mify-sandbox')) {
        expect(frame.fn, JSON.stringify(frame)).toBe('undefined');
        expect(frame.self, JSON.stringify(frame)).toBe('undefined');
      }
    }
    expect(typeof new Error('kernel').stack).toBe('string');
  });

  it('a stack that is not a string still gives a clean error', async () => {
    const error = await failureOf('stackAsObject');

    expect(error.reason).toBe('threw');
    expect(error.message).toContain('Error: custom stack');
    await expectHealthy();
  });

  it('a stack formatter that loops times out', async () => {
    const error = await failureOf('stackThatLoops');

    expect(error.reason).toBe('timeout');
    await expectHealthy();
  });
});

describe('runaway code', () => {
  it.each([
    'loopSync',
    'loopInThen',
    'loopAfterAwaitNull',
    'loopAfterHostCall',
    'loopDetached',
    'loopAsyncRecursion',
    'loopAcrossHostCalls',
    'loopAwaitingHost',
  ])('%s times out while the kernel event loop stays responsive', async (name) => {
    const startedAt = performance.now();
    const failure = failureOf(name);

    // Timers of the kernel keep firing while the isolate spins on its own thread.
    const timerStartedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(performance.now() - timerStartedAt).toBeLessThan(150);

    const error = await failure;
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain("Extension 'security.test' timed out in node");
    expect(performance.now() - startedAt).toBeLessThan(3_000);
    await expectHealthy();
  });

  it('a loop fails only its own call', async () => {
    const [looping, healthy] = await Promise.allSettled([invoke('loopSync'), invoke('healthy')]);

    expect(looping.status).toBe('rejected');
    expect(healthy).toEqual({ status: 'fulfilled', value: { ok: true, input: null } });
  });

  it('a recursion bomb throws a RangeError', async () => {
    const error = await failureOf('recursionBomb');

    expect(error.reason).toBe('threw');
    expect(error.message).toContain('Maximum call stack size exceeded');
    await expectHealthy();
  });
});

describe('memory exhaustion', () => {
  it.each(['hugeStringDoubling', 'hugeStringFlattened'])('%s never reaches the kernel', async (name) => {
    const before = process.memoryUsage();

    const error = await failureOf(name, roomyRuntime);

    const after = process.memoryUsage();
    expect(['memory', 'invalid_output']).toContain(error.reason);
    // The kernel heap never receives the string, and the process as a whole (isolate heaps
    // included) stays far below the 1 GiB the extension tried to build.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(768 * 1024 * 1024);
    await expectHealthy();
  });

  it('ArrayBuffer allocations past the limit report memory', async () => {
    const error = await failureOf('hugeArrayBuffers', roomyRuntime);

    expect(error.reason).toBe('memory');
    await expectHealthy();
  });

  it('one huge allocation fails only its call', async () => {
    // isolated-vm reports this as a catastrophic error and parks the thread that ran the
    // isolate. The call started on an isolate thread, so the kernel's thread keeps running.
    const timer = new Promise((resolve) => setTimeout(() => resolve('fired'), 10));

    const error = await failureOf('oneHugeArray', roomyRuntime);

    expect(error.reason).toBe('crashed');
    await expect(timer).resolves.toBe('fired');
    // A new isolate replaces the parked one.
    await expect(invoke('healthy', roomyRuntime)).resolves.toEqual({ ok: true, input: null });
    await expectHealthy();
  });

  it('output cap holds when the extension replaces JSON.stringify', async () => {
    const error = await failureOf('outputCapWithPatchedJson', roomyRuntime);

    expect(error.reason).toBe('invalid_output');
    expect(error.message).toContain('more than the limit');
    await expectHealthy();
  });
});

describe('host calls the bridge rejects', () => {
  it('reach the extension as a rejected promise with the message', async () => {
    const output = await invoke('permissionCaught');

    expect(output).toEqual({
      name: 'HostCallError',
      message: `Permission denied: extension 'security.test' lacks "kv:write" for "k".`,
      code: 'forbidden',
      kernelFrames: false,
    });
    await expectHealthy();
  });

  it('fail the call when the extension does not catch them', async () => {
    const error = await failureOf('permissionUncaught');

    expect(error.reason).toBe('threw');
    expect(error.message).toContain('HostCallError: Permission denied');
    await expectHealthy();
  });
});
