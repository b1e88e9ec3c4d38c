// Dirty nodes while editing, by the rule the kernel applies in its
// canvas-execute response: a node is dirty when its definition or incoming
// edges differ from the live version, or a node above it is dirty. The
// kernel's per-node `dirty` flags replace this estimate after each canvas run.
import type { GraphNode, MifyGraph } from './types';

/** Orders keys by UTF-16 code units, so the order does not depend on the locale. */
function compareKeys(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** Returns JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => compareKeys(a, b));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Returns the parts of a node that decide what it computes, as canonical JSON. Name, position and notes are left out. */
function definitionOf(node: GraphNode): string {
  return canonicalJson({
    type: node.type,
    typeVersion: node.typeVersion,
    parameters: node.parameters ?? {},
    credentials: node.credentials ?? {},
    settings: { onError: 'fail', runOnEmptyInput: false, ...node.settings },
    disabled: node.disabled ?? false,
  });
}

function incomingOf(graph: Pick<MifyGraph, 'edges'>, nodeId: string): string {
  return graph.edges
    .filter((edge) => edge.to.node === nodeId)
    .map((edge) => `${edge.from.node}:${edge.from.port}->${edge.to.port}`)
    .sort()
    .join('|');
}

/** Returns a text that changes exactly when the dirty nodes of `graph` could change: positions and names are left out. */
export function definitionKey(graph: Pick<MifyGraph, 'nodes' | 'edges'>): string {
  return canonicalJson({ nodes: graph.nodes.map((node) => [node.id, definitionOf(node)]), edges: graph.edges.map((edge) => incomingOf({ edges: [edge] }, edge.to.node)).sort() });
}

/** Returns `start` and every node reachable from it along edges. */
export function withDownstream(graph: Pick<MifyGraph, 'edges'>, start: Iterable<string>): Set<string> {
  const next = new Map<string, string[]>();
  for (const edge of graph.edges) next.set(edge.from.node, [...(next.get(edge.from.node) ?? []), edge.to.node]);

  const reached = new Set<string>();
  const pending = [...start];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (reached.has(id)) continue;
    reached.add(id);
    pending.push(...(next.get(id) ?? []));
  }
  return reached;
}

/** Finds the dirty nodes of `graph` against the live version; every node is dirty when none is published. */
export function findDirtyNodes(graph: Pick<MifyGraph, 'nodes' | 'edges'>, live: Pick<MifyGraph, 'nodes' | 'edges'> | null): Set<string> {
  if (live === null) return new Set(graph.nodes.map((node) => node.id));

  const liveNodes = new Map(live.nodes.map((node) => [node.id, node]));
  const changed = graph.nodes
    .filter((node) => {
      const before = liveNodes.get(node.id);
      return before === undefined || definitionOf(before) !== definitionOf(node) || incomingOf(live, node.id) !== incomingOf(graph, node.id);
    })
    .map((node) => node.id);
  return withDownstream(graph, changed);
}
