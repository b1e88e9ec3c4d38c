import type { GraphSettings, Item } from '../../graphs/model.js';
import type { ExecutableGraph, PortItems, RunStatus, StepUsage } from '../types.js';
import { StepError, type StepErrorInfo } from './errors.js';
import type { ActivationResult } from './interpreter.js';
import type { ExecutionPlan } from './plan.js';

/**
 * `waiting`: the node requested a wait and the run is suspended.
 * `interrupted`: the kernel stopped during the step, which runs again when the run resumes.
 */
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'waiting' | 'interrupted';

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
  /**
   * Records partial output of a running step, such as a model's text delta. Returns whether
   * the delta was stored, because a recorder may merge deltas and drop them past a limit.
   */
  stepProgress?(record: StepRecord, delta: string): boolean;
}

/**
 * The seam where a durable back end plugs in: every activation goes through `activation`.
 * `stepKey` (`<nodeId>:<activation>`) is stable for a run. A journal therefore returns the
 * recorded result of a finished activation instead of running `fn` again, and records the
 * result of an activation that had not finished.
 */
export interface StepJournal {
  activation(stepKey: string, fn: () => Promise<ActivationResult>): Promise<ActivationResult>;
}

/** Journal that runs every activation and records nothing. */
export const directJournal: StepJournal = {
  activation: (_stepKey, fn) => fn(),
};

/** Wait that a node of control `wait` requests in the `wait` field of its first result. */
export interface WaitRequest {
  /**
   * Wait kind. `approval`: a reviewer decides. `timer`: continue at `until`.
   * `resume`: continue when resumed through the API.
   */
  kind: 'approval' | 'timer' | 'resume';
  /** ISO 8601 time at which a timer elapses, or at which an approval or resume wait expires. */
  until?: string;
  title?: string;
  instructions?: string;
  /** Items shown to the reviewer, who may edit them. */
  items?: Item[];
  allowEdit?: boolean;
  /** JSON Schema of extra fields the reviewer fills in (approval forms). */
  form?: Record<string, unknown>;
}

/** Outcome of a wait, passed back to the node in `resume`. */
export interface WaitResolution {
  waitId: string;
  kind: WaitRequest['kind'];
  /**
   * Outcome. `approved` / `rejected`: a reviewer decided. `resumed`: resumed through the API.
   * `elapsed`: a timer passed. `expired`: `until` passed before a decision.
   */
  outcome: 'approved' | 'rejected' | 'resumed' | 'elapsed' | 'expired';
  /** The reviewer's edited items, when they edited them. */
  items?: Item[];
  /** Values of the approval form. */
  form?: Record<string, unknown>;
  comment: string | null;
  decidedBy: string | null;
  decidedAt: string;
}

/**
 * Persists the waits of a run. `resolve` creates the wait on a step's first request and
 * returns its resolution once there is one. Until then it either waits in the process
 * (short timers, the in-memory back end) or throws RunSuspendedError so that the run
 * continues later.
 */
export interface RunWaits {
  resolve(step: { stepKey: string; nodeId: string; nodeName: string }, request: WaitRequest, signal: AbortSignal): Promise<WaitResolution>;
}

/** Wait store for runs that cannot store waits, so waiting nodes fail with a clear error. */
export const noWaits: RunWaits = {
  resolve: async () => {
    throw new StepError('waits_unavailable', 'this run cannot wait: the node requested a wait, but the run was started without a durable back end', { retryable: false });
  },
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
  waits: RunWaits;
  /** Throws RunSuspendedError when a pause was requested. Called between activations. */
  checkpoint?: () => void;
  /** Input items by step key that replace the input of those activations (a fork from a step). */
  overrides?: Record<string, PortItems> | null;
  /**
   * Attempt number, set when another layer retries failed attempts (the Temporal back end
   * retries the activity). Each step then runs one attempt and throws StepAttemptError
   * where it would otherwise wait and try again.
   */
  externalRetry?: { attempt: number };
  /**
   * Sequence number of the last step already recorded for the run (0 for a new run), so a
   * resumed run continues the numbering.
   */

  lastSeq?: number;
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
