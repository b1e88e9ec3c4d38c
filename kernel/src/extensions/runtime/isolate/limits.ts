import { ValidationError } from '../../../errors.js';
import type { SandboxLimits } from '../types.js';

/**
 * Largest heap the kernel grants one isolate, in MiB, whatever the manifest requests.
 *
 * NOTE: isolated-vm 5.0.4 stops an isolate only after its heap has passed the limit, and its
 * README warns that hostile code can use 2 to 3 times the limit first. On Node 20.20,
 * flattening a 256 MiB string in an isolate limited to 64 MiB raised the resident memory of
 * the process by about 280 MiB before the isolate was stopped, so size hosts for such peaks.
 */
export const MAX_MEMORY_LIMIT_MB = 512;

/** Smallest heap isolated-vm 5.0.4 accepts for an isolate, in MiB. */
export const MIN_MEMORY_LIMIT_MB = 8;

/** Largest CPU time the kernel grants one invocation, in milliseconds, whatever the manifest requests. */
export const MAX_TIMEOUT_MS = 60_000;

/** Smallest CPU time per invocation, in milliseconds. Smaller values leave no room for the dispatcher itself. */
export const MIN_TIMEOUT_MS = 10;

/**
 * Wall-clock deadline of one invocation as a multiple of its CPU timeout. It bounds calls
 * that use little CPU but never finish, for example by awaiting a host call that never settles.
 */
export const WALL_TIMEOUT_FACTOR = 10;

/** Largest wall-clock deadline of one invocation, in milliseconds (10 minutes). */
export const MAX_WALL_TIMEOUT_MS = 600_000;

/**
 * Maximum time one invocation of a bundled extension runs on the kernel's thread before it is
 * moved to an isolate thread, in milliseconds (see `IsolateExtensionRuntime.invoke`). While it
 * runs there, the kernel serves no other request, so this bounds the pause one slow
 * contribution can cause once. After that its calls start on an isolate thread.
 *
 * NOTE: extensions from anywhere else always run on isolate threads. A single allocation larger
 * than the isolate heap can ever hold (such as `new Array(5e7).fill(0)` under a 64 MiB limit)
 * is a catastrophic error for isolated-vm 5.0.4, which then parks the thread that ran the
 * isolate for good. On an isolate thread that costs one thread and its heap. On the kernel's
 * thread it would stop the kernel.
 */
export const KERNEL_THREAD_SLICE_MS = 20;

/** Isolates per extension when its manifest sets no `limits.concurrency`. */
export const DEFAULT_POOL_SIZE = 2;

/**
 * Largest number of isolates one extension may keep, the maximum of the manifest's
 * `limits.concurrency`. Isolates are created only as calls need them, and each one's heap is
 * bounded by `memoryLimitMb`.
 */
export const MAX_POOL_SIZE = 64;

/**
 * Largest JSON result of one invocation, in UTF-16 code units: 16 Mi, which is 16 MiB of
 * ASCII JSON and up to 48 MiB once encoded as UTF-8. The check runs inside the isolate, so a
 * larger result is never copied into the kernel.
 */
export const MAX_OUTPUT_CHARS = 16 * 1024 * 1024;

/**
 * Largest total size of the JSON arguments of the awaited host calls one isolate has in
 * flight, in UTF-16 code units, checked inside the isolate. With MAX_PENDING_HOST_CALLS it
 * bounds the kernel memory that arguments waiting for the host can take (up to 32 MiB).
 */
export const MAX_HOST_ARGS_CHARS = 16 * 1024 * 1024;

/** Largest number of awaited host calls one invocation may have in flight at once. */
export const MAX_PENDING_HOST_CALLS = 64;

/** Largest number of log lines (ctx.log and console) one invocation may send to the host. */
export const MAX_LOG_CALLS_PER_INVOCATION = 1_000;

/**
 * Largest JSON of one log line (message and fields), in UTF-16 code units. Larger fields are
 * replaced by a note. The host API keeps 4 096 characters of message and 8 KiB of fields.
 */
export const MAX_LOG_LINE_CHARS = 16 * 1024;

/** Limits the isolate runtime actually applies after capping the manifest's request. */
export interface IsolateLimits {
  /** Heap limit of each isolate, in MiB. */
  readonly memoryLimitMb: number;
  /** CPU time one invocation may use, in milliseconds. */
  readonly timeoutMs: number;
  /** Wall-clock time one invocation may take, in milliseconds. */
  readonly wallTimeoutMs: number;
  /** Maximum number of isolates of the extension. */
  readonly poolSize: number;
  /** Names of the limits that were lowered or raised to the kernel's bounds, e.g. `['memoryLimitMb']`. */
  readonly adjusted: readonly string[];
}

export interface IsolateLimitRequest {
  limits: SandboxLimits;
  poolSize?: number | undefined;
  /** Overrides the default deadline of `timeoutMs × WALL_TIMEOUT_FACTOR`, in milliseconds. */
  wallTimeoutMs?: number | undefined;
}

/**
 * Resolves the limits one extension gets. Each requested value is rounded to a whole number
 * (memory and pool size down, times up) and clamped into the kernel's bounds. A value that is
 * not a positive number raises a ValidationError.
 *
 * @example
 * resolveIsolateLimits({ limits: { memoryLimitMb: 4096, timeoutMs: 5_000 } });
 * // → { memoryLimitMb: 512, timeoutMs: 5000, wallTimeoutMs: 50000, poolSize: 2, adjusted: ['memoryLimitMb'] }
 */
export function resolveIsolateLimits(request: IsolateLimitRequest): IsolateLimits {
  const adjusted: string[] = [];
  const clamp = (name: string, value: number, min: number, max: number): number => {
    const clamped = Math.min(max, Math.max(min, value));
    if (clamped !== value) adjusted.push(name);
    return clamped;
  };

  const memoryLimitMb = clamp('memoryLimitMb', Math.floor(requirePositive('memoryLimitMb', request.limits.memoryLimitMb)), MIN_MEMORY_LIMIT_MB, MAX_MEMORY_LIMIT_MB);
  const timeoutMs = clamp('timeoutMs', Math.ceil(requirePositive('timeoutMs', request.limits.timeoutMs)), MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
  const poolSize = clamp('poolSize', Math.floor(requirePositive('poolSize', request.poolSize ?? DEFAULT_POOL_SIZE)), 1, MAX_POOL_SIZE);

  const requestedWall = request.wallTimeoutMs ?? timeoutMs * WALL_TIMEOUT_FACTOR;
  const wallTimeoutMs = clamp('wallTimeoutMs', Math.ceil(requirePositive('wallTimeoutMs', requestedWall)), timeoutMs, MAX_WALL_TIMEOUT_MS);

  return { memoryLimitMb, timeoutMs, wallTimeoutMs, poolSize, adjusted };
}

function requirePositive(name: string, value: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;

  throw new ValidationError(`Invalid isolate limit ${name}: expected a positive number, got ${String(value)}.`, [
    { path: name, message: 'expected a positive finite number' },
  ]);
}
