import { formatJsonPath } from '@mify/sdk';
import type { z } from 'zod';
import type { NodeTypeInfo, NodeTypeResolver } from '../runtime/types.js';
import { findCyclesWithoutLoopNode } from './cycles.js';
import { graphEdgeSchema, graphNodeSchema, mifyGraphSchema, type GraphEdge, type GraphNode, type MifyGraph } from './model.js';
import { ParameterValidator } from './parameters.js';

/** Output port that every node has when its `settings.onError` is `errorOutput`. */
export const ERROR_PORT = 'error';

export type GraphProblemCode =
  | 'invalid_shape'
  | 'duplicate_node_id'
  | 'duplicate_node_name'
  | 'unknown_node_type'
  | 'unknown_type_version'
  | 'invalid_parameter'
  | 'dangling_edge'
  | 'unknown_port'
  | 'duplicate_edge'
  | 'unknown_pinned_node'
  | 'cycle';

/** One thing wrong with a graph, located by a JSON path such as `$.nodes[2].parameters.url`. */
export interface GraphProblem {
  code: GraphProblemCode;
  path: string;
  message: string;
  nodeId?: string;
  nodeName?: string;
  edgeIndex?: number;
  /** Top-level parameter name, for `invalid_parameter`. */
  parameter?: string;
}

export type GraphValidation = { ok: true; graph: MifyGraph } | { ok: false; problems: GraphProblem[] };

const sharedParameterValidator = new ParameterValidator();

interface IndexedNode {
  index: number;
  node: GraphNode;
  info: NodeTypeInfo | null;
}

/**
 * Checks a graph document and lists every problem at once. It checks the
 * shape, unique node ids and names, known node types and versions, and
 * parameters against each type's JSON Schema. It also checks that edges join
 * existing nodes and ports, and that every cycle passes through a loop node.
 * Malformed nodes and edges are reported and left out of the later checks, so
 * one bad node does not hide the problems of the others.
 *
 * @example
 * const result = validateGraph(body, resolver);
 * if (!result.ok) throw new ValidationError('The graph is invalid.', result.problems);
 */
export function validateGraph(graph: unknown, resolver: NodeTypeResolver, options: { parameters?: ParameterValidator } = {}): GraphValidation {
  const parsed = mifyGraphSchema.safeParse(graph);
  const problems: GraphProblem[] = parsed.success ? [] : shapeProblems(parsed.error, graph);

  const raw = graph as { nodes?: unknown; edges?: unknown; pinnedData?: unknown } | null;
  if (typeof raw !== 'object' || raw === null || !Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) return { ok: false, problems };

  const nodes = parseEach(raw.nodes, graphNodeSchema).map(({ index, value }) => ({ index, node: value, info: resolver.resolve(value.type, value.typeVersion) }));
  const edges = parseEach(raw.edges, graphEdgeSchema);
  // Ids of malformed nodes too, so that edges to them are not also reported as dangling.
  const anyNodeIds = new Set(raw.nodes.map((node) => (node as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string'));

  const byId = checkUniqueNodes(nodes, problems);
  checkNodeTypes(nodes, resolver, options.parameters ?? sharedParameterValidator, problems);
  const connections = checkEdges(edges, byId, anyNodeIds, problems);
  checkPinnedData(raw.pinnedData, anyNodeIds, problems);
  checkCycles(byId, connections, problems);

  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, graph: parsed.data };
}

function shapeProblems(error: z.ZodError, graph: unknown): GraphProblem[] {
  return error.issues.map((issue) => {
    const problem: GraphProblem = { code: 'invalid_shape', path: formatJsonPath(issue.path), message: issue.message };
    const [collection, index] = issue.path;
    if (collection === 'edges' && typeof index === 'number') problem.edgeIndex = index;
    if (collection === 'nodes' && typeof index === 'number') {
      const node = (graph as { nodes: Array<{ id?: unknown; name?: unknown } | null> }).nodes[index];
      if (typeof node?.id === 'string') problem.nodeId = node.id;
      if (typeof node?.name === 'string') problem.nodeName = node.name;
    }
    let where = '';
    if (problem.edgeIndex !== undefined) where = `Edge ${problem.edgeIndex}: `;
    if (problem.nodeName !== undefined) where = `Node '${problem.nodeName}': `;
    problem.message = `${where}${issue.message} at ${problem.path}`;
    return problem;
  });
}

function parseEach<T>(values: unknown[], schema: z.ZodType<T>): Array<{ index: number; value: T }> {
  const result: Array<{ index: number; value: T }> = [];
  values.forEach((value, index) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) result.push({ index, value: parsed.data });
  });
  return result;
}

