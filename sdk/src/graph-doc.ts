/**
 * The Yjs document of a graph, for live collaboration: the studio edits it and the kernel's
 * collaboration server keeps it. Conversion to and from the graph's JSON is lossless: every
 * field, including ones this module does not know, comes back as it went in.
 *
 * Layout of the root map `graph`:
 *
 * - `format`: layout version, {@link GRAPH_DOC_FORMAT}.
 * - `nodes`: node id → Y.Map of the node's fields; `parameters` is a nested Y.Map, so two
 *   people editing different parameters of one node both keep their change.
 * - `nodeOrder`: Y.Array of node ids, the order of `nodes` in the JSON.
 * - `edges`, `stickyNotes`: Y.Arrays of plain JSON objects.
 * - `settings`, `pinnedData`: Y.Maps of plain JSON values by key.
 * - `extra`: any other top-level field of the JSON, by key.
 *
 * Plain values stored in Yjs are replaced whole when they change, so concurrent edits of one
 * value keep the last writer's, as Yjs decides.
 */
import * as Y from 'yjs';

/** Version of the document layout described above. */
export const GRAPH_DOC_FORMAT = 1;

/** Name of the root map in the Y.Doc. */
export const GRAPH_DOC_ROOT = 'graph';

/** A graph's JSON as far as this module needs to know it; other fields pass through. */
export interface GraphJson {
  nodes: Array<{ id: string; parameters?: Record<string, unknown>; [field: string]: unknown }>;
  edges: unknown[];
  [field: string]: unknown;
}

const KNOWN_KEYS = new Set(['nodes', 'edges', 'settings', 'pinnedData', 'stickyNotes']);
const MAP_KEYS = ['settings', 'pinnedData'] as const;
const ARRAY_KEYS = ['edges', 'stickyNotes'] as const;

function root(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(GRAPH_DOC_ROOT);
}

function child<T extends Y.AbstractType<any>>(map: Y.Map<unknown>, key: string, make: () => T): T {
  const existing = map.get(key);
  if (existing instanceof Y.AbstractType) return existing as T;
  const created = make();
  map.set(key, created);
  return created;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Copies a JSON value, so a later change by the caller cannot reach the document. */
const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/** Sets the plain entries of `map` to `values`: changed keys are set, missing ones deleted. */
function syncPlainMap(map: Y.Map<unknown>, values: Record<string, unknown>): void {
  for (const key of [...map.keys()]) if (!(key in values) || values[key] === undefined) map.delete(key);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!map.has(key) || !same(map.get(key), value)) map.set(key, copy(value));
  }
}

function syncPlainArray(array: Y.Array<unknown>, values: unknown[]): void {
  if (same(array.toJSON(), values)) return;
  // Keep the common prefix and suffix, so an append or a removal touches only what changed.
  const current = array.toArray();
  let start = 0;
  while (start < current.length && start < values.length && same(current[start], values[start])) start++;
  let end = 0;
  while (end < current.length - start && end < values.length - start && same(current[current.length - 1 - end], values[values.length - 1 - end])) end++;
  array.delete(start, current.length - start - end);
  array.insert(start, values.slice(start, values.length - end).map(copy));
}

function syncNode(map: Y.Map<unknown>, node: GraphJson['nodes'][number]): void {
  for (const key of [...map.keys()]) if (!(key in node) || node[key] === undefined) map.delete(key);
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined) continue;
    if (key === 'parameters' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const existing = map.get(key);
      const parameters = existing instanceof Y.Map ? existing : new Y.Map<unknown>();
      if (!(existing instanceof Y.Map)) map.set(key, parameters);
      syncPlainMap(parameters, value as Record<string, unknown>);
    } else if (!map.has(key) || !same(map.get(key), value)) {
      map.set(key, copy(value));
    }
  }
}

