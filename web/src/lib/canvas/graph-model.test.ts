import { describe, expect, it } from 'vitest';
import { canConnect, createNode, edgeIdOf, normalizePorts, portsOf, problemsByNode, toCanvas, toGraph, uniqueName, type CanvasNode } from './graph-model';
import type { MifyGraph, NodeContribution } from './types';

const ifNode: NodeContribution = {
  type: 'mify.control.route-if',
  typeVersion: 1,
  name: 'If',
  description: 'Routes items by conditions.',
  category: 'Flow',
  inputs: ['main'],
  outputs: [
    { name: 'true', label: 'true' },
    { name: 'false', label: 'false' },
  ],
  parameters: { type: 'object', properties: { combinator: { type: 'string', enum: ['and', 'or'], default: 'and' }, conditions: { type: 'array' } } },
  executionClass: 'deterministic',
  extensionId: 'mify.control',
  extensionVersion: '1.0.0',
  healthy: true,
};

const graph: MifyGraph = {
  nodes: [
    { id: 'a', type: 'mify.data.edit-fields', typeVersion: 1, name: 'Set', parameters: { operations: [] }, position: { x: 10, y: 20 } },
    { id: 'b', type: 'mify.control.route-if', typeVersion: 1, name: 'If', parameters: {}, position: { x: 300, y: 20 }, settings: { onError: 'errorOutput' } },
  ],
  edges: [{ from: { node: 'a', port: 'main' }, to: { node: 'b', port: 'main' } }],
  settings: { variables: { region: 'eu' } },
  pinnedData: { a: [{ json: { price: 1 } }] },
};

describe('graph model', () => {
  it('round-trips a graph through the canvas', () => {
    const { nodes, edges, extras } = toCanvas(graph);
    const back = toGraph(nodes, edges, extras);

    expect(back.nodes.map((node) => [node.id, node.name, node.position])).toEqual([
      ['a', 'Set', { x: 10, y: 20 }],
      ['b', 'If', { x: 300, y: 20 }],
    ]);
    expect(back.edges).toEqual([{ id: 'a:main->b:main', from: { node: 'a', port: 'main' }, to: { node: 'b', port: 'main' } }]);
    expect(back.settings).toEqual({ variables: { region: 'eu' } });
    expect(back.pinnedData).toEqual({ a: [{ json: { price: 1 } }] });
  });

  it('labels canvas nodes for screen readers', () => {
    expect(toCanvas(graph).nodes[0]!.ariaLabel).toBe('Node Set');
  });

  it('drops pins of removed nodes', () => {
    const { nodes, edges, extras } = toCanvas(graph);
    const back = toGraph(nodes.filter((node) => node.id !== 'a'), edges, extras);
    expect(back.pinnedData).toEqual({});
  });

  it('rounds positions to whole pixels', () => {
    const { nodes, edges, extras } = toCanvas(graph);
    nodes[0]!.position = { x: 10.6, y: 19.2 };
    expect(toGraph(nodes, edges, extras).nodes[0]!.position).toEqual({ x: 11, y: 19 });
  });

  it('keeps edge ids and makes missing ones from the ends', () => {
    expect(edgeIdOf({ id: 'e1', from: { node: 'a', port: 'main' }, to: { node: 'b', port: 'main' } })).toBe('e1');
    expect(edgeIdOf({ from: { node: 'a', port: 'true' }, to: { node: 'b', port: 'input2' } })).toBe('a:true->b:input2');
  });
});

describe('ports', () => {
  it('defaults to one main port', () => {
    expect(normalizePorts(undefined)).toEqual([{ name: 'main', label: 'main' }]);
  });

  it('reads names and labelled objects', () => {
    expect(normalizePorts(['main', { name: 'discarded', label: 'Discarded' }])).toEqual([
      { name: 'main', label: 'main' },
      { name: 'discarded', label: 'Discarded' },
    ]);
  });

  it('lists every output of a branching node', () => {
    const ports = portsOf(ifNode, { settings: { onError: 'fail' } });
    expect(ports.outputs.map((port) => port.name)).toEqual(['true', 'false']);
  });

  it('adds the error output for errorOutput', () => {
    const ports = portsOf(ifNode, { settings: { onError: 'errorOutput' } });
    expect(ports.outputs.map((port) => port.name)).toEqual(['true', 'false', 'error']);
  });

  it('gives an unknown type main ports', () => {
    const ports = portsOf(undefined, { settings: {} });
    expect(ports.inputs.map((port) => port.name)).toEqual(['main']);
    expect(ports.outputs.map((port) => port.name)).toEqual(['main']);
  });
});

describe('new nodes', () => {
  it('numbers repeated names', () => {
    expect(uniqueName('If', [])).toBe('If');
    expect(uniqueName('If', ['If', 'If 2'])).toBe('If 3');
  });

  it('creates a node with schema defaults', () => {
    const existing = toCanvas(graph).nodes;
    const node = createNode(ifNode, { x: 5, y: 6 }, existing);

    expect(node.data.name).toBe('If 2');
    expect(node.data.parameters).toEqual({ combinator: 'and' });
    expect(node.id).toMatch(/^node_[0-9a-f]{12}$/);
    expect(node.position).toEqual({ x: 5, y: 6 });
  });
});

describe('connections', () => {
  const edges = toCanvas(graph).edges;

  it('rejects an edge from a node to itself', () => {
    expect(canConnect(edges, { source: 'a', target: 'a', sourceHandle: 'main', targetHandle: 'main' })).toBe(false);
  });

  it('rejects a duplicate edge', () => {
    expect(canConnect(edges, { source: 'a', target: 'b', sourceHandle: 'main', targetHandle: 'main' })).toBe(false);
  });

  it('accepts an edge from another port', () => {
    expect(canConnect(edges, { source: 'b', target: 'a', sourceHandle: 'true', targetHandle: 'main' })).toBe(true);
  });
});

describe('problems by node', () => {
  it('uses nodeId, then the index in the path', () => {
    const grouped = problemsByNode(
      [
        { path: '$.nodes[1].parameters.conditions', message: 'conditions is required' },
        { path: 'graph.nodes[0].type', message: 'unknown type', nodeId: 'a' },
        { path: '$.edges[0]', message: 'dangling edge' },
      ],
      graph,
    );

    expect(grouped.get('b')).toEqual(['conditions is required']);
    expect(grouped.get('a')).toEqual(['unknown type']);
    expect(grouped.get('')).toEqual(['dangling edge']);
  });

  it('maps canvas-execute paths', () => {
    const grouped = problemsByNode([{ path: 'graph.nodes[1].parameters', message: 'bad' }], graph);
    expect(grouped.get('b')).toEqual(['bad']);
  });

  it('ignores selection state in canvas nodes', () => {
    const nodes: CanvasNode[] = toCanvas(graph).nodes.map((node) => ({ ...node, selected: true }));
    expect(toGraph(nodes, [], {}).nodes[0]).not.toHaveProperty('selected');
  });
});
