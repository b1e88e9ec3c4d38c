import { describe, expect, it } from 'vitest';
import { NodeTypeTable } from '../../graphs/node-types.js';
import { testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';
import type { NodeTypeInfo } from '../types.js';
import { GraphPlanError } from './errors.js';
import { planGraph } from './plan.js';

function type(name: string, options: Partial<NodeTypeInfo> = {}): NodeTypeInfo {
  return { type: `acme.test.${name}`, typeVersion: 1, extensionId: 'acme.test', inputs: ['main'], outputs: ['main'], executionClass: 'deterministic', control: null, parameters: { type: 'object' }, ...options };
}

const types = new NodeTypeTable([
  type('trigger', { inputs: [], control: 'trigger' }),
  type('pass'),
  type('if', { outputs: ['true', 'false'] }),
  type('merge', { inputs: ['a', 'b'], control: 'merge' }),
  type('loop', { outputs: ['loop', 'done'], control: 'loop' }),
]);

describe('planGraph', () => {
  it('orders nodes topologically with ties in document order', () => {
    const plan = planGraph(graph({ nodes: [node('c', 'pass'), node('b', 'pass'), node('a', 'pass')], edges: [edge('b', 'c'), edge('a', 'c')] }), types);

    expect(plan.nodes.map((planned) => planned.node.id)).toEqual(['b', 'a', 'c']);
  });

  it('starts at trigger nodes when the graph has one', () => {
    const plan = planGraph(graph({ nodes: [node('t', 'trigger'), node('loose', 'pass'), node('a', 'pass')], edges: [edge('t', 'a')] }), types);

    expect(plan.byId.get('t')!.isStart).toBe(true);
    expect(plan.byId.get('loose')!.isStart).toBe(false);
  });

  it('starts at nodes without inputs when the graph has no trigger', () => {
    const plan = planGraph(graph({ nodes: [node('a', 'pass'), node('b', 'pass')], edges: [edge('a', 'b')] }), types);

    expect(plan.byId.get('a')!.isStart).toBe(true);
    expect(plan.byId.get('b')!.isStart).toBe(false);
  });

  it('finds a back edge and loop body', () => {
    const plan = planGraph(
      graph({
        nodes: [node('t', 'trigger'), node('loop', 'loop'), node('body', 'pass'), node('side', 'pass'), node('after', 'pass')],
        edges: [edge('t', 'loop'), edge('loop:loop', 'body'), edge('body', 'loop'), edge('body', 'side'), edge('loop:done', 'after')],
      }),
      types,
    );
    const loop = plan.byId.get('loop')!;

    expect(loop.backIncoming.map((e) => e.from.node.id)).toEqual(['body']);
    expect(loop.incoming.map((e) => e.from.node.id)).toEqual(['t']);
    expect(loop.loopBody.map((planned) => planned.node.id)).toEqual(['body', 'side']);
    expect(plan.byId.get('after')!.enclosingLoops).toEqual([]);
  });

  it('separates outer edge from inner back edge', () => {
    const plan = planGraph(
      graph({
        nodes: [node('t', 'trigger'), node('outer', 'loop'), node('inner', 'loop'), node('work', 'pass'), node('collect', 'pass')],
        edges: [edge('t', 'outer'), edge('outer:loop', 'inner'), edge('inner:loop', 'work'), edge('work', 'inner'), edge('inner:done', 'collect'), edge('collect', 'outer')],
      }),
      types,
    );

    expect(plan.byId.get('inner')!.incoming.map((e) => e.from.node.id)).toEqual(['outer']);
    expect(plan.byId.get('inner')!.backIncoming.map((e) => e.from.node.id)).toEqual(['work']);
    expect(plan.byId.get('outer')!.loopBody.map((planned) => planned.node.id)).toEqual(['inner', 'work', 'collect']);
    expect(plan.byId.get('inner')!.loopBody.map((planned) => planned.node.id)).toEqual(['work']);
    expect(plan.byId.get('work')!.enclosingLoops.map((planned) => planned.node.id).sort()).toEqual(['inner', 'outer']);
  });

  it('closes a loop through a body node with an outside input', () => {
    const plan = planGraph(
      graph({
        nodes: [node('t', 'trigger'), node('outside', 'pass'), node('loop', 'loop'), node('m', 'merge')],
        edges: [edge('t', 'outside'), edge('t', 'loop'), edge('loop:loop', 'm:a'), edge('outside', 'm:b'), edge('m', 'loop')],
      }),
      types,
    );

    expect(plan.byId.get('loop')!.backIncoming.map((e) => e.from.node.id)).toEqual(['m']);
    expect(plan.byId.get('loop')!.loopBody.map((planned) => planned.node.id)).toEqual(['m']);
  });

  it('keeps two outer paths into an inner loop forward', () => {
    const plan = planGraph(
      graph({
        nodes: [node('t', 'trigger'), node('outer', 'loop'), node('a', 'pass'), node('b', 'pass'), node('inner', 'loop'), node('work', 'pass'), node('collect', 'pass')],
        edges: [
          edge('t', 'outer'),
          edge('outer:loop', 'a'),
          edge('outer:loop', 'b'),
          edge('a', 'inner'),
          edge('b', 'inner'),
          edge('inner:loop', 'work'),
          edge('work', 'inner'),
          edge('inner:done', 'collect'),
          edge('collect', 'outer'),
        ],
      }),
      types,
    );

    expect(plan.byId.get('inner')!.incoming.map((e) => e.from.node.id)).toEqual(['a', 'b']);
    expect(plan.byId.get('inner')!.backIncoming.map((e) => e.from.node.id)).toEqual(['work']);
    expect(plan.byId.get('outer')!.backIncoming.map((e) => e.from.node.id)).toEqual(['collect']);
  });

  it('rejects a cycle without a loop node naming its nodes', () => {
    const attempt = () => planGraph(graph({ nodes: [node('t', 'trigger'), node('a', 'pass'), node('b', 'pass')], edges: [edge('t', 'a'), edge('a', 'b'), edge('b', 'a')] }), types);

    expect(attempt).toThrow(GraphPlanError);
    expect(attempt).toThrow(/'a', 'b' form or follow a cycle that passes no loop node/);
  });

  it('rejects a cycle entered past its loop node', () => {
    const attempt = () =>
      planGraph(graph({ nodes: [node('t', 'trigger'), node('a', 'pass'), node('loop', 'loop'), node('b', 'pass')], edges: [edge('t', 'a'), edge('a', 'loop'), edge('loop:loop', 'b'), edge('b', 'a')] }), types);

    expect(attempt).toThrow(/cycle that passes no loop node/);
  });

  it('lists every unknown type, port and node at once', () => {
    let error: GraphPlanError | undefined;
    try {
      planGraph(graph({ nodes: [node('a', 'pass'), node('x', 'nope'), node('i', 'if')], edges: [edge('i:maybe', 'a'), edge('a', 'ghost')] }), types);
    } catch (caught) {
      error = caught as GraphPlanError;
    }

    expect(error?.problems.map((problem) => problem.path)).toEqual(['$.nodes[1].type', '$.edges[0].from.port', '$.edges[1].to.node']);
    expect(error?.message).toContain("type 'acme.test.nope', which no enabled extension provides");
  });

  it('accepts a disabled or pinned node of an unknown type', () => {
    const plan = planGraph(
      graph({ nodes: [node('off', 'gone', { disabled: true }), node('pin', 'gone'), node('a', 'pass')], edges: [edge('off', 'a'), edge('pin:custom', 'a')], pinnedData: { pin: [{ json: {} }] } }),
      types,
    );

    expect(plan.byId.get('off')!.type).toBeNull();
    expect(plan.byId.get('pin')!.outputs).toEqual(['main', 'custom']);
  });

  it('adds the error port when a node routes errors to it', () => {
    const plan = planGraph(graph({ nodes: [node('a', 'pass', { settings: { onError: 'errorOutput' } }), node('b', 'pass')], edges: [edge('a:error', 'b')] }), types);

    expect(plan.byId.get('a')!.outputs).toEqual(['main', 'error']);
  });

  it('reads the first mode of a merge from its parameters', () => {
    const plan = planGraph(graph({ nodes: [node('m', 'merge', { parameters: { mode: 'first' } }), node('n', 'merge')], edges: [] }), types);

    expect(plan.byId.get('m')!.mergeFirst).toBe(true);
    expect(plan.byId.get('n')!.mergeFirst).toBe(false);
  });
});
