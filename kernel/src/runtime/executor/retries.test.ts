import { describe, expect, it } from 'vitest';
import { RunAbortedError, StepTimeoutError } from './errors.js';
import { backoffDelayMs, runWithWatchdog, sleep } from './retries.js';

describe('backoffDelayMs', () => {
  const retry = { maxAttempts: 6, backoffMs: 100, backoffFactor: 3, maxBackoffMs: 1_000 };

  it('grows by the factor per failed attempt', () => {
    expect([1, 2, 3].map((attempt) => backoffDelayMs(retry, attempt))).toEqual([100, 300, 900]);
  });

  it('stops growing at maxBackoffMs', () => {
    expect(backoffDelayMs(retry, 4)).toBe(1_000);
    expect(backoffDelayMs(retry, 20)).toBe(1_000);
  });
});

describe('runWithWatchdog', () => {
  const never = () => new Promise<never>(() => {});

  it('returns the attempt result within the timeout', async () => {
    const result = await runWithWatchdog(async () => 'done', { timeoutMs: 1_000, runSignal: new AbortController().signal, onTimeout: () => new StepTimeoutError('n', 1_000) });

    expect(result).toBe('done');
  });

  it('rejects at the timeout while the attempt still runs and aborts its signal', async () => {
    let attemptSignal: AbortSignal | undefined;
    const startedAt = performance.now();
    const running = runWithWatchdog(
      (signal) => {
        attemptSignal = signal;
        return never();
      },
      { timeoutMs: 50, runSignal: new AbortController().signal, onTimeout: () => new StepTimeoutError('Slow', 50) },
    );

    await expect(running).rejects.toThrow("node 'Slow' timed out after 50 ms");
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(attemptSignal?.aborted).toBe(true);
  });

  it('discards a late rejection of a timed-out attempt', async () => {
    const running = runWithWatchdog(() => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 80)), {
      timeoutMs: 10,
      runSignal: new AbortController().signal,
      onTimeout: () => new StepTimeoutError('n', 10),
    });

    await expect(running).rejects.toBeInstanceOf(StepTimeoutError);
    await sleep(120, new AbortController().signal);
  });

  it('rejects with the run abort reason', async () => {
    const run = new AbortController();
    const running = runWithWatchdog(() => never(), { timeoutMs: undefined, runSignal: run.signal, onTimeout: () => new Error('unused') });
    run.abort(new RunAbortedError('cancelled', 'the run was cancelled'));

    await expect(running).rejects.toMatchObject({ code: 'run_cancelled' });
  });

  it('aborts the attempt with the run', async () => {
    for (const timeoutMs of [undefined, 60_000]) {
      const run = new AbortController();
      let attemptSignal: AbortSignal | undefined;
      const running = runWithWatchdog((signal) => ((attemptSignal = signal), never()), { timeoutMs, runSignal: run.signal, onTimeout: () => new Error('unused') });
      const reason = new RunAbortedError('cancelled', 'the run was cancelled');
      run.abort(reason);

      await expect(running).rejects.toBe(reason);
      expect(attemptSignal?.aborted).toBe(true);
      expect(attemptSignal?.reason).toBe(reason);
    }
  });
});

describe('sleep', () => {
  it('rejects as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const startedAt = performance.now();
    const waiting = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));

    await expect(waiting).rejects.toThrow('stop');
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });
});
