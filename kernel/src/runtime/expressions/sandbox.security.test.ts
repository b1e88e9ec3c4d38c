import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../logger.js';
import type { ExpressionScope } from '../types.js';
import { createExpressionEvaluator, ExpressionError, type SandboxedExpressionEvaluator } from './index.js';

const logger = createLogger({ level: 'silent' });

function scopeFor(json: Record<string, unknown> = { id: 1 }, itemIndex = 0): ExpressionScope {
  return {
    json,
    inputItems: [{ json }],
    itemIndex,
    nodeOutputs: { Start: [{ json: { secret: 's1' } }] },
    vars: { region: 'eu' },
    run: { id: 'run-1', graphId: null, workspaceId: 'ws-1', startedAt: '2026-03-04T05:06:07.000Z' },
    now: '2026-03-04T05:06:08.000Z',
  };
}

async function evaluate(evaluator: SandboxedExpressionEvaluator, value: string, scope = scopeFor()): Promise<unknown> {
  return (await evaluator.resolveParameters({ value }, scope, { nodeName: 'Attack' })).value;
}

async function failure(evaluator: SandboxedExpressionEvaluator, value: string, scope = scopeFor()): Promise<ExpressionError> {
  const error = await evaluate(evaluator, value, scope).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ExpressionError)) throw new Error(`expected an ExpressionError, got ${String(error)}`);
  return error;
}

describe('limits', () => {
  let evaluator: SandboxedExpressionEvaluator;

  beforeAll(() => {
    evaluator = createExpressionEvaluator({ logger, timeoutMs: 100 });
  });

  afterAll(async () => {
    await evaluator.dispose();
  });

  it('stops an endless loop and keeps working', async () => {
    await evaluate(evaluator, '{{ 1 }}');
    const isolatesBefore = evaluator.stats().isolatesCreated;
    const startedAt = performance.now();
    const error = await failure(evaluator, '{{ (() => { while (true) {} })() }}');
    const elapsedMs = performance.now() - startedAt;

    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(
      'Node "Attack", parameter "value": expression {{ (() => { while (true) {} })() }} failed: used more than 100 ms of CPU time; check it for an endless loop, or make it do less work',
    );
    expect(elapsedMs).toBeLessThan(2_000);
    expect(await evaluate(evaluator, '{{ $json.id + 1 }}')).toBe(2);
    expect(evaluator.stats().isolatesCreated).toBe(isolatesBefore + 1);
  });

  it('gives each expression its own CPU limit', async () => {
    // Three expressions of 100 ms each pass, because the limit of 200 ms applies to each one.
    const patient = createExpressionEvaluator({ logger, timeoutMs: 200 });
    const busy = '{{ (() => { const end = Date.now() + 100; while (Date.now() < end) {} return 1; })() }}';
    try {
      const resolved = await patient.resolveParameters({ a: busy, b: busy, c: busy }, scopeFor(), { nodeName: 'Busy' });
      expect(resolved).toEqual({ a: 1, b: 1, c: 1 });
    } finally {
      await patient.dispose();
    }
  });

  it('stops the slow expression among several and names it', async () => {
    const error = await evaluator
      .resolveParameters({ fast: '{{ 1 }}', slow: '{{ (() => { for (;;) {} })() }}' }, scopeFor(), { nodeName: 'Mixed' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).parameterPath).toBe('slow');
  });

  it('fails only the looping item of a batch', async () => {
    const scopes = [0, 1, 2, 3].map((index) => scopeFor({ loop: index === 2, id: index }, index));
    const results = await evaluator.resolveParametersForItems({ id: '{{ (() => { while ($json.loop) {} return $json.id; })() }}' }, scopes, { nodeName: 'Batch' });
    expect(results.map((result) => result.ok)).toEqual([true, true, false, true]);
    expect(results.map((result) => (result.ok ? result.parameters.id : result.error.reason))).toEqual([0, 1, 'timeout', 3]);
  });

  it('reports a result past the response limit', async () => {
    const error = await failure(evaluator, '{{ "x".repeat(5 * 1024 * 1024) }}');
    expect(error.reason).toBe('result');
    expect(error.message).toContain('more than the limit of 4194304');
  });
});

