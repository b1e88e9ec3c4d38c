import dagre from '@dagrejs/dagre';
import type { CanvasEdge, CanvasNode } from './graph-model';

/** Size assumed for a node that has not been measured yet, in pixels. */
export const DEFAULT_NODE_SIZE = { width: 200, height: 72 };

export interface LayoutOptions {
  /** Direction of the flow: `LR` left to right (the default), `TB` top to bottom. */
  direction?: 'LR' | 'TB';
  /** Gap between nodes of one rank, in pixels. */
  nodeGap?: number;
  /** Gap between ranks, in pixels. */
  rankGap?: number;
}

/**
 * Places the nodes in ranks along the edges with dagre and returns them with
 * new positions (top-left corners, as xyflow expects). Nodes keep everything
 * else, and the input array is left unchanged.
 *
 * @example
 * nodes = layoutNodes(nodes, edges, { direction: 'LR' });
 */
export function layoutNodes(nodes: CanvasNode[], edges: CanvasEdge[], options: LayoutOptions = {}): CanvasNode[] {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: options.direction ?? 'LR', nodesep: options.nodeGap ?? 40, ranksep: options.rankGap ?? 80, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));

  for (const node of nodes) {
    graph.setNode(node.id, { width: node.measured?.width ?? DEFAULT_NODE_SIZE.width, height: node.measured?.height ?? DEFAULT_NODE_SIZE.height });
  }
  const ids = new Set(nodes.map((node) => node.id));
  for (const edge of edges) {
    if (ids.has(edge.source) && ids.has(edge.target)) graph.setEdge(edge.source, edge.target, {}, edge.id);
  }

  dagre.layout(graph);

  return nodes.map((node) => {
    const placed = graph.node(node.id) as { x: number; y: number; width: number; height: number };
    return { ...node, position: { x: Math.round(placed.x - placed.width / 2), y: Math.round(placed.y - placed.height / 2) } };
  });
}
