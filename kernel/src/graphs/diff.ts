import { formatJsonPath } from '@mify/sdk';
import DiffMatchPatch from 'diff-match-patch';
import type { GraphEdge, GraphNode, MifyGraph } from './model.js';

/** Strings at least this long, in UTF-16 code units, get a text delta in addition to their values. */
export const TEXT_DELTA_MIN_LENGTH = 200;

/** A value that differs between the two graphs. */
export interface ValueChange {
  /** JSON path, relative to the node for node changes, such as `$.parameters.prompt`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** Absent when `kind` is `added`. */
  before?: unknown;
  /** Absent when `kind` is `removed`. */
  after?: unknown;
  /**
   * For long strings: a diff-match-patch patch in its text form (`patch_toText`),
   * which `patch_fromText` and `patch_apply` turn `before` into `after` with.
   */
  textDelta?: string;
}

/** One side of a diff: `draft`, or a version with its id and number. */
export interface DiffSide {
  ref: string;
  versionId: string | null;
  number: number | null;
}

export interface DiffNodeSummary {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
}

/** Structural difference between two graphs. Nodes are matched by id, edges by their two ends and ports. */
export interface GraphDiff {
  nodes: { added: DiffNodeSummary[]; removed: DiffNodeSummary[]; changed: Array<DiffNodeSummary & { changes: ValueChange[] }> };
  edges: { added: GraphEdge[]; removed: GraphEdge[] };
  /** Changes of the graph's run settings, with paths such as `$.settings.timeoutMs`. */
  settings: ValueChange[];
  /** Changes of pinned data and sticky notes, with paths from the graph root. */
  annotations: ValueChange[];
  summary: { nodesAdded: number; nodesRemoved: number; nodesChanged: number; edgesAdded: number; edgesRemoved: number; settingsChanged: number; annotationsChanged: number };
}

/**
 * Compares two graph documents.
 *
 * @example
 * const diff = diffGraphs(version1.definition, draft);
 * diff.nodes.changed[0]?.changes; // [{ path: '$.parameters.url', kind: 'changed', before: '…', after: '…' }]
 */
export function diffGraphs(before: MifyGraph, after: MifyGraph): GraphDiff {
  const beforeNodes = new Map(before.nodes.map((node) => [node.id, node]));
  const afterNodes = new Map(after.nodes.map((node) => [node.id, node]));

  const added = after.nodes.filter((node) => !beforeNodes.has(node.id)).map(summarise);
  const removed = before.nodes.filter((node) => !afterNodes.has(node.id)).map(summarise);
  const changed: GraphDiff['nodes']['changed'] = [];
  for (const node of after.nodes) {
    const previous = beforeNodes.get(node.id);
    if (!previous) continue;
    const changes: ValueChange[] = [];
    diffValues(withoutId(previous), withoutId(node), [], changes);
    if (changes.length > 0) changed.push({ ...summarise(node), changes });
  }

  const beforeEdges = new Set(before.edges.map(edgeKey));
  const afterEdges = new Set(after.edges.map(edgeKey));
  const edges = {
    added: after.edges.filter((edge) => !beforeEdges.has(edgeKey(edge))),
    removed: before.edges.filter((edge) => !afterEdges.has(edgeKey(edge))),
  };

  const settings: ValueChange[] = [];
  diffValues(before.settings, after.settings, ['settings'], settings);
  const annotations: ValueChange[] = [];
  diffValues(before.pinnedData, after.pinnedData, ['pinnedData'], annotations);
  diffValues(before.stickyNotes, after.stickyNotes, ['stickyNotes'], annotations);

  return {
    nodes: { added, removed, changed },
    edges,
    settings,
    annotations,
    summary: {
      nodesAdded: added.length,
      nodesRemoved: removed.length,
      nodesChanged: changed.length,
      edgesAdded: edges.added.length,
      edgesRemoved: edges.removed.length,
      settingsChanged: settings.length,
      annotationsChanged: annotations.length,
    },
  };
}

function summarise(node: GraphNode): DiffNodeSummary {
  return { id: node.id, name: node.name, type: node.type, typeVersion: node.typeVersion };
}

function withoutId(node: GraphNode): Omit<GraphNode, 'id'> {
  const { id: _id, ...rest } = node;
  return rest;
}

function edgeKey(edge: GraphEdge): string {
  return JSON.stringify([edge.from.node, edge.from.port, edge.to.node, edge.to.port]);
}

/**
 * Appends the differences between two JSON values to `out`: objects key by
 * key, arrays index by index, anything else as one change.
 */
export function diffValues(before: unknown, after: unknown, path: Array<string | number>, out: ValueChange[]): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((key) => !Object.hasOwn(before, key))];
    for (const key of keys) {
      const child = [...path, key];
      if (!Object.hasOwn(after, key)) out.push({ path: formatJsonPath(child), kind: 'removed', before: before[key] });
      else if (!Object.hasOwn(before, key)) out.push({ path: formatJsonPath(child), kind: 'added', after: after[key] });
      else diffValues(before[key], after[key], child, out);
    }
    return;
  }

  if (Array.isArray(before) && Array.isArray(after)) {
    for (let index = 0; index < Math.max(before.length, after.length); index += 1) {
      const child = [...path, index];
      if (index >= after.length) out.push({ path: formatJsonPath(child), kind: 'removed', before: before[index] });
      else if (index >= before.length) out.push({ path: formatJsonPath(child), kind: 'added', after: after[index] });
      else diffValues(before[index], after[index], child, out);
    }
    return;
  }

  if (Object.is(before, after)) return;
  const change: ValueChange = { path: formatJsonPath(path), kind: 'changed', before, after };
  if (typeof before === 'string' && typeof after === 'string' && Math.max(before.length, after.length) >= TEXT_DELTA_MIN_LENGTH) {
    change.textDelta = textDelta(before, after);
  }
  out.push(change);
}

function textDelta(before: string, after: string): string {
  const dmp = new DiffMatchPatch();
  const diffs = dmp.diff_main(before, after);
  dmp.diff_cleanupSemantic(diffs);
  return dmp.patch_toText(dmp.patch_make(before, diffs));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
