import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.js';
import { spawnModuleWorker } from '../../worker-threads.js';

/** A request to the digest thread: the text `JSON.stringify` wrote for an items array. */
export interface DigestRequest {
  id: number;
  json: string;
}

/** The digest thread's reply: the items digest, or why it could not compute one. */
export type DigestReply = { id: number; digest: string } | { id: number; error: string };

/**
 * One worker thread that computes items digests for audited runs (digest-worker.ts), so that
 * the kernel's thread neither walks large items for their key order nor hashes their text.
 * The kernel's thread only copies the text into a message, and reads the digest when the
 * step that needs it ends. The thread starts with the first request. A digest that the
 * thread cannot give, because its text was not JSON or because the thread stopped, comes back
 * as undefined, and the caller computes it on its own thread. After the thread stopped, it is
 * not started again and `submit` returns undefined.
 */
export class DigestThread {
  #worker: Worker | undefined;
  #logger: Pick<Logger, 'warn'> | undefined;
  #stopped = false;
  #nextId = 1;
  readonly #pending = new Map<number, (digest: string | undefined) => void>();

  /** True until the thread failed to start, failed, or was closed. */
  get available(): boolean {
    return !this.#stopped;
  }

  /** Number of digests requested and not yet returned. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Sets the logger for the thread's failures: a stop, or a text it could not digest. */
  useLogger(logger: Pick<Logger, 'warn'>): void {
    this.#logger = logger;
  }

  /**
   * Requests the items digest of `json`, the text `JSON.stringify` wrote for an items array.
   * Returns undefined when the thread is not available. The promise never rejects.
   */
  submit(json: string): Promise<string | undefined> | undefined {
    const worker = this.#worker ?? this.#start();
    if (worker === undefined) return undefined;

    const id = this.#nextId++;
    // Only a thread with requests in flight keeps the process alive.
    if (this.#pending.size === 0) worker.ref();
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ id, json } satisfies DigestRequest);
    });
  }

  /** Stops the thread. Requests in flight resolve to undefined. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#stop();
    await worker?.terminate();
  }

  #start(): Worker | undefined {
    if (this.#stopped) return undefined;
    let worker: Worker;
    try {
      worker = spawnModuleWorker(import.meta.url, 'digest-worker');
    } catch {
      this.#stopped = true;
      return undefined;
    }
    worker.on('message', (reply: DigestReply) => {
      if ('error' in reply) this.#logger?.warn({ requestId: reply.id, reason: reply.error }, 'the digest thread could not read an items text; the kernel thread hashes those items');
      this.#settle(reply.id, 'digest' in reply ? reply.digest : undefined);
    });
    worker.on('error', (error) => {
      this.#logger?.warn({ err: error }, 'the digest thread failed; audited runs now hash their items on the kernel thread');
      this.#stop();
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#logger?.warn({ exitCode: code }, 'the digest thread exited; audited runs now hash their items on the kernel thread');
      this.#stop();
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #settle(id: number, digest: string | undefined): void {
    const resolve = this.#pending.get(id);
    if (resolve === undefined) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    resolve(digest);
  }

  #stop(): void {
    this.#stopped = true;
    this.#worker = undefined;
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined);
  }
}

/** The process's digest thread, shared by every executor. */
export const digestThread = new DigestThread();
