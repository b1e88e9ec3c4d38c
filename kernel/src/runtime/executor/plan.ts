import type { GraphNode, Item, MifyGraph } from '../../graphs/model.js';
import type { NodeTypeInfo, NodeTypeResolver } from '../types.js';
import { Dominators } from './dominators.js';
import { GraphPlanError, type PlanProblem } from './errors.js';
import { MinHeap } from './min-heap.js';

/** Output port that carries a node's input items with their error when `settings.onError` is `errorOutput`. */
export const ERROR_PORT = 'error';

export interface PlannedEdge {
  /** Position in `graph.edges`; items from several edges into one port are concatenated in this order. */
  index: number;
  from: PlannedNode;
  fromPort: string;
  to: PlannedNode;
  toPort: string;
  /**
   * The edge closes a cycle through the loop node it enters. Items on it start the loop
   * node's next activation instead of counting towards its first one.
   */
  back: boolean;
}

export interface PlannedNode {
  node: GraphNode;
  /** Null only for a disabled or pinned node whose type no extension provides; such a node never runs. */
  type: NodeTypeInfo | null;
  /** Position in the topological order of the graph without its back edges; the scheduler runs lower positions first. */
  order: number;
  inputs: string[];
  outputs: string[];
  /** Edges into the node other than back edges. */
  incoming: PlannedEdge[];
  /** Back edges into the node (loop nodes only). */
  backIncoming: PlannedEdge[];
  outgoing: PlannedEdge[];
  /** Control semantics in effect: disabled and pinned nodes have none. */
  control: NodeTypeInfo['control'];
  /** Merge node with parameter `mode: "first"`: fires on the first input that brings items. */
  mergeFirst: boolean;
  pinned: Item[] | null;
  /** Receives the run's input items: the trigger nodes, or the nodes without inputs when the graph has no trigger. */
  isStart: boolean;
  /** Has no outgoing edges; what it emits is part of the run's output. */
  isSink: boolean;
  /**
   * Loop nodes only: the nodes that run again at every iteration, i.e. the nodes on a cycle
   * through this loop node and every node reachable from them without passing the loop node.
   */
  loopBody: PlannedNode[];
  /** Loop nodes whose body contains this node. */
  enclosingLoops: PlannedNode[];
}

export interface ExecutionPlan {
  graph: MifyGraph;
  /** Nodes in topological order. */
  nodes: PlannedNode[];
  byId: Map<string, PlannedNode>;
}

/**
 * Plans a graph for execution. It resolves node types, connects edges to ports, and finds the
 * back edges of loops and each loop's body. It orders the nodes topologically, with ties in
 * document order, so that the same graph always runs in the same order.
 *
 * @throws GraphPlanError listing every problem found.
 */
export function planGraph(graph: MifyGraph, resolver: NodeTypeResolver): ExecutionPlan {
  const problems: PlanProblem[] = [];
  const byId = new Map<string, PlannedNode>();
  const documentIndex = new Map<PlannedNode, number>();

  graph.nodes.forEach((node, index) => {
    if (byId.has(node.id)) {
      problems.push({ path: `$.nodes[${index}].id`, message: `node id '${node.id}' is used twice; give every node its own id` });
      return;
    }
    const planned = createPlannedNode(node, graph, resolver, index, problems);
    byId.set(node.id, planned);
    documentIndex.set(planned, index);
  });

  const edges = connectEdges(graph, byId, problems);
  if (problems.length > 0) throw new GraphPlanError(problems);

  markBackEdges(byId, edges);
  const ordered = topologicalOrder([...byId.values()], documentIndex, problems);
  if (problems.length > 0) throw new GraphPlanError(problems);

  for (const planned of ordered) {
    if (planned.control === 'loop') planned.loopBody = loopBody(planned);
    for (const member of planned.loopBody) member.enclosingLoops.push(planned);
  }

  const hasTrigger = ordered.some((planned) => planned.control === 'trigger');
  for (const planned of ordered) {
    planned.isStart = hasTrigger ? planned.control === 'trigger' : planned.incoming.length === 0;
    planned.isSink = planned.outgoing.length === 0;
  }

  return { graph, nodes: ordered, byId };
}

