import type { Logger } from '../../../logger.js';
import type { SandboxIsolate } from './sandbox-isolate.js';

export interface IsolatePoolOptions {
  /** Maximum number of isolates alive at once, busy or idle. */
  maxSize: number;
  create(): Promise<SandboxIsolate>;
  logger: Logger;
}

/** Counters of one pool, for health reports and tests. */
export interface IsolatePoolStats {
  /** Most isolates alive at once: the extension's `limits.concurrency`. */
  maxSize: number;
  /** Isolates created since the pool started, including replacements. */
  created: number;
  alive: number;
  idle: number;
  busy: number;
  /** Isolates being created right now. */
  creating: number;
  /** Calls waiting for an isolate. */
  queued: number;
}

interface Waiter {
  resolve(sandbox: SandboxIsolate): void;
  reject(error: unknown): void;
}

/**
 * The isolates of one extension. Each isolate serves one call at a time, so a failure that
 * disposes an isolate stops only the call running in it. Isolates are created on demand up
 * to `maxSize`, and calls beyond that wait in FIFO order. After a failure the pool keeps at
 * least one isolate warm by creating a replacement in the background.
 */
export class IsolatePool {
  readonly #options: IsolatePoolOptions;
  readonly #alive = new Set<SandboxIsolate>();
  readonly #idle: SandboxIsolate[] = [];
  readonly #waiters: Waiter[] = [];
  #creating = 0;
  #created = 0;
  #closedError: Error | undefined;

  constructor(options: IsolatePoolOptions) {
    this.#options = options;
  }

  /** Adds an isolate created outside the pool, e.g. the first one, which validates the bundle. */
  seed(sandbox: SandboxIsolate): void {
    this.#created++;
    this.#alive.add(sandbox);
    this.#makeAvailable(sandbox);
  }

  /** Returns an idle isolate, creates one, or waits for one to be released, with no time limit on the wait. */
  acquire(): Promise<SandboxIsolate> {
    if (this.#closedError) return Promise.reject(this.#closedError);

    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);

    if (this.#alive.size + this.#creating < this.#options.maxSize) return this.#grow();

    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Takes an isolate back after a call. A disposed isolate leaves the pool. */
  release(sandbox: SandboxIsolate): void {
    const quiet = sandbox.whenQuiet();
    if (quiet === undefined) {
      this.#makeAvailable(sandbox);
    } else {
      void quiet.then(() => this.#makeAvailable(sandbox));
    }
  }

  /** Disposes every isolate and rejects waiting calls with `error`. */
  close(error: Error): void {
    this.#closedError = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    for (const sandbox of this.#alive) sandbox.dispose();
    this.#alive.clear();
    this.#idle.length = 0;
  }

  stats(): IsolatePoolStats {
    return {
      maxSize: this.#options.maxSize,
      created: this.#created,
      alive: this.#alive.size,
      idle: this.#idle.length,
      busy: this.#alive.size - this.#idle.length,
      creating: this.#creating,
      queued: this.#waiters.length,
    };
  }

  async #grow(): Promise<SandboxIsolate> {
    this.#creating++;
    let sandbox: SandboxIsolate;
    try {
      sandbox = await this.#options.create();
    } finally {
      this.#creating--;
    }

    this.#created++;
    if (this.#closedError) {
      sandbox.dispose();
      throw this.#closedError;
    }
    this.#alive.add(sandbox);
    return sandbox;
  }

  #makeAvailable(sandbox: SandboxIsolate): void {
    if (this.#closedError) {
      sandbox.dispose();
      return;
    }
    if (sandbox.isDisposed) {
      this.#alive.delete(sandbox);
      this.#replace();
      return;
    }

    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(sandbox);
    } else {
      this.#idle.push(sandbox);
    }
  }

  /** Creates isolates for waiting calls, or one idle isolate when none is left. */
  #replace(): void {
    while (this.#waiters.length > 0 && this.#alive.size + this.#creating < this.#options.maxSize) {
      const waiter = this.#waiters.shift()!;
      this.#grow().then(waiter.resolve, waiter.reject);
    }

    if (this.#alive.size + this.#creating > 0) return;
    this.#grow().then(
      (sandbox) => this.#makeAvailable(sandbox),
      (error: unknown) => {
        if (this.#closedError) return;
        this.#options.logger.error({ err: error }, 'could not create a replacement isolate; the next call will try again');
      },
    );
  }
}
