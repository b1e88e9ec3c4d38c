/**
 * Argument checks shared by both back ends, so that a bad value fails the same way
 * with or without Redis instead of reaching Redis as a syntax error.
 */

/** Validates a time to live and returns it rounded up to whole milliseconds, as Redis `PX` requires. */
export function toTtlMs(ttlMs: number, parameter = 'ttlMs'): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`Invalid ${parameter}: expected a positive number of milliseconds, got ${String(ttlMs)}.`);
  }

  return Math.ceil(ttlMs);
}

/** Validates the arguments of `RateLimiter.hit` and returns the window rounded up to whole milliseconds. */
export function toRateLimitWindow(limit: number, windowMs: number): { limit: number; windowMs: number } {
  return { limit: toRateLimit(limit), windowMs: toTtlMs(windowMs, 'windowMs') };
}

/** Validates the `limit` of `RateLimiter.hit` and returns it. */
export function toRateLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`Invalid rate limit: expected a whole number of hits of at least 1, got ${String(limit)}.`);
  }

  return limit;
}

/** Validates `withLock`'s `waitMs`, which may be 0 (try once). */
export function toWaitMs(waitMs: number | undefined): number {
  if (waitMs === undefined) return 0;

  if (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0) {
    throw new RangeError(`Invalid waitMs: expected 0 or a positive number of milliseconds, got ${String(waitMs)}.`);
  }

  return waitMs;
}
