import type { Edge, Node } from '@xyflow/svelte';
import { defaultParameters } from './schema-form';
import type { GraphEdge, GraphNode, GraphProblem, Item, MifyGraph, NodeContribution, Port, PortDeclaration } from './types';

/** Data of a canvas node: the graph node without its id and position, which xyflow keeps. */
export interface CanvasNodeData extends Record<string, unknown> {
  type: string;
  typeVersion: number;
  name: string;
  parameters: Record<string, unknown>;
  disabled: boolean;
  credentials: Record<string, string>;
  settings: NonNullable<GraphNode['settings']>;
  notes?: string;
}

export type CanvasNode = Node<CanvasNodeData, 'mify'>;
export type CanvasEdge = Edge;

/** The part of the graph document that the canvas does not show as nodes and edges. */
export type GraphExtras = Omit<MifyGraph, 'nodes' | 'edges'>;

/** Output port that every node gets while its `settings.onError` is `errorOutput`. */
export const ERROR_PORT = 'error';

/** Node ids allowed by the kernel: 1-64 letters, digits, dashes and underscores. */
const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Normalises declared ports; a missing list means the single port `main`, as in the manifest. */
export function normalizePorts(declared: PortDeclaration[] | undefined): Port[] {
  if (!Array.isArray(declared)) return [{ name: 'main', label: 'main' }];
  return declared.map((port) => (typeof port === 'string' ? { name: port, label: port } : { name: port.name, label: port.label ?? port.name }));
}

/**
 * Returns the input and output ports of a node: those of its type, plus the
 * `error` output while the node routes failures there. A node whose type is
 * not installed keeps one `main` port each way, so its edges still show.
 */
export function portsOf(contribution: NodeContribution | undefined, data: Pick<CanvasNodeData, 'settings'>): { inputs: Port[]; outputs: Port[] } {
  const inputs = normalizePorts(contribution?.inputs);
  const outputs = normalizePorts(contribution?.outputs);
  if (data.settings.onError === 'errorOutput' && !outputs.some((port) => port.name === ERROR_PORT)) outputs.push({ name: ERROR_PORT, label: ERROR_PORT });
  return { inputs, outputs };
}

/** Returns the id an edge has on the canvas: its own id, or one made from its ends. */
export function edgeIdOf(edge: GraphEdge): string {
  return edge.id ?? `${edge.from.node}:${edge.from.port}->${edge.to.node}:${edge.to.port}`;
}

/** Converts a graph node to a canvas node. */
export function toCanvasNode(node: GraphNode): CanvasNode {
  const data: CanvasNodeData = {
    type: node.type,
    typeVersion: node.typeVersion,
    name: node.name,
    parameters: node.parameters ?? {},
    disabled: node.disabled ?? false,
    credentials: node.credentials ?? {},
    settings: node.settings ?? { onError: 'fail', runOnEmptyInput: false },
  };
  if (node.notes !== undefined) data.notes = node.notes;
  return { id: node.id, type: 'mify', position: { ...(node.position ?? { x: 0, y: 0 }) }, data, ariaLabel: nodeAriaLabel(data.name) };
}

/** Returns the accessible name of a node on the canvas, which screen readers announce as a group. */
export function nodeAriaLabel(name: string): string {
  return `Node ${name}`;
}

export function toCanvasEdge(edge: GraphEdge): CanvasEdge {
  return { id: edgeIdOf(edge), source: edge.from.node, sourceHandle: edge.from.port, target: edge.to.node, targetHandle: edge.to.port };
}

/** Splits a graph document into canvas nodes and edges, and what else it carries. */
export function toCanvas(graph: MifyGraph): { nodes: CanvasNode[]; edges: CanvasEdge[]; extras: GraphExtras } {
  const { nodes, edges, ...extras } = graph;
  return { nodes: nodes.map(toCanvasNode), edges: edges.map(toCanvasEdge), extras };
}

