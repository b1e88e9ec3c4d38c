import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Item } from '../../graphs/model.js';
import { createLogger } from '../../logger.js';
import type { ExpressionScope } from '../types.js';
import { createExpressionEvaluator, ExpressionError, type SandboxedExpressionEvaluator } from './index.js';

const logger = createLogger({ level: 'silent' });

const INPUT: Item[] = [
  { json: { id: 1, name: 'Ada', tags: ['x', 'y'] } },
  { json: { id: 2, name: 'Grace', tags: [] }, pairedItem: 0 },
  { json: { id: 3, name: 'Linus', tags: ['z'] }, binary: { photo: { mimeType: 'image/png', fileName: 'p.png', data: 'iVBORw0KGgo=' } } },
];

const OUTPUTS: Record<string, Item[]> = {
  Start: [{ json: { startedBy: 'webhook' } }],
  Fetch: [{ json: { user: { id: 'u1' } } }, { json: { user: { id: 'u2' } } }],
  Empty: [],
};

function scopeFor(itemIndex: number, overrides: Partial<ExpressionScope> = {}): ExpressionScope {
  return {
    json: INPUT[itemIndex]?.json ?? {},
    inputItems: INPUT,
    itemIndex,
    nodeOutputs: OUTPUTS,
    vars: { region: 'eu', limit: 10 },
    run: { id: 'run-1', graphId: 'graph-1', workspaceId: 'ws-1', startedAt: '2026-03-04T05:06:07.000Z' },
    now: '2026-03-04T05:06:08.000Z',
    ...overrides,
  };
}

let evaluator: SandboxedExpressionEvaluator;

beforeAll(() => {
  evaluator = createExpressionEvaluator({ logger });
});

afterAll(async () => {
  await evaluator.dispose();
});

async function resolve(parameters: Record<string, unknown>, itemIndex = 0, nodeName = 'Node'): Promise<Record<string, unknown>> {
  return evaluator.resolveParameters(parameters, scopeFor(itemIndex), { nodeName });
}

async function resolveOne(value: unknown, itemIndex = 0): Promise<unknown> {
  return (await resolve({ value }, itemIndex)).value;
}

async function failure(parameters: Record<string, unknown>, nodeName = 'Fetch'): Promise<ExpressionError> {
  const error = await resolve(parameters, 0, nodeName).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ExpressionError)) throw new Error(`expected an ExpressionError, got ${String(error)}`);
  return error;
}