/** Reports repeated ids and names; returns each id's first node, which the later checks use. */
function checkUniqueNodes(nodes: IndexedNode[], problems: GraphProblem[]): Map<string, IndexedNode> {
  const byId = new Map<string, IndexedNode>();
  const byName = new Map<string, IndexedNode>();

  for (const entry of nodes) {
    const { node, index } = entry;
    const sameId = byId.get(node.id);
    if (sameId) {
      problems.push({ code: 'duplicate_node_id', path: formatJsonPath(['nodes', index, 'id']), nodeId: node.id, nodeName: node.name, message: `Node id '${node.id}' of node '${node.name}' is already used by node '${sameId.node.name}' at $.nodes[${sameId.index}]; give every node its own id.` });
    } else {
      byId.set(node.id, entry);
    }

    const sameName = byName.get(node.name);
    if (sameName) {
      problems.push({ code: 'duplicate_node_name', path: formatJsonPath(['nodes', index, 'name']), nodeId: node.id, nodeName: node.name, message: `Node name '${node.name}' is already used by node '${sameName.node.id}' at $.nodes[${sameName.index}]; rename one, because expressions refer to nodes by name.` });
    } else {
      byName.set(node.name, entry);
    }
  }
  return byId;
}

function checkNodeTypes(nodes: IndexedNode[], resolver: NodeTypeResolver, parameters: ParameterValidator, problems: GraphProblem[]): void {
  for (const { node, index, info } of nodes) {
    const located = { nodeId: node.id, nodeName: node.name };

    if (!info) {
      const versions = resolver.versions(node.type);
      if (versions.length === 0) {
        problems.push({ code: 'unknown_node_type', path: formatJsonPath(['nodes', index, 'type']), ...located, message: `Node '${node.name}' has type '${node.type}', which no enabled extension provides; install or enable the extension that provides it, or change the node's type.` });
      } else {
        problems.push({ code: 'unknown_type_version', path: formatJsonPath(['nodes', index, 'typeVersion']), ...located, message: `Node '${node.name}' uses version ${node.typeVersion} of type '${node.type}', which is not installed; known versions: ${versions.join(', ')}.` });
      }
      continue;
    }

    for (const issue of parameters.check(info, node.parameters)) {
      const problem: GraphProblem = { code: 'invalid_parameter', path: formatJsonPath(['nodes', index, 'parameters', ...issue.path]), ...located, message: `Node '${node.name}': ${issue.message}.` };
      if (issue.parameter !== null) problem.parameter = issue.parameter;
      problems.push(problem);
    }
  }
}

