import type { NodeSettings } from '../../graphs/model.js';

type RetrySettings = NonNullable<NodeSettings['retry']>;

/**
 * Wait before the attempt after `failedAttempt` (1-based), in milliseconds: `backoffMs`
 * times `backoffFactor` to the power `failedAttempt - 1`, at most `maxBackoffMs`.
 *
 * @example
 * backoffDelayMs({ maxAttempts: 4, backoffMs: 100, backoffFactor: 2, maxBackoffMs: 300 }, 3); // 300
 */
export function backoffDelayMs(retry: RetrySettings, failedAttempt: number): number {
  const delay = retry.backoffMs * retry.backoffFactor ** (failedAttempt - 1);
  return Math.min(Math.round(delay), retry.maxBackoffMs);
}

/** Resolves after `ms` milliseconds, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);

  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs one attempt under a watchdog. The attempt gets its own signal, which aborts when
 * `timeoutMs` passes or the run's signal aborts. The returned promise then rejects at once,
 * with `onTimeout()` or the run's abort reason, even if the attempt is still running. The
 * attempt's late result is discarded.
 */
export async function runWithWatchdog<T>(attempt: (signal: AbortSignal) => Promise<T>, options: { timeoutMs: number | undefined; runSignal: AbortSignal; onTimeout: () => Error }): Promise<T> {
  const { runSignal } = options;
  if (runSignal.aborted) throw runSignal.reason;

  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let rejectWatchdog: (reason: unknown) => void = () => {};
  const watchdog = new Promise<never>((_, reject) => {
    rejectWatchdog = reject;
  });
  const onRunAbort = () => {
    controller.abort(runSignal.reason);
    rejectWatchdog(runSignal.reason);
  };
  runSignal.addEventListener('abort', onRunAbort, { once: true });
  if (options.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      const error = options.onTimeout();
      controller.abort(error);
      rejectWatchdog(error);
    }, options.timeoutMs);
  }

  const running = attempt(controller.signal);
  // A result or error that arrives after the watchdog fired is discarded: the step has already failed.
  running.catch(() => {});
  try {
    return await Promise.race([running, watchdog]);
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', onRunAbort);
  }
}
