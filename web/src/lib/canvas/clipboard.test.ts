import { describe, expect, it } from 'vitest';
import { copySelection, parseClipboard, pasteContent, serializeClipboard } from './clipboard';
import { toCanvas } from './graph-model';
import type { MifyGraph } from './types';

const graph: MifyGraph = {
  nodes: [
    { id: 'a', type: 't.a', typeVersion: 1, name: 'Fetch', parameters: { url: 'x' }, position: { x: 0, y: 0 } },
    { id: 'b', type: 't.b', typeVersion: 1, name: 'Parse', parameters: {}, position: { x: 200, y: 0 } },
    { id: 'c', type: 't.c', typeVersion: 1, name: 'Store', parameters: {}, position: { x: 400, y: 0 } },
  ],
  edges: [
    { from: { node: 'a', port: 'main' }, to: { node: 'b', port: 'main' } },
    { from: { node: 'b', port: 'main' }, to: { node: 'c', port: 'main' } },
  ],
};

function canvasWithSelection(ids: string[]) {
  const { nodes, edges } = toCanvas(graph);
  return { nodes: nodes.map((node) => ({ ...node, selected: ids.includes(node.id) })), edges };
}

describe('copySelection', () => {
  it('copies selected nodes and their inner edges', () => {
    const { nodes, edges } = canvasWithSelection(['a', 'b']);
    const content = copySelection(nodes, edges, { a: [{ json: { n: 1 } }], c: [{ json: {} }] })!;

    expect(content.nodes.map((node) => node.id)).toEqual(['a', 'b']);
    expect(content.edges.map((edge) => `${edge.source}->${edge.target}`)).toEqual(['a->b']);
    expect(content.pinnedData).toEqual({ a: [{ json: { n: 1 } }] });
  });

  it('returns null without a selection', () => {
    const { nodes, edges } = canvasWithSelection([]);
    expect(copySelection(nodes, edges)).toBeNull();
  });
});

describe('pasteContent', () => {
  it('gives copies new ids, unique names and offsets', () => {
    const { nodes, edges } = canvasWithSelection(['a', 'b']);
    const content = copySelection(nodes, edges, { a: [{ json: { n: 1 } }] })!;

    const pasted = pasteContent(content, nodes, { x: 40, y: 40 });

    expect(pasted.nodes.map((node) => node.data.name)).toEqual(['Fetch 2', 'Parse 2']);
    expect(pasted.nodes.every((node) => !['a', 'b', 'c'].includes(node.id))).toBe(true);
    expect(pasted.nodes[1]!.position).toEqual({ x: 240, y: 40 });
    expect(pasted.nodes.every((node) => node.selected)).toBe(true);
    expect(pasted.nodes[0]!.ariaLabel).toBe('Node Fetch 2');
  });

  it('re-points inner edges and pins to the copies', () => {
    const { nodes, edges } = canvasWithSelection(['a', 'b']);
    const content = copySelection(nodes, edges, { a: [{ json: { n: 1 } }] })!;

    const pasted = pasteContent(content, nodes, { x: 0, y: 0 });
    const [first, second] = pasted.nodes;

    expect(pasted.edges).toEqual([{ id: `${first!.id}:main->${second!.id}:main`, source: first!.id, target: second!.id, sourceHandle: 'main', targetHandle: 'main' }]);
    expect(pasted.pinnedData).toEqual({ [first!.id]: [{ json: { n: 1 } }] });
  });

  it('does not share parameter objects with the originals', () => {
    const { nodes, edges } = canvasWithSelection(['a']);
    const pasted = pasteContent(copySelection(nodes, edges)!, nodes, { x: 0, y: 0 });
    pasted.nodes[0]!.data.parameters.url = 'changed';
    expect(nodes[0]!.data.parameters.url).toBe('x');
  });
});

describe('clipboard text', () => {
  it('round-trips through text', () => {
    const { nodes, edges } = canvasWithSelection(['c']);
    const content = copySelection(nodes, edges)!;
    expect(parseClipboard(serializeClipboard(content))).toEqual(content);
  });

  it('ignores other text', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"format":"other","nodes":[],"edges":[]}')).toBeNull();
    expect(parseClipboard('null')).toBeNull();
  });
});
