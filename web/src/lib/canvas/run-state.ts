// Run state of each canvas node: live status from run events, the per-node
// results of a canvas run, and the recorded items per node.
import type { CanvasExecuteResult, Item, RunRecord, RunStep } from './types';

export type NodeRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'waiting' | 'pinned' | 'reused';

export interface NodeRunState {
  status: NodeRunStatus;
  /** Items on all output ports; null while running or when the node produced nothing. */
  itemCount: number | null;
  error: string | null;
}

/** One event of `GET /api/runs/:id/events`. */
export interface RunEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

const STEP_EVENT_STATUS: Record<string, NodeRunStatus> = {
  'step.started': 'running',
  'step.succeeded': 'succeeded',
  'step.failed': 'failed',
  'step.skipped': 'skipped',
  'step.cancelled': 'cancelled',
  'step.waiting': 'waiting',
};

/** Reads the message of a step or run error as the kernel records it. */
export function errorMessage(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return JSON.stringify(error);
}

/**
 * Returns the node states after one run event. Step events set the state of
 * their node; a pinned step shows as `pinned`. Other events leave the states
 * unchanged and return the same object.
 */
export function applyRunEvent(states: Record<string, NodeRunState>, event: RunEvent): Record<string, NodeRunState> {
  let status = STEP_EVENT_STATUS[event.type];
  const nodeId = event.data.nodeId;
  if (status === undefined || typeof nodeId !== 'string') return states;

  if (status === 'succeeded' && event.data.pinned === true) status = 'pinned';
  const itemCount = typeof event.data.outputItemCount === 'number' ? event.data.outputItemCount : null;
  return { ...states, [nodeId]: { status, itemCount: status === 'running' ? null : itemCount, error: errorMessage(event.data.error) } };
}

/** Converts the node results of `POST /api/canvas-execute` into node states. */
export function statesFromCanvasResult(result: Pick<CanvasExecuteResult, 'nodes'>): Record<string, NodeRunState> {
  const states: Record<string, NodeRunState> = {};
  for (const node of result.nodes) {
    const status: NodeRunStatus = node.status === 'ran' ? 'succeeded' : node.status;
    states[node.nodeId] = { status, itemCount: node.itemCount, error: errorMessage(node.error) };
  }
  return states;
}

/** Converts the steps of a finished run into node states: the last attempt of each node counts. */
export function statesFromRun(run: Pick<RunRecord, 'steps'>): Record<string, NodeRunState> {
  const states: Record<string, NodeRunState> = {};
  for (const step of lastSteps(run.steps ?? []).values()) {
    let status: NodeRunStatus;
    if (step.pinned && step.status === 'succeeded') status = 'pinned';
    else if (step.status === 'interrupted') status = 'failed';
    else status = step.status;
    states[step.nodeId] = { status, itemCount: step.outputItemCount, error: errorMessage(step.error) };
  }
  return states;
}

/** Returns the latest step of each node, by start order. */
export function lastSteps(steps: RunStep[]): Map<string, RunStep> {
  const latest = new Map<string, RunStep>();
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) latest.set(step.nodeId, step);
  return latest;
}

/** A node's recorded items in one run. */
export interface NodeItems {
  /** Input items on every port, in port order. */
  input: Item[];
  /** Output items by port. */
  output: Record<string, Item[]>;
  /** Only a preview of the items was recorded. */
  truncated: boolean;
  /** Input or output passed the kernel's record limit. */
  oversized: boolean;
  stepStatus: RunStep['status'];
}

/** Collects the recorded input and output items of each node from a run's steps. */
export function itemsByNode(run: Pick<RunRecord, 'steps'>): Map<string, NodeItems> {
  const result = new Map<string, NodeItems>();
  for (const [nodeId, step] of lastSteps(run.steps ?? [])) {
    const inputPorts = step.input?.ports ?? {};
    result.set(nodeId, {
      input: Object.values(inputPorts).flat(),
      output: step.output?.ports ?? {},
      truncated: step.output?.truncated === true || step.input?.truncated === true,
      oversized: step.oversized,
      stepStatus: step.status,
    });
  }
  return result;
}

/** Returns all output items of a node, every port in order. */
export function allOutputItems(items: NodeItems | undefined): Item[] {
  return items ? Object.values(items.output).flat() : [];
}