describe('single expressions', () => {
  it('keep the type of their value', async () => {
    expect(await resolveOne('{{ 41 + 1 }}')).toBe(42);
    expect(await resolveOne('{{ $json.id > 0 }}')).toBe(true);
    expect(await resolveOne('{{ null }}')).toBeNull();
    expect(await resolveOne('{{ $json.tags }}')).toEqual(['x', 'y']);
    expect(await resolveOne('{{ ({ a: 1, b: [2] }) }}')).toEqual({ a: 1, b: [2] });
    expect(await resolveOne('{{ $json.name }}')).toBe('Ada');
    expect(await resolveOne('{{ $json.tags.toSorted().reverse() }}')).toEqual(['y', 'x']);
  });

  it('allow whitespace around the braces', async () => {
    expect(await resolveOne('  {{ 7 }}\n')).toBe(7);
  });

  it('resolve undefined to an undefined parameter', async () => {
    const resolved = await resolve({ value: '{{ $json.missing }}' });
    expect(resolved.value).toBeUndefined();
    expect(Object.hasOwn(resolved, 'value')).toBe(true);
  });

  it('turn Dates into ISO strings', async () => {
    expect(await resolveOne('{{ new Date(0) }}')).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('templates', () => {
  it('concatenate text and values', async () => {
    expect(await resolveOne('Hello {{ $json.name }}, you are number {{ $json.id }}!')).toBe('Hello Ada, you are number 1!');
  });

  it('write objects and arrays as JSON', async () => {
    expect(await resolveOne('tags={{ $json.tags }} obj={{ ({ a: 1 }) }}')).toBe('tags=["x","y"] obj={"a":1}');
  });

  it('write undefined as nothing and null as null', async () => {
    expect(await resolveOne('[{{ undefined }}][{{ null }}]')).toBe('[][null]');
  });

  it('accept the n8n = form', async () => {
    expect(await resolveOne('={{ $json.id }}')).toBe(1);
    expect(await resolveOne('=Hello {{ $json.name }}')).toBe('Hello Ada');
    expect(await resolveOne('=no expression')).toBe('no expression');
    expect(await resolveOne('==starts with equals')).toBe('=starts with equals');
  });

  it('keep \\{{ as a literal {{', async () => {
    expect(await resolveOne('\\{{ $json.id }} is {{ $json.id }}')).toBe('{{ $json.id }} is 1');
    expect(await resolveOne('\\{{ literal }}')).toBe('{{ literal }}');
  });

  it('write a backslash before an expression from inside it', async () => {
    expect(await resolveOne('C:{{ "\\\\" + $json.name }}')).toBe('C:\\Ada');
  });

  it('leave plain strings alone', async () => {
    expect(await resolveOne('a = b } }')).toBe('a = b } }');
  });
});

describe('parameters objects', () => {
  it('resolve nested objects and arrays', async () => {
    const resolved = await resolve({
      url: '=https://api.example.com/users/{{ $json.id }}',
      headers: { Authorization: 'Bearer {{ $vars.region }}', Accept: 'application/json' },
      list: [1, '{{ $json.name }}', { deep: ['{{ $itemIndex }}'] }],
      count: 3,
    });
    expect(resolved).toEqual({
      url: 'https://api.example.com/users/1',
      headers: { Authorization: 'Bearer eu', Accept: 'application/json' },
      list: [1, 'Ada', { deep: [0] }],
      count: 3,
    });
  });

  it('never evaluate keys', async () => {
    const resolved = await resolve({ '{{ 1 + 1 }}': '{{ 2 + 2 }}' });
    expect(resolved).toEqual({ '{{ 1 + 1 }}': 4 });
  });

  it('leave the input unchanged and share values without expressions', async () => {
    const untouched = { nested: ['a'] };
    const parameters = { value: '{{ 1 }}', untouched };
    const resolved = await resolve(parameters);
    expect(parameters.value).toBe('{{ 1 }}');
    expect(resolved.untouched).toBe(untouched);
  });

  it('return parameters without templates as an equal copy', async () => {
    expect(await resolve({ a: 1, b: ['x'] })).toEqual({ a: 1, b: ['x'] });
  });

  it('keep a __proto__ key as an own property', async () => {
    const parameters = JSON.parse('{"__proto__": "{{ ({ polluted: true }) }}"}') as Record<string, unknown>;
    const resolved = await resolve(parameters);
    expect(Object.getOwnPropertyDescriptor(resolved, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('variables', () => {
  it('$json, $itemIndex and $input', async () => {
    expect(await resolveOne('{{ $json.name }}', 1)).toBe('Grace');
    expect(await resolveOne('{{ $itemIndex }}', 2)).toBe(2);
    expect(await resolveOne('{{ $input.all().map((item) => item.json.id) }}')).toEqual([1, 2, 3]);
    expect(await resolveOne('{{ $input.first().json.name }}', 2)).toBe('Ada');
    expect(await resolveOne('{{ $input.last().json.name }}')).toBe('Linus');
    expect(await resolveOne('{{ $input.item.json.name }}', 1)).toBe('Grace');
    expect(await resolveOne('{{ $input.item.pairedItem }}', 1)).toBe(0);
  });

  it('$input shows binary metadata without the data', async () => {
    expect(await resolveOne('{{ $input.item.binary.photo }}', 2)).toEqual({ mimeType: 'image/png', fileName: 'p.png' });
  });

  it('$input.item falls back to $json when there are no input items', async () => {
    const resolved = await evaluator.resolveParameters({ value: '{{ $input.item.json.a }}' }, scopeFor(0, { json: { a: 5 }, inputItems: [] }), { nodeName: 'Start' });
    expect(resolved.value).toBe(5);
  });

  it('$node["Name"]', async () => {
    expect(await resolveOne('{{ $node["Start"].json.startedBy }}')).toBe('webhook');
    expect(await resolveOne('{{ $node.Fetch.items.length }}')).toBe(2);
    expect(await resolveOne('{{ $node["Fetch"].all()[1].json.user.id }}')).toBe('u2');
    expect(await resolveOne('{{ $node["Fetch"].first().json.user.id }}')).toBe('u1');
    expect(await resolveOne('{{ $node["Fetch"].last().json.user.id }}')).toBe('u2');
    expect(await resolveOne('{{ Object.keys($node) }}')).toEqual(['Start', 'Fetch', 'Empty']);
    expect(await resolveOne('{{ "Fetch" in $node }}')).toBe(true);
  });

  it("$('Name') with .item paired by index or the first", async () => {
    expect(await resolveOne('{{ $("Fetch").json.user.id }}')).toBe('u1');
    expect(await resolveOne('{{ $("Fetch").item.json.user.id }}', 1)).toBe('u2');
    expect(await resolveOne('{{ $("Fetch").item.json.user.id }}', 2)).toBe('u1');
    expect(await resolveOne("{{ $('Start').all().length }}")).toBe(1);
  });

  it('a node without items has no .json', async () => {
    expect(await resolveOne('{{ $("Empty").all() }}')).toEqual([]);
    expect(await resolveOne('{{ $("Empty").first() }}')).toBeUndefined();
    const error = await failure({ value: '{{ $("Empty").json }}' });
    expect(error.message).toContain('node "Empty" ran but returned no items');
  });

  it('$vars, $run, $now and $today', async () => {
    expect(await resolveOne('{{ $vars.region }}-{{ $vars.limit * 2 }}')).toBe('eu-20');
    expect(await resolveOne('{{ $run }}')).toEqual({ id: 'run-1', graphId: 'graph-1', workspaceId: 'ws-1', startedAt: '2026-03-04T05:06:07.000Z' });
    expect(await resolveOne('{{ $now }}')).toBe('2026-03-04T05:06:08.000Z');
    expect(await resolveOne('{{ new Date($now).getUTCFullYear() }}')).toBe(2026);
    expect(await resolveOne('{{ $today }}')).toBe('2026-03-04');
  });
});

describe('errors', () => {
  it('name node, parameter and expression for a TypeError', async () => {
    const error = await failure({ url: '{{ $json.user.id }}' });
    expect(error.message).toBe(`Node "Fetch", parameter "url": expression {{ $json.user.id }} failed: Cannot read properties of undefined (reading 'id')`);
    expect(error.code).toBe('expression_failed');
    expect(error.status).toBe(422);
    expect(error.reason).toBe('runtime');
    expect(error.details).toMatchObject({ nodeName: 'Fetch', parameterPath: 'url', expression: '{{ $json.user.id }}', errorName: 'TypeError' });
  });

  it('name nested parameter paths', async () => {
    expect((await failure({ headers: { Authorization: 'Bearer {{ $json.a.b }}' } })).parameterPath).toBe('headers.Authorization');
    expect((await failure({ items: [1, 2, { value: '{{ nope }}' }] })).parameterPath).toBe('items[2].value');
    expect((await failure({ headers: { 'Content-Type': '{{ nope }}' } })).parameterPath).toBe('headers["Content-Type"]');
  });

  it('name the expression that failed in a template with several', async () => {
    const error = await failure({ text: 'a {{ 1 }} b {{ missing.x }} c' });
    expect(error.expression).toBe('{{ missing.x }}');
    expect(error.message).toContain('missing is not defined');
  });

  it('give the position of a syntax error', async () => {
    const error = await failure({ url: 'x {{ $json.a b }}' });
    expect(error.reason).toBe('syntax');
    expect(error.message).toBe(`Node "Fetch", parameter "url": expression {{ $json.a b }} failed: SyntaxError: Unexpected identifier 'b' at position 13`);
  });

  it('report an expression that ends too early', async () => {
    const error = await failure({ url: '{{ 1 + }}' });
    expect(error.message).toContain('SyntaxError: the expression ends too early, at position 7');
  });

  it('report the line of a syntax error in a multi-line expression', async () => {
    const error = await failure({ url: '{{ [\n1,\n2 3] }}' });
    expect(error.message).toContain('at position 10');
  });

  it('report the same syntax error for every item', async () => {
    const results = await evaluator.resolveParametersForItems({ url: '{{ ) }}' }, [scopeFor(0), scopeFor(1)], { nodeName: 'Fetch' });
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.message).toContain("Unexpected token ')' at position 3");
    }
  });

  it('report an unknown node and the nodes that ran', async () => {
    const error = await failure({ id: '{{ $node["Nope"].json.id }}' });
    expect(error.reason).toBe('unknown_node');
    expect(error.message).toBe(
      'Node "Fetch", parameter "id": expression {{ $node["Nope"].json.id }} failed: node "Nope" has not run yet or does not exist (nodes that ran: "Start", "Fetch", "Empty"); check the name, or connect that node before this one',
    );
    expect((await failure({ id: "{{ $('Nope') }}" })).reason).toBe('unknown_node');
  });

  it('say when no node has run', async () => {
    const promise = evaluator.resolveParameters({ id: '{{ $("Start").json }}' }, scopeFor(0, { nodeOutputs: {} }), { nodeName: 'First' });
    await expect(promise).rejects.toThrow('node "Start" has not run yet or does not exist (no node has run yet)');
  });

  it('report an invalid template', async () => {
    const error = await failure({ body: 'Hi {{ $json.name' });
    expect(error.reason).toBe('template');
    expect(error.message).toBe(
      'Node "Fetch", parameter "body": template "Hi {{ $json.name" is invalid: the {{ at position 3 has no matching }}; close the expression with }}, or write \\{{ for a literal {{',
    );
  });

  it('reject values that cannot be parameters', async () => {
    expect((await failure({ value: '{{ $json.name.toUpperCase }}' })).message).toContain('the value is a function');
    expect((await failure({ value: '{{ Promise.resolve(1) }}' })).message).toContain('the value is a Promise');
    expect((await failure({ value: '{{ 10n }}' })).message).toContain('BigInt');
    expect((await failure({ value: '{{ (() => { const a = {}; a.self = a; return a; })() }}' })).message).toContain('circular');
  });

  it('show a thrown string', async () => {
    expect((await failure({ value: '{{ (() => { throw "stop" })() }}' })).message).toContain('the expression threw "stop"');
  });
});

describe('resolveParametersForItems', () => {
  it('resolves every item in one sandbox call', async () => {
    const before = evaluator.stats().calls;
    const results = await evaluator.resolveParametersForItems({ greeting: 'Hi {{ $json.name.trim() }}', id: '{{ $json.id * 1 }}' }, [0, 1, 2].map((index) => scopeFor(index)), { nodeName: 'Set' });
    expect(results).toEqual([
      { ok: true, parameters: { greeting: 'Hi Ada', id: 1 } },
      { ok: true, parameters: { greeting: 'Hi Grace', id: 2 } },
      { ok: true, parameters: { greeting: 'Hi Linus', id: 3 } },
    ]);
    expect(evaluator.stats().calls - before).toBe(1);
  });

  it('fails only the item whose expression fails', async () => {
    const results = await evaluator.resolveParametersForItems({ first: '{{ $json.tags[0].toUpperCase() }}' }, [0, 1, 2].map((index) => scopeFor(index)), { nodeName: 'Set' });
    expect(results[0]).toEqual({ ok: true, parameters: { first: 'X' } });
    expect(results[1]?.ok).toBe(false);
    expect(results[2]).toEqual({ ok: true, parameters: { first: 'Z' } });
  });

  it('returns an empty list for no items', async () => {
    expect(await evaluator.resolveParametersForItems({ a: '{{ 1 }}' }, [], { nodeName: 'Set' })).toEqual([]);
  });

  it('splits items over several calls when their data is large', async () => {
    const big = { text: 'x'.repeat(1024 * 1024) };
    const scopes = [0, 1, 2, 3, 4, 5].map((index) => scopeFor(0, { json: { ...big, index }, itemIndex: index }));
    const before = evaluator.stats().calls;
    const results = await evaluator.resolveParametersForItems({ length: '{{ $json.text.length + $json.index }}' }, scopes, { nodeName: 'Set' });
    expect(results.map((result) => (result.ok ? result.parameters.length : null))).toEqual([1048576, 1048577, 1048578, 1048579, 1048580, 1048581]);
    expect(evaluator.stats().calls - before).toBeGreaterThan(1);
  });
});

describe('plain $json paths', () => {
  const DATA = {
    name: 'Ada',
    'first name': 'Ada',
    count: 0,
    ratio: 1.5,
    active: false,
    missingValue: null,
    nested: { list: [10, { deep: 'yes' }], empty: {} },
  };
  const scope = () => scopeFor(0, { json: structuredClone(DATA) });

  it('resolve in the kernel without a sandbox call', async () => {
    const fresh = createExpressionEvaluator({ logger });
    try {
      const parameters = {
        dotted: '{{ $json.nested.list[1].deep }}',
        bracketed: `={{ $json["first name"] }}`,
        quoted: "{{ $json['nested']['list'][0] }}",
        object: '{{ $json.nested }}',
        whole: '{{$json}}',
        number: '{{ $json.count }}',
        boolean: '{{ $json.active }}',
        nullValue: '{{ $json.missingValue }}',
        length: '{{ $json.nested.list.length }}',
        text: 'Hi {{ $json.name }}, {{ $json.ratio }} {{ $json.active }} {{ $json.missingValue }} {{ $json.nested.list }} {{ $json.nested.empty }}',
      };

      const resolved = await fresh.resolveParameters(parameters, scope(), { nodeName: 'Set' });

      expect(resolved).toEqual({
        dotted: 'yes',
        bracketed: 'Ada',
        quoted: 10,
        object: { list: [10, { deep: 'yes' }], empty: {} },
        whole: DATA,
        number: 0,
        boolean: false,
        nullValue: null,
        length: 2,
        text: 'Hi Ada, 1.5 false null [10,{"deep":"yes"}] {}',
      });
      expect(fresh.stats()).toMatchObject({ calls: 0, isolatesCreated: 0 });
    } finally {
      await fresh.dispose();
    }
  });

  it('return copies, not the item data', async () => {
    const item = scope();

    const resolved = await evaluator.resolveParameters({ object: '{{ $json.nested }}' }, item, { nodeName: 'Set' });

    expect(resolved.object).toEqual(DATA.nested);
    expect(resolved.object).not.toBe((item.json as typeof DATA).nested);
  });

  it.each([
    ['a missing key', '{{ $json.nothing }}', undefined],
    ['a key inherited from Object.prototype', '{{ $json.nested.empty.constructor.name }}', 'Object'],
    ['a property of a string', '{{ $json.name.length }}', 3],
    ['an index past the end', '{{ $json.nested.list[5] }}', undefined],
  ])('leave %s to the sandbox, with the same result', async (_case, template, expected) => {
    const before = evaluator.stats().calls;

    const resolved = await evaluator.resolveParameters({ value: template }, scope(), { nodeName: 'Set' });

    expect(resolved.value).toEqual(expected);
    expect(evaluator.stats().calls - before).toBe(1);
  });

  it('leave a function value to the sandbox', async () => {
    await expect(evaluator.resolveParameters({ value: '{{ $json.constructor }}' }, scope(), { nodeName: 'Set' })).rejects.toThrow(/the value is a function/);
  });

  it('read a Date as its JSON text', async () => {
    const when = new Date('2026-03-04T05:06:07.000Z');

    const resolved = await evaluator.resolveParameters({ single: '{{ $json.when }}', text: 'at {{ $json.when }}', nested: '{{ $json.wrapper }}' }, scopeFor(0, { json: { when, wrapper: { when } } }), { nodeName: 'Set' });

    expect(resolved).toEqual({ single: '2026-03-04T05:06:07.000Z', text: 'at 2026-03-04T05:06:07.000Z', nested: { when: '2026-03-04T05:06:07.000Z' } });
  });
});

describe('compile cache', () => {
  it('compiles an expression once for many items and calls', async () => {
    const parameters = { value: '{{ $json.id * 1000 + 7 }}' };
    const before = evaluator.stats();
    for (const index of [0, 1, 2]) await evaluator.resolveParameters(parameters, scopeFor(index), { nodeName: 'Set' });
    await evaluator.resolveParametersForItems(parameters, [scopeFor(0), scopeFor(1)], { nodeName: 'Set' });
    const after = evaluator.stats();
    expect(after.compiledExpressions - before.compiledExpressions).toBe(1);
    expect(after.cacheHits - before.cacheHits).toBe(3);
  });

  it('drops the least recently used expression when full', async () => {
    const small = createExpressionEvaluator({ logger, cacheSize: 2 });
    try {
      for (const source of ['1', '2', '3', '1']) await small.resolveParameters({ value: `{{ ${source} }}` }, scopeFor(0), { nodeName: 'Set' });
      const stats = small.stats();
      expect(stats.cachedExpressions).toBe(2);
      expect(stats.compiledExpressions).toBe(4);
      expect(await small.resolveParameters({ value: '{{ 3 }}' }, scopeFor(0), { nodeName: 'Set' })).toEqual({ value: 3 });
    } finally {
      await small.dispose();
    }
  });
});

describe('hasExpressions', () => {
  it('detects templates without starting the sandbox', async () => {
    const fresh = createExpressionEvaluator({ logger });
    expect(fresh.hasExpressions({ a: 'x', b: [{ c: '{{ 1 }}' }] })).toBe(true);
    expect(fresh.hasExpressions({ a: '=x' })).toBe(true);
    expect(fresh.hasExpressions({ a: 'x', b: [1, null, { c: 'y' }] })).toBe(false);
    expect(fresh.stats().isolatesCreated).toBe(0);
    await fresh.dispose();
  });

  it('resolves = text without starting the sandbox', async () => {
    const fresh = createExpressionEvaluator({ logger });
    expect(await fresh.resolveParameters({ a: '=text', b: '\\{{ x }}' }, scopeFor(0), { nodeName: 'Set' })).toEqual({ a: 'text', b: '{{ x }}' });
    expect(fresh.stats().isolatesCreated).toBe(0);
    await fresh.dispose();
  });
});

describe('createExpressionEvaluator', () => {
  it('rejects invalid limits', () => {
    expect(() => createExpressionEvaluator({ logger, memoryLimitMb: 4 })).toThrow('Invalid expression evaluator option memoryLimitMb');
    expect(() => createExpressionEvaluator({ logger, timeoutMs: 0 })).toThrow('Invalid expression evaluator option timeoutMs');
    expect(() => createExpressionEvaluator({ logger, cacheSize: Number.NaN })).toThrow('Invalid expression evaluator option cacheSize');
  });

  it('rejects evaluations after dispose', async () => {
    const disposed = createExpressionEvaluator({ logger });
    await disposed.dispose();
    await expect(disposed.resolveParameters({ a: '{{ 1 }}' }, scopeFor(0), { nodeName: 'Set' })).rejects.toThrow('was disposed');
  });
});
