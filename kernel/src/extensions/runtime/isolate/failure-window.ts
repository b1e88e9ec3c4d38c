export interface FailureWindowOptions {
  /** Failures within `windowMs` that make the extension unhealthy. */
  maxFailures: number;
  /** Length of the sliding window, in milliseconds. */
  windowMs: number;
  /** Clock in milliseconds, replaced by a fake one in tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Sliding-window failure counter: `maxFailures` failures within `windowMs` make the
 * extension unhealthy, and it turns healthy again once the window contains fewer failures.
 * It keeps only the last `maxFailures` timestamps, so memory stays constant.
 *
 * @example
 * const window = new FailureWindow({ maxFailures: 5, windowMs: 60_000 });
 * createIsolateRuntime({ ..., onFailure: () => window.record() });
 * if (!window.healthy) markUnhealthy(extensionId);
 */
export class FailureWindow {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly #now: () => number;
  /** Ring buffer of the last `maxFailures` failure times, in milliseconds. */
  readonly #times: number[] = [];
  #next = 0;

  constructor(options: FailureWindowOptions) {
    if (!Number.isInteger(options.maxFailures) || options.maxFailures < 1) {
      throw new RangeError(`FailureWindow maxFailures must be an integer of at least 1, got ${String(options.maxFailures)}.`);
    }
    if (!Number.isFinite(options.windowMs) || options.windowMs <= 0) {
      throw new RangeError(`FailureWindow windowMs must be a positive number of milliseconds, got ${String(options.windowMs)}.`);
    }

    this.maxFailures = options.maxFailures;
    this.windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  /** Records one failure and returns whether the extension is still healthy. */
  record(): boolean {
    const now = this.#now();
    if (this.#times.length < this.maxFailures) {
      this.#times.push(now);
    } else {
      this.#times[this.#next] = now;
    }
    this.#next = (this.#next + 1) % this.maxFailures;

    return this.healthy;
  }

  /** Number of recorded failures that are still inside the window. */
  get failureCount(): number {
    const since = this.#now() - this.windowMs;
    return this.#times.filter((time) => time > since).length;
  }

  /** False while `maxFailures` or more failures fall inside the window. */
  get healthy(): boolean {
    return this.failureCount < this.maxFailures;
  }

  /** Forgets every recorded failure, e.g. after an operator re-enables the extension. */
  reset(): void {
    this.#times.length = 0;
    this.#next = 0;
  }
}
