import { describe, expect, expectTypeOf, it } from 'vitest';

import { defineExtension, defineNode, defineRoute, routeName } from './define.js';
import { ExtensionError, isHostCallError } from './errors.js';
import { HOST_METHOD_PERMISSIONS, HOST_METHODS, type CodeRunRequest, type CodeRunResult, type HostApi, type HostMethod, type HttpStreamChunk } from './host-api.js';
import type { NodeContext, NodeInput, NodeOutput, RouteRequest } from './types.js';

describe('defineExtension', () => {
  it('returns its argument unchanged', () => {
    const node = defineNode({ execute: (_ctx, input) => ({ items: input.items }) });
    const definition = { nodes: { 'acme.test.echo': node } };

    expect(defineExtension(definition)).toBe(definition);
  });

  it('types node execute parameters', () => {
    defineNode({
      execute(ctx, input) {
        expectTypeOf(ctx).toEqualTypeOf<NodeContext>();
        expectTypeOf(input).toEqualTypeOf<NodeInput>();
        expectTypeOf(ctx.host).toEqualTypeOf<HostApi>();
        return { items: [] };
      },
    });
    expectTypeOf<{ true: [] }>().toExtend<NodeOutput>();
  });

  it('types route handle parameters', () => {
    defineRoute({
      handle(_ctx, request) {
        expectTypeOf(request).toEqualTypeOf<RouteRequest>();
        return { status: 204 };
      },
    });
  });

  it('runs a node against a host of plain mocks', async () => {
    const stored = new Map<string, unknown>();
    const host = {
      kv: {
        get: async (key: string) => (stored.get(key) ?? null) as never,
        set: async (key: string, value: unknown) => void stored.set(key, value),
      },
    } as unknown as HostApi;
    const counter = defineNode({
      async execute(ctx, input) {
        const seen = Number((await ctx.host.kv.get('seen')) ?? 0) + input.items.length;
        await ctx.host.kv.set('seen', seen);
        return { items: [{ json: { seen } }] };
      },
    });
    const ctx = {
      extensionId: 'acme.test',
      host,
      log: { debug() {}, info() {}, warn() {}, error() {} },
      node: { id: 'n1', name: 'Count', type: 'acme.test.count', typeVersion: 1, parameters: {} },
      run: { id: 'r1', workspaceId: 'w1', stepId: 's1', idempotencyKey: 'r1:n1' },
    } satisfies NodeContext;

    await counter.execute(ctx, { items: [{ json: {} }, { json: {} }] });
    const output = await counter.execute(ctx, { items: [{ json: {} }] });

    expect(output).toEqual({ items: [{ json: { seen: 3 } }] });
  });
});

describe('routeName', () => {
  it('uses method and path without a handler', () => {
    expect(routeName({ method: 'GET', path: 'items/:id' })).toBe('GET items/:id');
  });

  it('uses the handler when set', () => {
    expect(routeName({ method: 'GET', path: 'items/:id', handler: 'getItem' })).toBe('getItem');
  });
});

describe('errors', () => {
  it('gives ExtensionError a code and details', () => {
    const error = new ExtensionError('invalid_input', 'Item 0 has no email.', { details: { index: 0 } });

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ExtensionError');
    expect(error.code).toBe('invalid_input');
    expect(error.details).toEqual({ index: 0 });
  });

  it('recognises host call errors by name and code', () => {
    const error = Object.assign(new Error('denied'), { name: 'HostCallError', code: 'permission_denied' });

    expect(isHostCallError(error)).toBe(true);
    expect(isHostCallError(error, 'permission_denied')).toBe(true);
    expect(isHostCallError(error, 'not_found')).toBe(false);
    expect(isHostCallError(new Error('other'))).toBe(false);
  });
});

describe('HOST_METHOD_PERMISSIONS', () => {
  it('lists a method for every namespace of HostApi', () => {
    const namespaces = new Set(HOST_METHODS.map((method) => method.split('.')[0]));
    expect([...namespaces].sort()).toEqual(['code', 'collections', 'credentials', 'demo', 'endpoints', 'events', 'files', 'graphs', 'http', 'knowledge', 'kv', 'limits', 'llm', 'runs', 'vectors']);
  });

  it('names exactly the methods of HostApi', () => {
    type Namespace = Exclude<keyof HostApi, 'call'>;
    type DeclaredMethod = { [N in Namespace]: `${N}.${Extract<keyof HostApi[N], string>}` }[Namespace];

    expectTypeOf<DeclaredMethod>().toEqualTypeOf<HostMethod>();
  });

  it('maps kv.set to kv:write', () => {
    expect(HOST_METHOD_PERMISSIONS['kv.set']).toBe('kv:write');
  });

  it('maps code.run to code:run', () => {
    expect(HOST_METHOD_PERMISSIONS['code.run']).toBe('code:run');
  });

  it('needs no permission for http.read and runs.progress', () => {
    expect(HOST_METHOD_PERMISSIONS['http.read']).toBeNull();
    expect(HOST_METHOD_PERMISSIONS['runs.progress']).toBeNull();
  });
});

describe('node contract types', () => {
  it('accepts usage, loop state and wait outputs', () => {
    const loop = defineNode({
      execute(_ctx, input) {
        expectTypeOf(input.state).toEqualTypeOf<unknown>();
        expectTypeOf(input.iteration).toEqualTypeOf<number | undefined>();
        return { done: input.items, state: { seen: input.items.length }, usage: { tokens: 3 } };
      },
    });
    const wait = defineNode({
      execute(_ctx, input): NodeOutput {
        if (input.resume) {
          expectTypeOf(input.resume.outcome).toEqualTypeOf<'approved' | 'rejected' | 'resumed' | 'elapsed' | 'expired'>();
          return { items: input.resume.items ?? input.items };
        }
        return { wait: { kind: 'approval', title: 'Check', items: input.items, allowEdit: true, form: { type: 'object' } } };
      },
    });
    const ports: NodeOutput = { true: [], false: [], usage: { costUsd: 0.01 } };

    expect(typeof loop.execute).toBe('function');
    expect(typeof wait.execute).toBe('function');
    expect(ports.usage).toEqual({ costUsd: 0.01 });
  });

  it('rejects a wait of an unknown kind', () => {
    // @ts-expect-error kind must be approval, timer or resume
    const output: NodeOutput = { wait: { kind: 'sleep' } };

    expect(output).toBeDefined();
  });

  it('types code.run, runs.progress and http.read', () => {
    expectTypeOf<HostApi['code']['run']>().parameters.toEqualTypeOf<[CodeRunRequest]>();
    expectTypeOf<Awaited<ReturnType<HostApi['code']['run']>>>().toEqualTypeOf<CodeRunResult>();
    expectTypeOf<Awaited<ReturnType<HostApi['runs']['progress']>>>().toEqualTypeOf<{ recorded: boolean }>();
    expectTypeOf<Awaited<ReturnType<HostApi['http']['read']>>>().toEqualTypeOf<HttpStreamChunk>();
  });
});
