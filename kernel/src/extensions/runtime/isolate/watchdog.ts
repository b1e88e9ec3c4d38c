/** Something with a deadline that the watchdog checks on every tick. */
export interface WatchedCall {
  /** Stops the call if it is past its deadline at `nowMs` (a `performance.now()` value). */
  checkDeadline(nowMs: number): void;
}

/**
 * One interval timer shared by every call of a runtime. It runs only while calls are being
 * watched and is unref'd, so it never keeps the process alive. Sharing it keeps timer
 * set-up off the per-call path.
 */
export class CallWatchdog {
  readonly intervalMs: number;
  readonly #calls = new Set<WatchedCall>();
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  watch(call: WatchedCall): void {
    this.#calls.add(call);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.intervalMs);
      this.#timer.unref();
    }
  }

  unwatch(call: WatchedCall): void {
    this.#calls.delete(call);
  }

  stop(): void {
    this.#calls.clear();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.#calls.size === 0) {
      this.stop();
      return;
    }

    const now = performance.now();
    for (const call of this.#calls) call.checkDeadline(now);
  }
}