function createPlannedNode(node: GraphNode, graph: MifyGraph, resolver: NodeTypeResolver, index: number, problems: PlanProblem[]): PlannedNode {
  const type = resolver.resolve(node.type, node.typeVersion);
  const pinned = Object.hasOwn(graph.pinnedData, node.id) ? graph.pinnedData[node.id]! : null;
  const runs = !node.disabled && pinned === null;

  if (!type && runs) {
    const versions = resolver.versions(node.type);
    problems.push({
      path: `$.nodes[${index}].type`,
      message: versions.length === 0
        ? `node '${node.name}' has type '${node.type}', which no enabled extension provides; install or enable its extension`
        : `node '${node.name}' uses version ${node.typeVersion} of type '${node.type}', which is not installed (known versions: ${versions.join(', ')})`,
    });
  }

  const outputs = [...(type?.outputs ?? ['main'])];
  if (node.settings.onError === 'errorOutput' && !outputs.includes(ERROR_PORT)) outputs.push(ERROR_PORT);
  const control = runs ? (type?.control ?? null) : null;

  return {
    node,
    type,
    order: -1,
    inputs: [...(type?.inputs ?? ['main'])],
    outputs,
    incoming: [],
    backIncoming: [],
    outgoing: [],
    control,
    mergeFirst: control === 'merge' && node.parameters.mode === 'first',
    pinned,
    isStart: false,
    isSink: false,
    loopBody: [],
    enclosingLoops: [],
  };
}

function connectEdges(graph: MifyGraph, byId: Map<string, PlannedNode>, problems: PlanProblem[]): PlannedEdge[] {
  const edges: PlannedEdge[] = [];

  graph.edges.forEach((edge, index) => {
    const from = byId.get(edge.from.node);
    const to = byId.get(edge.to.node);
    if (!from) problems.push({ path: `$.edges[${index}].from.node`, message: `edge ${index} starts at node id '${edge.from.node}', which is not in the graph; edges refer to nodes by id` });
    if (!to) problems.push({ path: `$.edges[${index}].to.node`, message: `edge ${index} ends at node id '${edge.to.node}', which is not in the graph; edges refer to nodes by id` });
    if (!from || !to) return;

    // A node without a resolved type never runs, so its ports are whatever its edges use.
    if (!from.type && !from.outputs.includes(edge.from.port)) from.outputs.push(edge.from.port);
    if (!to.type && !to.inputs.includes(edge.to.port)) to.inputs.push(edge.to.port);

    if (!from.outputs.includes(edge.from.port)) {
      problems.push({ path: `$.edges[${index}].from.port`, message: `edge ${index} leaves node '${from.node.name}' from output port '${edge.from.port}', which it does not have (outputs: ${from.outputs.join(', ') || 'none'})` });
      return;
    }
    if (!to.inputs.includes(edge.to.port)) {
      problems.push({ path: `$.edges[${index}].to.port`, message: `edge ${index} enters node '${to.node.name}' at input port '${edge.to.port}', which it does not have (inputs: ${to.inputs.join(', ') || 'none'})` });
      return;
    }

    const planned: PlannedEdge = { index, from, fromPort: edge.from.port, to, toPort: edge.to.port, back: false };
    edges.push(planned);
    from.outgoing.push(planned);
  });
  return edges;
}

/**
 * Marks the back edges. An edge from `u` into loop node `L` is one when `u` is reachable from
 * `L` along a path that passes none of `L`'s strict dominators, which are the nodes that every
 * path from the graph's entry nodes to `L` passes. Such a path stays inside the cycle that `L`
 * enters. So an outer loop's edge into an inner loop stays a forward edge, while a loop body
 * node that also has an input from outside the loop still closes the loop. A cycle entered
 * at a node other than its loop node gets no back edge and is reported as a cycle.
 */
