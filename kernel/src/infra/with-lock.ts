import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { LockUnavailableError } from './errors.js';
import type { Lock } from './types.js';
import { toTtlMs, toWaitMs } from './validate.js';

/** First pause between two acquisition attempts while waiting for a lock, in milliseconds. */
const FIRST_POLL_DELAY_MS = 10;
/** Pause between attempts doubles up to this many milliseconds. */
const MAX_POLL_DELAY_MS = 200;

type Acquire = (name: string, ttlMs: number) => Promise<Lock | null>;

/**
 * Implements `LockManager.withLock` on top of any `acquire`: waits for the lock by polling,
 * keeps it extended while `fn` runs, and releases it afterwards.
 *
 * @example
 * withLock: (name, ttlMs, fn, options) => runWithLock((n, t) => this.acquire(n, t), logger, name, ttlMs, fn, options),
 */
export async function runWithLock<T>(
  acquire: Acquire,
  logger: Logger,
  name: string,
  ttlMs: number,
  fn: () => Promise<T>,
  options?: { waitMs?: number },
): Promise<T> {
  const lockTtlMs = toTtlMs(ttlMs);
  const waitMs = toWaitMs(options?.waitMs);

  const lock = await acquireWithin(acquire, name, lockTtlMs, waitMs);
  if (!lock) throw new LockUnavailableError(name, waitMs);

  const stopExtending = keepExtended(lock, lockTtlMs, logger);
  try {
    return await fn();
  } finally {
    stopExtending();
    await releaseQuietly(lock, logger);
  }
}

/** Tries to acquire once, then again with growing pauses until `waitMs` has passed. Returns null on timeout. */
async function acquireWithin(acquire: Acquire, name: string, ttlMs: number, waitMs: number): Promise<Lock | null> {
  const deadline = performance.now() + waitMs;
  let delayMs = FIRST_POLL_DELAY_MS;

  for (;;) {
    const lock = await acquire(name, ttlMs);
    if (lock) return lock;

    const leftMs = deadline - performance.now();
    if (leftMs <= 0) return null;

    // Jitter spreads out waiters that started together, so they do not all retry at the same moment.
    const jitteredMs = delayMs / 2 + Math.random() * (delayMs / 2);
    await sleep(Math.min(leftMs, jitteredMs));
    delayMs = Math.min(delayMs * 2, MAX_POLL_DELAY_MS);
  }
}

/** Extends `lock` by `ttlMs` every `ttlMs / 2` until the returned function is called or the lock is lost. */
function keepExtended(lock: Lock, ttlMs: number, logger: Logger): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    timer = setTimeout(() => void extendOnce(), Math.max(1, Math.floor(ttlMs / 2)));
    timer.unref();
  };

  const extendOnce = async (): Promise<void> => {
    try {
      const extended = await lock.extend(ttlMs);
      if (stopped) return;

      if (!extended) {
        logger.warn({ lock: lock.name, ttlMs }, 'lock expired while withLock was still running, so another holder may now have it');
        return;
      }
    } catch (error) {
      if (stopped) return;
      logger.error({ err: error, lock: lock.name }, 'failed to extend lock held by withLock, retrying at the next interval');
    }

    schedule();
  };

  schedule();

  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Releases the lock after `fn` without hiding `fn`'s result or error. A failed release is only
 * logged, because the lock expires on its own within its time to live.
 */
async function releaseQuietly(lock: Lock, logger: Logger): Promise<void> {
  try {
    const released = await lock.release();
    if (!released) logger.warn({ lock: lock.name }, 'lock had already expired when withLock released it');
  } catch (error) {
    logger.error({ err: error, lock: lock.name }, 'failed to release lock after withLock, so it stays held until its time to live runs out');
  }
}
