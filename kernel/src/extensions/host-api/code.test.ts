import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostBridge } from './bridge.js';
import { CodeRunError, MAX_CODE_LOG_LINES, MAX_CODE_TIMEOUT_MS, runCode } from './code.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { HostCallContext } from './types.js';

/** Awaits a rejection of runCode and returns it as a CodeRunError. */
async function failure(promise: Promise<unknown>): Promise<CodeRunError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the code run to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CodeRunError);
  return error as CodeRunError;
}

const defaults = { parameterNames: ['items'], timeoutMs: 1_000, memoryLimitMb: 32 };

describe('runCode', () => {
  it('calls the function once per argument list', async () => {
    const result = await runCode({ ...defaults, source: 'return items.map((item) => item.n * 2);', calls: [[[{ n: 1 }, { n: 2 }]], [[{ n: 5 }]]] });

    expect(result.results).toEqual([[2, 4], [10]]);
  });

  it('returns console lines', async () => {
    const result = await runCode({ ...defaults, source: 'console.log("count", items.length, { a: 1 }); console.warn("careful"); return null;', calls: [[[1, 2]]] });

    expect(result.logs).toEqual(['count 2 {"a":1}', 'warn: careful']);
  });

  it('caps console lines', async () => {
    const result = await runCode({ ...defaults, source: 'for (let i = 0; i < 150; i++) console.log(i); return 1;', calls: [[[]]] });

    expect(result.logs).toHaveLength(MAX_CODE_LOG_LINES);
    expect(result.droppedLogLines).toBe(150 - MAX_CODE_LOG_LINES);
  });

  it('provides Intl and Date', async () => {
    const result = await runCode({ ...defaults, source: 'return new Intl.DateTimeFormat("en-US", { timeZone: "Asia/Tokyo", hour: "numeric", hourCycle: "h23" }).format(new Date(items));', calls: [[0]] });

    expect(result.results).toEqual(['09']);
  });

  it('has no host objects', async () => {
    const result = await runCode({ ...defaults, source: 'return [typeof process, typeof require, typeof setTimeout, typeof fetch];', calls: [[null]] });

    expect(result.results).toEqual([['undefined', 'undefined', 'undefined', 'undefined']]);
  });

  it('stops an infinite loop at the time limit', async () => {
    const startedAt = performance.now();
    const error = await failure(runCode({ ...defaults, timeoutMs: 200, source: 'while (true) {}', calls: [[null]] }));

    expect(error.code).toBe('code_timeout');
    expect(error.message).toContain('200 ms');
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('stops a memory bomb at the memory limit', async () => {
    const error = await failure(runCode({ ...defaults, memoryLimitMb: 16, timeoutMs: 10_000, source: 'const keep = []; while (true) keep.push(new Array(100000).fill({ x: Math.random() }));', calls: [[null]] }));

    expect(error.code).toBe('code_memory');
    expect(error.message).toContain('16 MiB');
  });

  it('reports a thrown error with its line number', async () => {
    const error = await failure(runCode({ ...defaults, source: 'const a = 1;\nconst b = 2;\nthrow new RangeError("too far: " + (a + b));', calls: [[null]] }));

    expect(error.code).toBe('code_threw');
    expect(error.message).toBe('The code threw RangeError: too far: 3 at line 3, column 7.');
    expect(error.details).toEqual({ line: 3, column: 7 });
  });

  it('reports a syntax error with its line number', async () => {
    const error = await failure(runCode({ ...defaults, source: 'const a = 1;\nconst b = ;', calls: [[null]] }));

    expect(error.code).toBe('code_syntax_error');
    expect(error.message).toContain('at line 2');
  });

  it('rejects a result that is not JSON', async () => {
    const cases: Array<[string, RegExp]> = [
      ['return undefined;', /the result is undefined/],
      ['return { when: new Date(0) };', /the result\.when is a Date.*toISOString/],
      ['return [1, () => 2];', /the result\[1\] is a function/],
      ['return { n: NaN };', /the result\.n is NaN/],
      ['const o = {}; o.self = o; return o;', /the result\.self is a circular reference/],
      ['return new Map();', /is an instance of Map/],
      ['return 10n;', /is a BigInt/],
    ];
    for (const [source, message] of cases) {
      const error = await failure(runCode({ ...defaults, source, calls: [[null]] }));
      expect(error.code, source).toBe('code_invalid_result');
      expect(error.message, source).toMatch(message);
    }
  });

  it('names the call whose result is invalid', async () => {
    const error = await failure(runCode({ ...defaults, source: 'return items > 1 ? undefined : items;', calls: [[1], [2]] }));

    expect(error.message).toContain('the result of call 1 is undefined');
  });

  it('keeps runs apart', async () => {
    await runCode({ ...defaults, source: 'globalThis.leak = 42; return 1;', calls: [[null]] });
    const result = await runCode({ ...defaults, source: 'return typeof globalThis.leak;', calls: [[null]] });

    expect(result.results).toEqual(['undefined']);
  });
});

describe('code.run host method', () => {
  let host: TestHostServices;

  function bridge(overrides: Partial<HostCallContext> = {}) {
    return createHostBridge({ extensionId: 'acme.code', permissions: ['code:run'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent', ...overrides }, host.services);
  }

  beforeAll(async () => {
    host = await createTestHostServices('pglite');
  });

  afterAll(async () => {
    await host?.close();
  });

  it('runs code for an extension with code:run', async () => {
    const result = await bridge().call('code.run', [{ source: 'return a + b;', parameterNames: ['a', 'b'], calls: [[1, 2]] }]);

    expect(result).toEqual({ results: [3], logs: [], droppedLogLines: 0 });
  });

  it('denies an extension without code:run', async () => {
    const error = await rejection(bridge({ permissions: [] }).call('code.run', [{ source: 'return 1;', calls: [[]] }]));

    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('"code:run"');
  });

  it('rejects a time limit above the maximum', async () => {
    const error = await rejection(bridge().call('code.run', [{ source: 'return 1;', calls: [[]], timeoutMs: MAX_CODE_TIMEOUT_MS + 1 }]));

    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('timeoutMs');
  });

  it('rejects more arguments than parameter names', async () => {
    const error = await rejection(bridge().call('code.run', [{ source: 'return 1;', parameterNames: ['a'], calls: [[1, 2]] }]));

    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('has 2 arguments');
  });

  it('passes the failure of the code to the extension', async () => {
    const error = await rejection(bridge().call('code.run', [{ source: 'null.x;', calls: [[]] }]));

    expect(error.code).toBe('code_threw');
    expect(error.message).toContain('TypeError');
    expect(error.message).toContain('line 1');
  });
});
