import { describe, expect, it } from 'vitest';
import { NodeTypeTable } from '../../graphs/node-types.js';
import { mifyGraphSchema, type MifyGraphInput } from '../../graphs/model.js';
import { planGraph } from '../executor/plan.js';
import type { NodeTypeInfo } from '../types.js';
import { computeContentKeys } from './content-keys.js';
import { findDirtyNodes } from './dirty.js';
import { partEdge as edge, partNode as node } from './testing.js';

function type(kind: string, extra: Partial<NodeTypeInfo> = {}): NodeTypeInfo {
  return { type: `acme.part.${kind}`, typeVersion: 1, extensionId: 'acme.part', inputs: ['main'], outputs: ['main'], executionClass: 'deterministic', control: null, parameters: {}, ...extra };
}

const types = new NodeTypeTable([type('trigger', { inputs: [], control: 'trigger' }), type('count'), type('random', { executionClass: 'probabilistic' })]);

function keysOf(input: MifyGraphInput, runInput = [{ json: {} }]) {
  const graph = mifyGraphSchema.parse(input);
  return computeContentKeys({ plan: planGraph(graph, types), runInput, extensionVersion: () => '1.0.0' });
}

const chain = (tags: { a?: string; b?: string } = {}): MifyGraphInput => ({
  nodes: [node('t', 'trigger'), node('a', 'count', { tag: tags.a ?? 'a' }), node('b', 'count', { tag: tags.b ?? 'b' })],
  edges: [edge('t', 'a'), edge('a', 'b')],
});

describe('computeContentKeys', () => {
  it('is stable for an unchanged graph', () => {
    expect(keysOf(chain()).get('b')!.contentKey).toBe(keysOf(chain()).get('b')!.contentKey);
  });

  it('changes every key below an upstream change', () => {
    const before = keysOf(chain());
    const after = keysOf(chain({ a: 'a2' }));

    expect(after.get('t')!.contentKey).toBe(before.get('t')!.contentKey);
    expect(after.get('a')!.contentKey).not.toBe(before.get('a')!.contentKey);
    expect(after.get('b')!.contentKey).not.toBe(before.get('b')!.contentKey);
  });

  it('keeps keys above a downstream change', () => {
    const before = keysOf(chain());
    const after = keysOf(chain({ b: 'b2' }));

    expect(after.get('a')!.contentKey).toBe(before.get('a')!.contentKey);
    expect(after.get('b')!.contentKey).not.toBe(before.get('b')!.contentKey);
  });

  it('folds in the run input at the start nodes', () => {
    expect(keysOf(chain(), [{ json: { n: 2 } }]).get('b')!.contentKey).not.toBe(keysOf(chain()).get('b')!.contentKey);
  });

  it('leaves nodes below a probabilistic node without a key', () => {
    const keys = keysOf({ nodes: [node('t', 'trigger'), node('r', 'random'), node('d', 'count')], edges: [edge('t', 'r'), edge('r', 'd')] });

    expect(keys.get('r')).toMatchObject({ cacheable: false, reason: 'probabilistic node', outputId: null });
    expect(keys.get('d')).toMatchObject({ contentKey: null, cacheable: false });
  });

  it('keys a node below a pinned probabilistic node by the pinned items', () => {
    const graph = (value: number): MifyGraphInput => ({ nodes: [node('t', 'trigger'), node('r', 'random'), node('d', 'count')], edges: [edge('t', 'r'), edge('r', 'd')], pinnedData: { r: [{ json: { value } }] } });

    expect(keysOf(graph(1)).get('d')!.cacheable).toBe(true);
    expect(keysOf(graph(1)).get('d')!.contentKey).not.toBe(keysOf(graph(2)).get('d')!.contentKey);
  });

  it('gives no key to volatile expressions', () => {
    const keys = keysOf({ nodes: [node('t', 'trigger'), node('a', 'count', { tag: '{{ $now }}' })], edges: [edge('t', 'a')] });

    expect(keys.get('a')!.contentKey).toBeNull();
  });

  it('folds in nodes named by a $node expression', () => {
    const graph = (tag: string): MifyGraphInput => ({
      nodes: [node('t', 'trigger'), node('side', 'count', { tag }), node('a', 'count', { tag: '{{ $node["side"].json.trail }}' })],
      edges: [edge('t', 'side'), edge('t', 'a')],
    });

    expect(keysOf(graph('one')).get('a')!.contentKey).not.toBe(keysOf(graph('two')).get('a')!.contentKey);
  });
});

describe('findDirtyNodes', () => {
  const parse = (input: MifyGraphInput) => mifyGraphSchema.parse(input);

  it('marks every node dirty without a live version', () => {
    expect([...findDirtyNodes(parse(chain()), null)]).toEqual(['t', 'a', 'b']);
  });

  it('marks a changed node and the nodes below it', () => {
    expect([...findDirtyNodes(parse(chain({ a: 'new' })), parse(chain()))].sort()).toEqual(['a', 'b']);
  });

  it('ignores position and name changes', () => {
    const moved = parse(chain());
    moved.nodes[1]!.position = { x: 500, y: 20 };
    moved.nodes[1]!.name = 'renamed';

    expect(findDirtyNodes(moved, parse(chain())).size).toBe(0);
  });

  it('marks a node whose input was rewired', () => {
    const rewired = parse({ ...chain(), edges: [edge('t', 'a'), edge('t', 'b')] });

    expect([...findDirtyNodes(rewired, parse(chain()))]).toEqual(['b']);
  });
});
