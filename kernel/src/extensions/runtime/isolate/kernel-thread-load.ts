import { performance } from 'node:perf_hooks';

/** How often the event loop's utilisation is sampled, in milliseconds. */
export const LOAD_SAMPLE_MS = 50;

/** Utilisation of one sample above which the kernel's thread counts as busy. */
export const BUSY_ABOVE = 0.85;

/** Utilisation of one sample below which a busy kernel thread counts as free again. */
export const FREE_BELOW = 0.7;

/**
 * Tells whether the kernel's event loop is busy, from the share of the last sample interval
 * it spent running code (`performance.eventLoopUtilization`). Isolate calls start on the
 * kernel's thread while it has time to spare, and on isolate threads, which other CPUs run,
 * once it has none. The thresholds differ so that the state does not flip on every sample.
 */
export class KernelThreadLoad {
  readonly #sampleMs: number;
  #busy = false;
  #last = performance.eventLoopUtilization();
  #timer: NodeJS.Timeout | undefined;
  #users = 0;

  /** @param sampleMs - sampling interval; 0 takes no samples, so only `record` changes the state */
  constructor(sampleMs = LOAD_SAMPLE_MS) {
    this.#sampleMs = sampleMs;
  }

  get busy(): boolean {
    return this.#busy;
  }

  /** Starts sampling for one more user. Sampling runs until the last user releases it. */
  hold(): void {
    this.#users++;
    if (this.#timer !== undefined || this.#sampleMs === 0) return;
    this.#last = performance.eventLoopUtilization();
    this.#timer = setInterval(() => this.#sample(), this.#sampleMs);
    this.#timer.unref();
  }

  /** Ends one user's hold; the last one stops the sampling. */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#busy = false;
  }

  /** Records one utilisation sample, as the timer does. Exposed so that tests need not wait. */
  record(utilization: number): void {
    this.#busy = this.#busy ? utilization > FREE_BELOW : utilization > BUSY_ABOVE;
  }

  #sample(): void {
    const now = performance.eventLoopUtilization();
    this.record(performance.eventLoopUtilization(now, this.#last).utilization);
    this.#last = now;
  }
}

/** The load of this process's kernel thread, shared by every isolate runtime. */
export const kernelThreadLoad = new KernelThreadLoad();
