import type { GraphSettings, Item } from '../../graphs/model.js';
import type { ExecutableGraph, PortItems, RunStatus, StepUsage } from '../types.js';
import type { StepErrorInfo } from './errors.js';
import type { ExecutionPlan } from './plan.js';

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** Everything the executor records about one step attempt. Recorders decide how many of the items to keep. */
export interface StepRecord {
  id: string;
  runId: string;
  /** Order in which the steps of the run started, from 1. */
  seq: number;
  nodeId: string;
  nodeName: string;
  nodeType: string;
  typeVersion: number;
  activation: number;
  attempt: number;
  status: StepStatus;
  pinned: boolean;
  disabled: boolean;
  childRunId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  inputHash: string | null;
  /** Items per input port. */
  input: PortItems | null;
  /** Estimated JSON size of `input` in UTF-16 code units, when the executor measured it. */
  inputBytes: number | null;
  /** Items per output port. */
  output: PortItems | null;
  outputItemCount: number | null;
  error: (StepErrorInfo & { retryInMs?: number }) | null;
  idempotencyKey: string;
  usage: StepUsage | null;
}

/**
 * Receives step records as the executor produces them. `stepStarted` comes before an attempt
 * runs and `stepFinished` ends it. Steps that never run (skipped, pinned, disabled) get only
 * `stepFinished`. Both are awaited, so a recorder that writes a journal holds the run back until
 * the record is stored.
 */
export interface StepRecorder {
  stepStarted(record: StepRecord): Promise<void>;
  /** A running step got its child run (`childRunId`), before the child starts. */
  stepLinked(record: StepRecord): Promise<void>;
  stepFinished(record: StepRecord): Promise<void>;
}

/**
 * The seam where a durable back end plugs in: every node execution that calls an extension
 * goes through `runStep`. `stepKey` (`<nodeId>:<activation>`) is stable for a run, so a
 * journal can return the recorded result of a step that already finished instead of running
 * `fn` again. The result is plain JSON data.
 */
export interface StepJournal {
  runStep<T>(stepKey: string, fn: () => Promise<T>): Promise<T>;
}

/** Runs every step; keeps nothing. */
export const directJournal: StepJournal = {
  runStep: (_stepKey, fn) => fn(),
};

/** Limits the executor applies to every run. */
export interface ExecutorLimits {
  /** Items on all input ports of one activation together. */
  maxItemsPerStep: number;
  /** Estimated JSON size of one activation's input, in bytes. */
  maxStepInputBytes: number;
  /** Nesting of sub-workflow runs below a top-level run (depth 0). */
  maxSubworkflowDepth: number;
}

/** The data of one run that the executor needs. */
export interface RunContext {
  runId: string;
  workspaceId: string;
  graph: ExecutableGraph;
  plan: ExecutionPlan;
  input: Item[];
  /** Aborts with a RunAbortedError on cancellation, run timeout or shutdown. */
  signal: AbortSignal;
  startedAt: Date;
  settings: GraphSettings;
  /** 0 for a top-level run. */
  depth: number;
  /** Graphs from the top-level run down to this one, for the depth-limit message. */
  chain: string[];
  recorder: StepRecorder;
  journal: StepJournal;
}

export interface RunUsage {
  tokens: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface RunOutcome {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
  /** Items that the nodes without outgoing edges emitted, on all their output ports, in plan order. */
  output: Item[];
  error: StepErrorInfo | null;
  usage: RunUsage;
}

export function emptyUsage(): RunUsage {
  return { tokens: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

/** Adds a step's usage to a run's. `tokens` defaults to input plus output tokens. */
export function addUsage(total: RunUsage, usage: StepUsage | null | undefined): void {
  if (!usage) return;
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  total.inputTokens += inputTokens;
  total.outputTokens += outputTokens;
  total.tokens += usage.tokens ?? inputTokens + outputTokens;
  total.costUsd += usage.costUsd ?? 0;
}
