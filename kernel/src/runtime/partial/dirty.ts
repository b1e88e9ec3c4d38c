import { canonicalJson } from '../../graphs/canonical.js';
import type { GraphNode, MifyGraph } from '../../graphs/model.js';

/**
 * The parts of a node that decide what it computes: type, version,
 * parameters, credentials, settings and whether it is disabled. Name,
 * position and notes are left out, so moving or renaming a node does not
 * make it dirty.
 */
export function nodeDefinition(node: GraphNode): Record<string, unknown> {
  return {
    type: node.type,
    typeVersion: node.typeVersion,
    parameters: node.parameters,
    credentials: node.credentials,
    settings: node.settings,
    disabled: node.disabled,
  };
}

/** Where a node's input comes from, in a form that ignores edge order and edge ids. */
function incomingSignature(graph: MifyGraph, nodeId: string): string {
  const sources = graph.edges
    .filter((edge) => edge.to.node === nodeId)
    .map((edge) => `${edge.from.node}:${edge.from.port}->${edge.to.port}`)
    .sort();
  return canonicalJson(sources);
}

/**
 * Finds the nodes of `graph` that differ from `live`: nodes whose definition
 * (see `nodeDefinition`) or incoming edges changed, nodes the live version
 * lacks, and every node downstream of those. With no live version every node
 * is dirty.
 *
 * @example
 * const dirty = findDirtyNodes(canvas, liveVersion?.definition ?? null);
 * dirty.has('summarise'); // true when it or a node above it was edited
 */
export function findDirtyNodes(graph: MifyGraph, live: MifyGraph | null): Set<string> {
  if (live === null) return new Set(graph.nodes.map((node) => node.id));

  const liveNodes = new Map(live.nodes.map((node) => [node.id, node]));
  const changed: string[] = [];
  for (const node of graph.nodes) {
    const before = liveNodes.get(node.id);
    const same =
      before !== undefined &&
      canonicalJson(nodeDefinition(before)) === canonicalJson(nodeDefinition(node)) &&
      incomingSignature(live, node.id) === incomingSignature(graph, node.id);
    if (!same) changed.push(node.id);
  }

  return withDownstream(graph, changed);
}

/** `start` and every node reachable from it along edges, back edges of loops included. */
export function withDownstream(graph: MifyGraph, start: Iterable<string>): Set<string> {
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
