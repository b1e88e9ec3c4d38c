import type { RateLimitResult } from './types.js';

/** Capacity of a new window's ring buffer, in hits. It doubles when full. */
const INITIAL_CAPACITY = 8;

/**
 * The recorded hits of one rate-limit key, oldest first, in a ring buffer of hit times.
 * Counting is exact, as in the Redis script: a hit at time t counts while now - t < windowMs.
 * Each `hit` drops the hits that have left the window from the front and appends at the back,
 * so its cost does not grow with the number of hits in the window. Memory is at most one
 * 8-byte time per hit in the window, because rejected hits are not recorded.
 */
export class SlidingWindow {
  /** Window length in milliseconds, from the latest `hit`. The sweep reads it. */
  windowMs: number;
  private times = new Float64Array(INITIAL_CAPACITY);
  /** Index of the oldest hit in `times`. */
  private head = 0;
  private count = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Time of the newest recorded hit, or undefined when none is recorded. */
  get newestHit(): number | undefined {
    return this.count === 0 ? undefined : this.timeAt(this.count - 1);
  }

  /** Records a hit at `at` (milliseconds on a monotonic clock) when fewer than `limit` hits are in the window. */
  hit(at: number, limit: number, windowMs: number): RateLimitResult {
    this.windowMs = windowMs;
    this.dropBefore(at - windowMs);

    const allowed = this.count < limit;
    if (allowed) this.push(at);

    // When rejected, a hit is allowed again once enough of the oldest hits have left the window
    // to bring the count below the limit. Usually that is the oldest hit alone.
    const blockingHit = this.count >= limit ? this.timeAt(this.count - limit) : at;
    const newestHit = this.newestHit ?? at;

    return {
      allowed,
      limit,
      remaining: allowed ? limit - this.count : 0,
      // Elapsed time is subtracted from the window, not the window added to a time, so that a hit
      // made now reports exactly `windowMs` instead of a rounding error above it.
      retryAfterMs: allowed ? 0 : Math.ceil(windowMs - (at - blockingHit)),
      resetMs: Math.ceil(windowMs - (at - newestHit)),
    };
  }

  /** Drops the hits at or before `cutoff`, which have left the window. */
  private dropBefore(cutoff: number): void {
    const mask = this.times.length - 1;
    while (this.count > 0 && this.times[this.head]! <= cutoff) {
      this.head = (this.head + 1) & mask;
      this.count--;
    }
  }

  private push(at: number): void {
    if (this.count === this.times.length) this.grow();
    this.times[(this.head + this.count) & (this.times.length - 1)] = at;
    this.count++;
  }

  /** Time of the `index`-th oldest hit. */
  private timeAt(index: number): number {
    return this.times[(this.head + index) & (this.times.length - 1)]!;
  }

  /** Doubles the capacity, which stays a power of two so that indexes wrap with a mask. */
  private grow(): void {
    const larger = new Float64Array(this.times.length * 2);
    for (let i = 0; i < this.count; i++) larger[i] = this.timeAt(i);
    this.times = larger;
    this.head = 0;
  }
}
