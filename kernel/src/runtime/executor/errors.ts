import { MifyError } from '../../errors.js';
import { SandboxError } from '../../extensions/runtime/isolate/errors.js';

/** An error as stored on a step or run record and sent in events. It contains no kernel stack frames. */
export interface StepErrorInfo {
  message: string;
  /** Stable code, e.g. `step_timeout`, `extension_threw`, `items_limit`. */
  code: string;
  nodeId?: string;
  nodeName?: string;
  /** Stack frames of the extension bundle only, when the error came from a sandbox. */
  stack?: string;
}

/** One problem of a graph the executor cannot plan, located like the graph validator's problems. */
export interface PlanProblem {
  path: string;
  message: string;
}

/** The graph cannot be executed as it is: unknown node types, dangling edges, cycles without a loop node. */
export class GraphPlanError extends MifyError {
  readonly problems: PlanProblem[];

  constructor(problems: PlanProblem[]) {
    super('invalid_graph', 422, `The graph cannot be run: ${problems.map((problem) => problem.message).join('; ')}.`, { errors: problems });
    this.name = 'GraphPlanError';
    this.problems = problems;
  }
}

/**
 * A failure of one step. `retryable` lets the node's retry setting try again, and `fatal`
 * stops the run whatever the node's `onError` setting is.
 */
export class StepError extends MifyError {
  readonly retryable: boolean;
  readonly fatal: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; fatal?: boolean; details?: Record<string, unknown>; cause?: unknown }) {
    super(code, 422, message, options.details, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepError';
    this.retryable = options.retryable;
    this.fatal = options.fatal ?? false;
  }
}

/** Too many items or too many bytes reach one node. Fatal, so `onError` cannot copy the oversized input on. */
export class ItemsLimitError extends StepError {
  constructor(message: string, details: Record<string, unknown>) {
    super('items_limit', message, { retryable: false, fatal: true, details });
    this.name = 'ItemsLimitError';
  }
}

/** One attempt ran past the node's `settings.timeoutMs`. */
export class StepTimeoutError extends StepError {
  constructor(nodeName: string, timeoutMs: number) {
    super('step_timeout', `node '${nodeName}' timed out after ${timeoutMs} ms (settings.timeoutMs); make it do less per call or raise the timeout`, { retryable: true, details: { timeoutMs } });
    this.name = 'StepTimeoutError';
  }
}

const ABORT_CODES = { cancelled: 'run_cancelled', timeout: 'run_timeout', shutdown: 'kernel_shutdown' } as const;

/**
 * One attempt of a step failed and another may fix it, in a run whose attempts another layer
 * retries (the Temporal back end retries the activity). The failed attempt is already recorded.
 */
export class StepAttemptError extends MifyError {
  readonly error: StepErrorInfo;
  /** Delay before the next attempt by the node's retry setting, in milliseconds. */
  readonly retryInMs: number;

  constructor(error: StepErrorInfo, retryInMs: number) {
    super(error.code, 422, error.message);
    this.name = 'StepAttemptError';
    this.error = error;
    this.retryInMs = retryInMs;
  }
}

/** Reason a run stopped before its steps were done, used as the reason of the run's AbortSignal. */
export class RunAbortedError extends MifyError {
  readonly reason: 'cancelled' | 'timeout' | 'shutdown';

  constructor(reason: 'cancelled' | 'timeout' | 'shutdown', message: string) {
    super(ABORT_CODES[reason], 409, message);
    this.name = 'RunAbortedError';
    this.reason = reason;
  }
}

/**
 * Stops a run without ending it: it waits for a person or a point in time (`wait`), or was
 * paused (`pause`). A durable back end stores nothing more, because the journal already holds
 * every finished step, and continues the run later by replaying it.
 */
export class RunSuspendedError extends MifyError {
  readonly reason: 'wait' | 'pause';
  /** When the run is due to continue by itself; null when only a decision or a resume wakes it. */
  readonly wakeAt: Date | null;
  /** The wait the run parks on, so a decision that raced with the parking is not missed. */
  readonly waitId: string | null;

  constructor(reason: 'wait' | 'pause', wakeAt: Date | null, message: string, waitId: string | null = null) {
    super('run_suspended', 409, message);
    this.name = 'RunSuspendedError';
    this.reason = reason;
    this.wakeAt = wakeAt;
    this.waitId = waitId;
  }
}

/** A failure of the whole run that no single step caused, such as a loop past `maxIterations`. */
export class RunFailure extends MifyError {
  readonly nodeId: string | undefined;
  readonly nodeName: string | undefined;

  constructor(code: string, message: string, node?: { id: string; name: string }) {
    super(code, 422, message, node ? { nodeId: node.id, nodeName: node.name } : undefined);
    this.name = 'RunFailure';
    this.nodeId = node?.id;
    this.nodeName = node?.name;
  }
}

/**
 * Converts whatever a step threw into its record form. Only errors raised inside a sandbox
 * keep a stack, and that stack contains only the extension's frames.
 */
export function describeError(error: unknown, node?: { id: string; name: string }): StepErrorInfo {
  const info: StepErrorInfo = {
    message: error instanceof Error ? error.message : `a value that is not an Error was thrown: ${String(error)}`,
    code: error instanceof MifyError ? error.code : 'node_failed',
  };
  if (node) {
    info.nodeId = node.id;
    info.nodeName = node.name;
  }

  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof SandboxError) {
    if (typeof cause.stack === 'string') info.stack = cause.stack;
    // A node that threw an error with a code (the SDK's ExtensionError) is recorded with that code.
    if (info.code === 'extension_threw' && cause.code) info.code = cause.code;
  }
  return info;
}
