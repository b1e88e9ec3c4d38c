import { describe, expect, it } from 'vitest';
import { toCanvas } from './graph-model';
import { DEFAULT_NODE_SIZE, layoutNodes } from './layout';

const { nodes, edges } = toCanvas({
  nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 't', typeVersion: 1, name: id, parameters: {}, position: { x: 0, y: 0 } })),
  edges: [
    { from: { node: 'a', port: 'main' }, to: { node: 'b', port: 'main' } },
    { from: { node: 'a', port: 'main' }, to: { node: 'c', port: 'main' } },
    { from: { node: 'b', port: 'main' }, to: { node: 'd', port: 'main' } },
    { from: { node: 'c', port: 'main' }, to: { node: 'd', port: 'main' } },
  ],
});

describe('layoutNodes', () => {
  it('places each rank to the right of the previous', () => {
    const placed = new Map(layoutNodes(nodes, edges).map((node) => [node.id, node.position]));

    expect(placed.get('b')!.x).toBeGreaterThanOrEqual(placed.get('a')!.x + DEFAULT_NODE_SIZE.width);
    expect(placed.get('d')!.x).toBeGreaterThanOrEqual(placed.get('b')!.x + DEFAULT_NODE_SIZE.width);
    expect(placed.get('b')!.x).toBe(placed.get('c')!.x);
  });

  it('keeps nodes of one rank apart', () => {
    const placed = new Map(layoutNodes(nodes, edges).map((node) => [node.id, node.position]));
    expect(Math.abs(placed.get('b')!.y - placed.get('c')!.y)).toBeGreaterThanOrEqual(DEFAULT_NODE_SIZE.height);
  });

  it('stacks ranks downwards with TB', () => {
    const placed = new Map(layoutNodes(nodes, edges, { direction: 'TB' }).map((node) => [node.id, node.position]));
    expect(placed.get('b')!.y).toBeGreaterThan(placed.get('a')!.y);
  });

  it('leaves the input unchanged', () => {
    layoutNodes(nodes, edges);
    expect(nodes.every((node) => node.position.x === 0 && node.position.y === 0)).toBe(true);
  });

  it('uses measured sizes when known', () => {
    const wide = nodes.map((node) => ({ ...node, measured: { width: 500, height: 50 } }));
    const placed = new Map(layoutNodes(wide, edges).map((node) => [node.id, node.position]));
    expect(placed.get('b')!.x - placed.get('a')!.x).toBeGreaterThanOrEqual(500);
  });
});