/** Reports edges to missing nodes or ports and repeated edges; returns the edges between existing nodes. */
function checkEdges(edges: Array<{ index: number; value: GraphEdge }>, byId: Map<string, IndexedNode>, anyNodeIds: Set<string>, problems: GraphProblem[]): Array<{ from: string; to: string }> {
  const connections: Array<{ from: string; to: string }> = [];
  const seen = new Map<string, number>();

  for (const { index, value: edge } of edges) {
    let connects = true;
    for (const end of ['from', 'to'] as const) {
      const nodeId = edge[end].node;
      if (anyNodeIds.has(nodeId)) continue;
      connects = false;
      problems.push({ code: 'dangling_edge', path: formatJsonPath(['edges', index, end, 'node']), edgeIndex: index, message: `Edge ${index} ${end === 'from' ? 'starts at' : 'ends at'} node id '${nodeId}', which is not in the graph; edges refer to nodes by id.` });
    }
    if (!connects) continue;

    const source = byId.get(edge.from.node);
    const target = byId.get(edge.to.node);
    if (source) checkOutputPort(source, edge, index, problems);
    if (target) checkInputPort(target, edge, index, problems);
    if (source && target) connections.push({ from: source.node.id, to: target.node.id });

    const key = `${edge.from.node}\u0000${edge.from.port}\u0000${edge.to.node}\u0000${edge.to.port}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else problems.push({ code: 'duplicate_edge', path: formatJsonPath(['edges', index]), edgeIndex: index, message: `Edge ${index} repeats edge ${first} (${edge.from.node}.${edge.from.port} to ${edge.to.node}.${edge.to.port}); remove one.` });
  }
  return connections;
}

function checkOutputPort({ node, info }: IndexedNode, edge: GraphEdge, index: number, problems: GraphProblem[]): void {
  if (!info) return;
  const port = edge.from.port;
  const hasErrorPort = node.settings.onError === 'errorOutput';
  if (info.outputs.includes(port) || (port === ERROR_PORT && hasErrorPort)) return;

  const known = [...info.outputs, ...(hasErrorPort && !info.outputs.includes(ERROR_PORT) ? [ERROR_PORT] : [])];
  const hint = port === ERROR_PORT ? ` The '${ERROR_PORT}' output exists when the node's settings.onError is 'errorOutput'.` : '';
  problems.push({
    code: 'unknown_port',
    path: formatJsonPath(['edges', index, 'from', 'port']),
    edgeIndex: index,
    nodeId: node.id,
    nodeName: node.name,
    message: `Edge ${index} leaves node '${node.name}' from output port '${port}', which type '${node.type}' version ${node.typeVersion} does not have; ${known.length > 0 ? `its outputs are: ${known.join(', ')}` : 'it has no outputs'}.${hint}`,
  });
}

function checkInputPort({ node, info }: IndexedNode, edge: GraphEdge, index: number, problems: GraphProblem[]): void {
  if (!info || info.inputs.includes(edge.to.port)) return;
  problems.push({
    code: 'unknown_port',
    path: formatJsonPath(['edges', index, 'to', 'port']),
    edgeIndex: index,
    nodeId: node.id,
    nodeName: node.name,
    message: `Edge ${index} enters node '${node.name}' at input port '${edge.to.port}', which type '${node.type}' version ${node.typeVersion} does not have; ${info.inputs.length > 0 ? `its inputs are: ${info.inputs.join(', ')}` : 'it has no inputs'}.`,
  });
}

function checkPinnedData(pinnedData: unknown, anyNodeIds: Set<string>, problems: GraphProblem[]): void {
  if (typeof pinnedData !== 'object' || pinnedData === null) return;
  for (const nodeId of Object.keys(pinnedData)) {
    if (anyNodeIds.has(nodeId)) continue;
    problems.push({ code: 'unknown_pinned_node', path: formatJsonPath(['pinnedData', nodeId]), nodeId, message: `Pinned data is stored for node id '${nodeId}', which is not in the graph; remove the entry or pin it to an existing node.` });
  }
}

function checkCycles(byId: Map<string, IndexedNode>, connections: Array<{ from: string; to: string }>, problems: GraphProblem[]): void {
  const isLoopNode = (id: string) => byId.get(id)?.info?.control === 'loop';

  for (const cycle of findCyclesWithoutLoopNode([...byId.keys()], connections, isLoopNode)) {
    const names = cycle.map((id) => byId.get(id)!.node.name);
    const first = byId.get(cycle[0]!)!;
    problems.push({
      code: 'cycle',
      path: formatJsonPath(['nodes', first.index]),
      nodeId: first.node.id,
      nodeName: first.node.name,
      message: `${cycle.length === 2 ? `Node '${names[0]}' has an edge to itself, which forms` : `The nodes ${names.map((name) => `'${name}'`).join(' → ')} form`} a cycle without a loop node; remove an edge of the cycle, or route it through a node whose type is a loop (control 'loop').`,
    });
  }
}