/** Converts a canvas node back to a graph node, with its position rounded to whole pixels. */
export function toGraphNode(node: CanvasNode): GraphNode {
  const { data } = node;
  const graphNode: GraphNode = {
    id: node.id,
    type: data.type,
    typeVersion: data.typeVersion,
    name: data.name,
    parameters: data.parameters,
    position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
    disabled: data.disabled,
    credentials: data.credentials,
    settings: data.settings,
  };
  if (data.notes !== undefined) graphNode.notes = data.notes;
  return graphNode;
}

export function toGraphEdge(edge: CanvasEdge): GraphEdge {
  return { id: edge.id, from: { node: edge.source, port: edge.sourceHandle ?? 'main' }, to: { node: edge.target, port: edge.targetHandle ?? 'main' } };
}

/**
 * Builds the graph document from the canvas. Pinned data of nodes that are
 * no longer on the canvas is dropped, because the kernel rejects pins of
 * unknown nodes.
 */
export function toGraph(nodes: CanvasNode[], edges: CanvasEdge[], extras: GraphExtras): MifyGraph {
  const ids = new Set(nodes.map((node) => node.id));
  const pinnedData: Record<string, Item[]> = {};
  for (const [nodeId, items] of Object.entries(extras.pinnedData ?? {})) if (ids.has(nodeId)) pinnedData[nodeId] = items;

  return { ...extras, nodes: nodes.map(toGraphNode), edges: edges.map(toGraphEdge), pinnedData };
}

/** Returns `base`, or `base 2`, `base 3`, … whichever is not taken yet. */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${base} ${suffix}`;
    if (!names.has(candidate)) return candidate;
  }
}

/** Creates a node id the kernel accepts and that `taken` does not contain. */
export function newNodeId(taken: Iterable<string> = []): string {
  const ids = new Set(taken);
  for (;;) {
    const id = `node_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    if (!ids.has(id) && NODE_ID_PATTERN.test(id)) return id;
  }
}

/** Creates a canvas node of a contributed type at `position`, with the defaults of its parameter schema. */
export function createNode(contribution: NodeContribution, position: { x: number; y: number }, existing: CanvasNode[]): CanvasNode {
  const data: CanvasNodeData = {
    type: contribution.type,
    typeVersion: contribution.typeVersion,
    name: uniqueName(contribution.name, existing.map((node) => node.data.name)),
    parameters: defaultParameters(contribution.parameters),
    disabled: false,
    credentials: {},
    settings: { onError: 'fail', runOnEmptyInput: false },
  };
  return { id: newNodeId(existing.map((node) => node.id)), type: 'mify', position, data, ariaLabel: nodeAriaLabel(data.name) };
}

/** Returns the contribution for a node type and version, or undefined when it is not installed. */
export function findContribution(contributions: NodeContribution[], type: string, typeVersion: number): NodeContribution | undefined {
  return contributions.find((entry) => entry.type === type && entry.typeVersion === typeVersion);
}

/**
 * Decides whether a new edge may be drawn: no edge from a node to itself, and
 * no second edge between the same two ports.
 */
export function canConnect(edges: CanvasEdge[], connection: { source: string; target: string; sourceHandle?: string | null; targetHandle?: string | null }): boolean {
  if (connection.source === connection.target) return false;
  return !edges.some(
    (edge) =>
      edge.source === connection.source &&
      edge.target === connection.target &&
      (edge.sourceHandle ?? 'main') === (connection.sourceHandle ?? 'main') &&
      (edge.targetHandle ?? 'main') === (connection.targetHandle ?? 'main'),
  );
}

/**
 * Groups graph problems by the node they name: by `nodeId` when the kernel
 * gives it, else by the node index in a path such as `$.nodes[2].parameters.url`
 * looked up in `graph`. Problems of no node are listed under the empty key.
 */
export function problemsByNode(problems: Array<Pick<GraphProblem, 'path' | 'message' | 'nodeId'>>, graph: Pick<MifyGraph, 'nodes'>): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const problem of problems) {
    let nodeId = problem.nodeId;
    if (nodeId === undefined) {
      const match = /(?:^|[.$])nodes\[(\d+)\]/.exec(problem.path);
      if (match) nodeId = graph.nodes[Number(match[1])]?.id;
    }
    const key = nodeId ?? '';
    grouped.set(key, [...(grouped.get(key) ?? []), problem.message]);
  }
  return grouped;
}