function markBackEdges(byId: Map<string, PlannedNode>, edges: PlannedEdge[]): void {
  const nodes = [...byId.values()];
  const indexOf = new Map(nodes.map((planned, index) => [planned, index]));
  const successors = nodes.map((planned) => planned.outgoing.map((edge) => indexOf.get(edge.to)!));
  const hasIncoming = new Set(edges.map((edge) => edge.to));
  const roots = nodes.filter((planned) => !hasIncoming.has(planned)).map((planned) => indexOf.get(planned)!);
  const dominators = new Dominators(nodes.length, successors, roots);

  const cycleReach = new Map<PlannedNode, Set<PlannedNode>>();
  const reachWithinCycle = (loop: PlannedNode) => {
    let reach = cycleReach.get(loop);
    if (reach === undefined) {
      const blocked = new Set(dominators.strictDominators(indexOf.get(loop)!).map((index) => nodes[index]!));
      reach = reachable(loop, blocked);
      cycleReach.set(loop, reach);
    }
    return reach;
  };

  for (const edge of edges) {
    edge.back = edge.to.control === 'loop' && reachWithinCycle(edge.to).has(edge.from);
    if (edge.back) edge.to.backIncoming.push(edge);
    else edge.to.incoming.push(edge);
  }
}

/** Nodes reachable from `starts` along one or more edges, never entering a node of `blocked`. */
function reachable(starts: PlannedNode | PlannedNode[], blocked?: PlannedNode | ReadonlySet<PlannedNode>): Set<PlannedNode> {
  let isBlocked = (_node: PlannedNode) => false;
  if (blocked instanceof Set) isBlocked = (node) => blocked.has(node);
  else if (blocked !== undefined) isBlocked = (node) => node === blocked;
  const seen = new Set<PlannedNode>();
  const stack = Array.isArray(starts) ? [...starts] : [starts];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const edge of current.outgoing) {
      if (isBlocked(edge.to) || seen.has(edge.to)) continue;
      seen.add(edge.to);
      stack.push(edge.to);
    }
  }
  return seen;
}

/** Kahn's algorithm over the edges without back edges; among ready nodes, the earlier in the document goes first. */
function topologicalOrder(nodes: PlannedNode[], documentIndex: Map<PlannedNode, number>, problems: PlanProblem[]): PlannedNode[] {
  const remaining = new Map<PlannedNode, number>(nodes.map((planned) => [planned, planned.incoming.length]));
  const ready = new MinHeap<PlannedNode>((planned) => documentIndex.get(planned)!);
  for (const planned of nodes) if (planned.incoming.length === 0) ready.push(planned);

  const ordered: PlannedNode[] = [];
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    next.order = ordered.length;
    ordered.push(next);
    for (const edge of next.outgoing) {
      if (edge.back) continue;
      const left = remaining.get(edge.to)! - 1;
      remaining.set(edge.to, left);
      if (left === 0) ready.push(edge.to);
    }
  }

  if (ordered.length < nodes.length) {
    const stuck = nodes.filter((planned) => planned.order === -1).map((planned) => `'${planned.node.name}'`);
    problems.push({ path: '$.edges', message: `the nodes ${stuck.join(', ')} form or follow a cycle that passes no loop node; remove an edge of the cycle or route it through a loop node` });
  }
  return ordered;
}

/**
 * Returns the nodes on a cycle through `loop` (reachable from it and reaching one of its
 * back-edge sources), plus every node reachable from them without passing `loop`.
 */
function loopBody(loop: PlannedNode): PlannedNode[] {
  if (loop.backIncoming.length === 0) return [];

  const fromLoop = reachable(loop, loop);
  const reachesBack = new Set<PlannedNode>();
  const stack = loop.backIncoming.map((edge) => edge.from);
  for (const source of stack) reachesBack.add(source);
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const edge of [...current.incoming, ...current.backIncoming]) {
      if (edge.from === loop || reachesBack.has(edge.from)) continue;
      reachesBack.add(edge.from);
      stack.push(edge.from);
    }
  }

  const onCycle = [...fromLoop].filter((member) => reachesBack.has(member));
  const body = new Set<PlannedNode>([...onCycle, ...reachable(onCycle, loop)]);
  body.delete(loop);
  return [...body].sort((a, b) => a.order - b.order);
}
