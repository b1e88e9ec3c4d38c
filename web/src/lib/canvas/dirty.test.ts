import { describe, expect, it } from 'vitest';
import { canonicalJson, definitionKey, findDirtyNodes } from './dirty';
import type { MifyGraph } from './types';

const live: MifyGraph = {
  nodes: [
    { id: 'a', type: 't', typeVersion: 1, name: 'A', parameters: { x: 1 }, position: { x: 0, y: 0 }, settings: { onError: 'fail', runOnEmptyInput: false } },
    { id: 'b', type: 't', typeVersion: 1, name: 'B', parameters: {}, position: { x: 0, y: 0 } },
    { id: 'c', type: 't', typeVersion: 1, name: 'C', parameters: {}, position: { x: 0, y: 0 } },
  ],
  edges: [
    { from: { node: 'a', port: 'main' }, to: { node: 'b', port: 'main' } },
    { from: { node: 'b', port: 'main' }, to: { node: 'c', port: 'main' } },
  ],
};

function edit(change: (graph: MifyGraph) => void): MifyGraph {
  const graph = structuredClone(live);
  change(graph);
  return graph;
}

describe('findDirtyNodes', () => {
  it('marks every node without a live version', () => {
    expect([...findDirtyNodes(live, null)]).toEqual(['a', 'b', 'c']);
  });

  it('marks nothing for the live graph', () => {
    expect(findDirtyNodes(structuredClone(live), live).size).toBe(0);
  });

  it('ignores name, position and key order', () => {
    const graph = edit((draft) => {
      draft.nodes[0]!.name = 'Renamed';
      draft.nodes[0]!.position = { x: 50, y: 9 };
      draft.nodes[1]!.settings = { runOnEmptyInput: false, onError: 'fail' };
    });
    expect(findDirtyNodes(graph, live).size).toBe(0);
  });

  it('marks a changed node and everything below it', () => {
    const graph = edit((draft) => {
      draft.nodes[1]!.parameters = { y: 2 };
    });
    expect([...findDirtyNodes(graph, live)].sort()).toEqual(['b', 'c']);
  });

  it('marks a node whose input edge changed', () => {
    const graph = edit((draft) => {
      draft.edges[1] = { from: { node: 'a', port: 'main' }, to: { node: 'c', port: 'main' } };
    });
    expect([...findDirtyNodes(graph, live)]).toEqual(['c']);
  });

  it('marks a new node', () => {
    const graph = edit((draft) => {
      draft.nodes.push({ id: 'd', type: 't', typeVersion: 1, name: 'D', parameters: {}, position: { x: 0, y: 0 } });
    });
    expect([...findDirtyNodes(graph, live)]).toEqual(['d']);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 2 }] })).toBe('{"a":[{"c":2}],"b":1}');
  });
});

describe('definitionKey', () => {
  it('ignores positions and names', () => {
    const moved = edit((draft) => {
      draft.nodes[0]!.position = { x: 99, y: 99 };
      draft.nodes[0]!.name = 'Other';
    });
    expect(definitionKey(moved)).toBe(definitionKey(live));
  });

  it('changes with parameters and edges', () => {
    expect(definitionKey(edit((draft) => (draft.nodes[0]!.parameters = { x: 2 })))).not.toBe(definitionKey(live));
    expect(definitionKey(edit((draft) => draft.edges.pop()))).not.toBe(definitionKey(live));
  });
});