/**
 * Makes the document equal to `graph`, changing only what differs, in one transaction. Use
 * it to fill a new document and to apply a whole new graph (such as a draft saved elsewhere)
 * to a live one. `origin` is passed to the transaction.
 *
 * @example
 * const doc = new Y.Doc();
 * writeGraphToDoc(doc, graph);
 * readGraphFromDoc(doc); // equal to graph
 */
export function writeGraphToDoc(doc: Y.Doc, graph: GraphJson, origin: unknown = null): void {
  doc.transact(() => {
    const map = root(doc);
    if (map.get('format') !== GRAPH_DOC_FORMAT) map.set('format', GRAPH_DOC_FORMAT);

    const nodes = child(map, 'nodes', () => new Y.Map<Y.Map<unknown>>());
    const order = child(map, 'nodeOrder', () => new Y.Array<string>());
    const ids = graph.nodes.map((node) => node.id);
    const wanted = new Set(ids);
    for (const id of [...nodes.keys()]) if (!wanted.has(id)) nodes.delete(id);
    for (const node of graph.nodes) {
      const existing = nodes.get(node.id);
      const nodeMap = existing instanceof Y.Map ? existing : new Y.Map<unknown>();
      if (!(existing instanceof Y.Map)) nodes.set(node.id, nodeMap);
      syncNode(nodeMap, node);
    }
    if (!same(order.toArray(), ids)) syncPlainArray(order as Y.Array<unknown>, ids);

    for (const key of ARRAY_KEYS) {
      const values = graph[key];
      if (values === undefined) map.delete(key);
      else syncPlainArray(child(map, key, () => new Y.Array<unknown>()), values as unknown[]);
    }
    for (const key of MAP_KEYS) {
      const values = graph[key];
      if (values === undefined) map.delete(key);
      else syncPlainMap(child(map, key, () => new Y.Map<unknown>()), values as Record<string, unknown>);
    }

    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(graph)) if (!KNOWN_KEYS.has(key)) extra[key] = value;
    syncPlainMap(child(map, 'extra', () => new Y.Map<unknown>()), extra);
  }, origin);
}

/**
 * Reads the graph JSON from the document. Node order follows `nodeOrder`; a node that
 * concurrent edits left out of it comes last, ordered by id, and an id without a node is
 * ignored.
 *
 * @throws Error when the document was written in a newer layout than this module reads.
 */
export function readGraphFromDoc(doc: Y.Doc): GraphJson {
  const map = root(doc);
  const format = map.get('format');
  if (typeof format === 'number' && format > GRAPH_DOC_FORMAT) {
    throw new Error(`The graph document has layout ${format}, newer than layout ${GRAPH_DOC_FORMAT} this studio or kernel reads; upgrade MIFY.`);
  }

  const nodes = map.get('nodes');
  const order = map.get('nodeOrder');
  const nodeMaps = nodes instanceof Y.Map ? (nodes as Y.Map<Y.Map<unknown>>) : new Y.Map<Y.Map<unknown>>();
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const id of order instanceof Y.Array ? (order.toArray() as string[]) : []) {
    if (seen.has(id) || !nodeMaps.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  ids.push(...[...nodeMaps.keys()].filter((id) => !seen.has(id)).sort());

  const graph: GraphJson = {
    nodes: ids.map((id) => nodeMaps.get(id)!.toJSON() as GraphJson['nodes'][number]),
    edges: [],
  };
  const edges = map.get('edges');
  graph.edges = edges instanceof Y.Array ? (edges.toJSON() as unknown[]) : [];
  for (const key of ['stickyNotes', ...MAP_KEYS]) {
    const value = map.get(key);
    if (value instanceof Y.AbstractType) graph[key] = value.toJSON();
  }
  const extra = map.get('extra');
  if (extra instanceof Y.Map) for (const [key, value] of extra.entries()) graph[key] = copy(value);
  return graph;
}

/** Returns whether a graph was ever written to the document. */
export function docHasGraph(doc: Y.Doc): boolean {
  return root(doc).has('format');
}
