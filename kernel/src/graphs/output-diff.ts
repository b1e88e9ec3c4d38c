import { formatJsonPath } from '@mify/sdk';
import type { StepRow } from '../runtime/run-store.js';
import type { PortItems } from '../runtime/types.js';

/** A node's output as a baseline keeps it. */
export interface NodeOutput {
  nodeName: string;
  /** Items per output port. */
  ports: PortItems;
  /** The run recorded only a preview of the output (20 items per port), so only the preview is compared. */
  truncated: boolean;
}

export type NodeComparisonStatus = 'same' | 'changed' | 'missing' | 'added';

export interface NodeComparison {
  nodeId: string;
  nodeName: string;
  /** `missing`: the baseline has an output for the node and the run has none; `added`: the reverse. */
  status: NodeComparisonStatus;
  /** First JSON paths that differ, such as `$.main[0].json.total`; only for `changed`. */
  changedPaths?: string[];
  /** Either side was recorded as a preview, so differences past the preview are not seen. */
  truncated?: boolean;
}

/** Most differing paths listed per node. */
export const MAX_CHANGED_PATHS = 10;

/**
 * Collects each node's output from a run's steps: the output of its last
 * succeeded step, so a loop body node contributes its last iteration.
 * Nodes that were skipped, failed or never reached have no output.
 */
export function nodeOutputsOf(steps: StepRow[]): Record<string, NodeOutput> {
  const outputs: Record<string, NodeOutput> = {};
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) {
    if (step.status !== 'succeeded') continue;
    const record = step.output as { ports?: PortItems; truncated?: boolean } | null;
    if (!record?.ports) continue;
    outputs[step.nodeId] = { nodeName: step.nodeName, ports: record.ports, truncated: record.truncated === true };
  }
  return outputs;
}

/**
 * Compares the node outputs of a run with those of a baseline, node by node,
 * in the baseline's node order followed by the nodes only the run has.
 *
 * @example
 * compareNodeOutputs({ a: { nodeName: 'A', ports: { main: [{ json: { n: 1 } }] }, truncated: false } },
 *                    { a: { nodeName: 'A', ports: { main: [{ json: { n: 2 } }] }, truncated: false } });
 * // [{ nodeId: 'a', nodeName: 'A', status: 'changed', changedPaths: ['$.main[0].json.n'] }]
 */
export function compareNodeOutputs(baseline: Record<string, NodeOutput>, current: Record<string, NodeOutput>, maxPaths = MAX_CHANGED_PATHS): NodeComparison[] {
  const result: NodeComparison[] = [];

  for (const [nodeId, before] of Object.entries(baseline)) {
    const after = current[nodeId];
    if (after === undefined) {
      result.push({ nodeId, nodeName: before.nodeName, status: 'missing' });
      continue;
    }

    const changedPaths = differingPaths(before.ports, after.ports, maxPaths);
    const entry: NodeComparison = { nodeId, nodeName: after.nodeName, status: changedPaths.length === 0 ? 'same' : 'changed' };
    if (changedPaths.length > 0) entry.changedPaths = changedPaths;
    if (before.truncated || after.truncated) entry.truncated = true;
    result.push(entry);
  }

  for (const [nodeId, after] of Object.entries(current)) {
    if (!Object.hasOwn(baseline, nodeId)) result.push({ nodeId, nodeName: after.nodeName, status: 'added' });
  }
  return result;
}

/**
 * Lists up to `limit` JSON paths at which two JSON values differ, depth first
 * in key order. A path whose value differs in type, or exists on one side
 * only, is listed without descending into it.
 */
export function differingPaths(before: unknown, after: unknown, limit: number): string[] {
  const paths: string[] = [];

  const walk = (left: unknown, right: unknown, path: Array<string | number>): void => {
    if (paths.length >= limit) return;
    if (Array.isArray(left) && Array.isArray(right)) {
      for (let index = 0; index < Math.max(left.length, right.length); index++) {
        if (index >= left.length || index >= right.length) paths.push(formatJsonPath([...path, index]));
        else walk(left[index], right[index], [...path, index]);
        if (paths.length >= limit) return;
      }
      return;
    }
    if (isPlainObject(left) && isPlainObject(right)) {
      const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
      for (const key of keys) {
        if (!Object.hasOwn(left, key) || !Object.hasOwn(right, key)) paths.push(formatJsonPath([...path, key]));
        else walk(left[key], right[key], [...path, key]);
        if (paths.length >= limit) return;
      }
      return;
    }
    if (!Object.is(left, right)) paths.push(formatJsonPath(path));
  };

  walk(before, after, []);
  return paths;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
