import type { MifyGraph } from '../../graphs/model.js';
import type { ExecutionPlan, PlannedNode } from '../executor/plan.js';

const NODE_REFERENCE = /\$node\b|\$\(|\$items\b/;

/**
 * Chooses the nodes a partial run needs (`kept`), and the nodes the request is about
 * (`upstream`: the goals and all nodes above them). The kept nodes are found like this. Starting from the target node, or
 * from every node without outgoing edges, it walks up the edges and stops at
 * pinned nodes, because their output is given: nodes that only feed pinned
 * nodes are left out and do not run. Nodes a kept node names in a `$node`
 * expression are kept too. Trigger nodes are always kept, so the run starts
 * from the same nodes as a full run.
 */
export function selectNodes(plan: ExecutionPlan, pinned: ReadonlySet<string>, targetNodeId: string | null): { kept: Set<string>; upstream: Set<string> } {
  const byName = new Map(plan.nodes.map((planned) => [planned.node.name, planned]));
  const kept = new Set<string>();

  const visit = (planned: PlannedNode): void => {
    if (kept.has(planned.node.id)) return;
    kept.add(planned.node.id);
    if (pinned.has(planned.node.id)) return;

    for (const edge of [...planned.incoming, ...planned.backIncoming]) visit(edge.from);
    for (const other of referencedNodes(planned, byName)) visit(other);
  };

  const goals = targetNodeId !== null ? [plan.byId.get(targetNodeId)!] : plan.nodes.filter((planned) => planned.outgoing.length === 0);
  for (const goal of goals) visit(goal);
  const upstream = ancestors(goals);

  const orphan = plan.nodes.some((planned) => kept.has(planned.node.id) && !pinned.has(planned.node.id) && planned.control !== 'trigger' && planned.incoming.length === 0);
  if (orphan) for (const planned of plan.nodes) if (planned.control === 'trigger') visit(planned);
  return { kept, upstream };
}

/** Collects the goals and every node above them, through pinned nodes too: the nodes whose output the request is about. */
function ancestors(goals: PlannedNode[]): Set<string> {
  const found = new Set<string>();
  const pending = [...goals];
  for (let planned = pending.pop(); planned !== undefined; planned = pending.pop()) {
    if (found.has(planned.node.id)) continue;
    found.add(planned.node.id);
    for (const edge of [...planned.incoming, ...planned.backIncoming]) pending.push(edge.from);
  }
  return found;
}

/** Nodes whose names appear in a node's parameters when they hold a node reference such as `$node["Fetch"]`. */
function referencedNodes(planned: PlannedNode, byName: Map<string, PlannedNode>): PlannedNode[] {
  const text = JSON.stringify(planned.node.parameters);
  if (!text.includes('{{') || !NODE_REFERENCE.test(text)) return [];
  return [...byName.entries()].filter(([name, other]) => other !== planned && text.includes(name)).map(([, other]) => other);
}

/**
 * Builds the graph a partial run executes: the kept nodes and the edges between them,
 * with `pinnedData` for the pinned and reused nodes. It records in audited
 * rigor, so that every output is stored in full and can be cached.
 */
export function runGraphOf(graph: MifyGraph, kept: ReadonlySet<string>, pinnedData: MifyGraph['pinnedData']): MifyGraph {
  const pins: MifyGraph['pinnedData'] = {};
  for (const [nodeId, items] of Object.entries(pinnedData)) if (kept.has(nodeId)) pins[nodeId] = items;

  return {
    ...graph,
    nodes: graph.nodes.filter((node) => kept.has(node.id)),
    edges: graph.edges.filter((edge) => kept.has(edge.from.node) && kept.has(edge.to.node)),
    settings: { ...graph.settings, rigor: 'audited' },
    pinnedData: pins,
  };
}