describe('memory', () => {
  let evaluator: SandboxedExpressionEvaluator;

  beforeAll(() => {
    // A generous CPU limit, so that the heap limit, not the CPU limit, stops the allocations.
    evaluator = createExpressionEvaluator({ logger, memoryLimitMb: 32, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await evaluator.dispose();
  });

  it('stops an expression that allocates past the limit and keeps working', async () => {
    const error = await failure(evaluator, '{{ (() => { const chunks = []; for (;;) chunks.push(new Array(1024 * 1024).fill(chunks.length)); })() }}');
    expect(error.reason).toBe('memory');
    expect(error.message).toContain('the expression sandbox ran out of memory (limit 32 MiB)');
    expect(await evaluate(evaluator, '{{ [1, 2, 3].length }}')).toBe(3);
  });

  it('survives an allocation V8 cannot recover from', async () => {
    // One dictionary-mode array of 5e7 elements needs more than V8's extra heap headroom, which
    // isolated-vm 5.0.4 reports as a catastrophic error instead of a normal memory-limit stop.
    const error = await failure(evaluator, '{{ new Array(5e7).fill(0).length }}');
    expect(error.reason).toBe('memory');
    expect(await evaluate(evaluator, '{{ "still " + "working" }}')).toBe('still working');
    expect(evaluator.stats().parkedIsolates).toBe(1);
  });
});

describe('isolation', () => {
  let evaluator: SandboxedExpressionEvaluator;

  beforeAll(() => {
    evaluator = createExpressionEvaluator({ logger });
  });

  afterAll(async () => {
    await evaluator.dispose();
  });

  it('finds no process through the Function constructor', async () => {
    const error = await failure(evaluator, "{{ constructor.constructor('return process')() }}");
    expect(error.message).toContain('process is not defined');
    expect(await evaluate(evaluator, "{{ typeof (() => {}).constructor('return this')().process }}")).toBe('undefined');
  });

  it('exposes no Node.js, timer, network or blocking globals', async () => {
    const names = ['process', 'require', 'module', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'fetch', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'WeakRef', 'FinalizationRegistry'];
    const types = await evaluate(evaluator, `{{ ${JSON.stringify(names)}.map((name) => typeof globalThis[name]) }}`);
    expect(types).toEqual(names.map(() => 'undefined'));
  });

  it('cannot import modules', async () => {
    const returned = await failure(evaluator, "{{ import('node:fs') }}");
    expect(returned.message).toContain('the value is a Promise');

    const leftBehind = await failure(evaluator, "{{ (import('node:fs'), 1) }}");
    expect(leftBehind.reason).toBe('runtime');
    expect(leftBehind.message).toContain('left unhandled');
    expect(await evaluate(evaluator, '{{ 2 }}')).toBe(2);
  });

  it('stops an endless Promise callback', async () => {
    const scopes = [0, 1, 2].map((index) => scopeFor({ loop: index === 1, id: index }, index));
    const parameters = { id: '{{ ($json.loop && Promise.resolve().then(() => { for (;;) {} }), $json.id) }}' };
    const startedAt = performance.now();
    const results = await evaluator.resolveParametersForItems(parameters, scopes, { nodeName: 'Batch' });
    expect(results.map((result) => (result.ok ? result.parameters.id : result.error.reason))).toEqual([0, 'timeout', 2]);
    const failed = results[1];
    expect(failed?.ok).toBe(false);
    if (failed?.ok === false) expect(failed.error.message).toContain('in a Promise callback that this or an earlier expression of the item scheduled');
    expect(performance.now() - startedAt).toBeLessThan(3_000);
  });

  it('fails only the item that leaves a rejected Promise behind', async () => {
    const scopes = [0, 1, 2].map((index) => scopeFor({ reject: index === 1, id: index }, index));
    const parameters = { id: '{{ ($json.reject && Promise.reject(new Error("boom")), $json.id) }}' };
    const results = await evaluator.resolveParametersForItems(parameters, scopes, { nodeName: 'Batch' });
    expect(results.map((result) => (result.ok ? result.parameters.id : result.error.message))).toEqual([0, expect.stringContaining('boom'), 2]);
  });

  it('cannot pollute prototypes for later expressions', async () => {
    const attempts = [
      '{{ Object.prototype.polluted = "yes" }}',
      '{{ ({}).__proto__.polluted = "yes" }}',
      '{{ Array.prototype.push = () => 0 }}',
      '{{ Object.defineProperty(Object.prototype, "polluted", { value: "yes" }) }}',
      '{{ JSON.stringify = () => "hacked" }}',
      '{{ globalThis.leaked = "yes" }}',
      '{{ leaked = "yes" }}',
    ];
    for (const attempt of attempts) {
      const error = await failure(evaluator, attempt);
      expect(error.reason, attempt).toBe('runtime');
    }

    expect(await evaluate(evaluator, '{{ ({}).polluted }}')).toBeUndefined();
    expect(await evaluate(evaluator, '{{ typeof leaked }}')).toBe('undefined');
    expect(await evaluate(evaluator, '{{ JSON.stringify({ a: [1].concat([2]) }) }}')).toBe('{"a":[1,2]}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not pollute the kernel through a __proto__ key in a result', async () => {
    const value = await evaluate(evaluator, '{{ JSON.parse(\'{"__proto__": {"pollutedByResult": true}}\') }}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).pollutedByResult).toBeUndefined();
  });

  it('cannot change its scope', async () => {
    const json = { id: 1, nested: { list: [1, 2] } };
    const error = await failure(evaluator, '{{ $json.nested.list.push(3) }}', scopeFor(json));
    expect(error.message).toContain('not extensible');
    await expect(evaluate(evaluator, '{{ $vars.region = "us" }}')).rejects.toThrow('read only');
    expect(json).toEqual({ id: 1, nested: { list: [1, 2] } });
    expect(await evaluate(evaluator, '{{ [...$json.nested.list].reverse() }}', scopeFor(json))).toEqual([2, 1]);
  });

  it('cannot change what later items of a batch see', async () => {
    const items = [{ json: { value: 'original' } }, { json: { value: 'original' } }];
    const scopes = items.map((item, itemIndex) => ({ ...scopeFor(item.json, itemIndex), inputItems: items }));
    const parameters = { value: '{{ (() => { try { $input.all()[1].json.value = "changed"; } catch {} return $input.all()[$itemIndex].json.value; })() }}' };
    const results = await evaluator.resolveParametersForItems(parameters, scopes, { nodeName: 'Batch' });
    expect(results).toEqual([
      { ok: true, parameters: { value: 'original' } },
      { ok: true, parameters: { value: 'original' } },
    ]);
  });

  it('does not show the last RegExp match to later expressions', async () => {
    expect(await evaluate(evaluator, '{{ /(s3cret)/.test("s3cret") }}')).toBe(true);
    expect(await evaluate(evaluator, '{{ [typeof RegExp.$1, typeof RegExp.lastMatch, typeof RegExp.input] }}')).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it('cannot reach the sandbox internals through the helpers', async () => {
    // Methods of $input and $node are strict arrow functions: no caller, no arguments chain.
    const error = await failure(evaluator, '{{ $input.all.caller }}');
    expect(error.details?.errorName).toBe('TypeError');
    expect(await evaluate(evaluator, '{{ Object.getOwnPropertyNames(globalThis).filter((name) => /fetch|progress|compiled/i.test(name)) }}')).toEqual([]);
  });
});
