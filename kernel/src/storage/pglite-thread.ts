import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { messages, types } from '@electric-sql/pglite';
import { webAssembly } from '../extensions/runtime/wasm/webassembly-api.js';
import type { Logger } from '../logger.js';
import { spawnModuleWorker } from '../worker-threads.js';
import type { PgliteArtifacts, PgliteQueryResult, PgliteReply, PgliteRequest, PgliteStart, SerializedError } from './pglite-protocol.js';

/** Parsers of values given as PostgreSQL's text, by type OID, as PGlite's query options take them. */
export type TextParsers = Record<number, (text: string) => unknown>;

/** Options of a query, the subset of PGlite's that the kernel and the Prisma adapter use. */
export interface QueryOptions {
  rowMode?: 'object' | 'array';
  parsers?: TextParsers;
}

/** Target of `query` and `exec`: the database, or one of its open transactions. */
export interface PgliteQueryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<PgliteQueryResult & { rows: T[] }>;
  exec(sql: string): Promise<void>;
}

/** An open transaction. `rollback` makes it end with a rollback when its callback returns. */
export interface PgliteThreadTransaction extends PgliteQueryable {
  rollback(): Promise<void>;
  readonly closed: boolean;
}

type Pending = { resolve(result: unknown): void; reject(error: Error): void };

/**
 * The embedded database (PGlite) on a worker thread of its own. PGlite runs PostgreSQL as
 * WebAssembly on the thread that calls it, so on the kernel's thread every statement held the
 * event loop: HTTP requests, sandbox calls and timers waited for it. Here statements run on
 * the worker while the kernel's thread goes on, and the two use two CPUs.
 *
 * It offers the part of PGlite's interface that the kernel's `Database` and the Prisma
 * adapter (`pglite-prisma-adapter`) use: `query` with `rowMode` and `parsers`, `exec`,
 * `transaction` with `rollback`, and `close`. Values cross threads by structured clone, so
 * Dates, typed arrays and bigints keep their type. Parsers are functions, which cannot cross,
 * so a query with parsers gets its values as text and parses them on this thread.
 */
export class PgliteThread implements PgliteQueryable {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stopped: Error | null = null;
  readonly #logger: Logger | undefined;

  private constructor(worker: Worker, logger: Logger | undefined) {
    this.#worker = worker;
    this.#logger = logger;
    worker.on('message', (reply: PgliteReply) => this.#settle(reply));
    worker.on('error', (error) => this.#stop(new Error(`The embedded database thread failed (${error.message}); restart MIFY to open the database again.`, { cause: error })));
    worker.on('exit', (code) => this.#stop(new Error(`The embedded database thread exited with code ${code}; restart MIFY to open the database again.`)));
    worker.unref();
  }

  /**
   * Starts the worker and opens the database in it: in `dataDir`, or in memory when it is null.
   * `logger` gets a line when the thread stops while the database is open.
   *
   * @throws the error PGlite raised while opening the database.
   */
  static async start(start: PgliteStart, logger?: Logger): Promise<PgliteThread> {
    const worker = spawnModuleWorker(import.meta.url, 'pglite-worker', { workerData: { ...start, artifacts: await loadArtifacts() } });
    const thread = new PgliteThread(worker, logger);
    try {
      await thread.#expect(0);
    } catch (error) {
      thread.#stopped = error as Error;
      await worker.terminate();
      throw error;
    }
    return thread;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<PgliteQueryResult & { rows: T[] }> {
    return this.#query(null, sql, params, options) as Promise<PgliteQueryResult & { rows: T[] }>;
  }

  async exec(sql: string): Promise<void> {
    await this.#call({ id: this.#nextId++, op: 'exec', sql, transaction: null });
  }

  /** Runs `fn` in one transaction: it commits when `fn` resolves, and rolls back when `fn` throws or calls `rollback`. */
  async transaction<T>(fn: (tx: PgliteThreadTransaction) => Promise<T>): Promise<T> {
    const id = (await this.#call({ id: this.#nextId++, op: 'begin' })) as number;
    let rollback = false;
    let closed = false;
    const tx: PgliteThreadTransaction = {
      query: (sql, params = [], options = {}) => this.#query(id, sql, params, options) as never,
      exec: async (sql) => {
        await this.#call({ id: this.#nextId++, op: 'exec', sql, transaction: id });
      },
      rollback: async () => {
        rollback = true;
      },
      get closed() {
        return closed;
      },
    };

    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      closed = true;
      await this.#call({ id: this.#nextId++, op: 'end', transaction: id, commit: false }).catch((rollbackError: unknown) => {
        this.#logger?.warn({ err: rollbackError, transaction: id }, 'rolling back a failed transaction of the embedded database failed');
      });
      throw error;
    }
    closed = true;
    await this.#call({ id: this.#nextId++, op: 'end', transaction: id, commit: !rollback });
    return result;
  }

  /** Closes the database and stops the worker. Later calls reject with an error that says the database is closed. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    await this.#call({ id: this.#nextId++, op: 'close' });
    this.#stopped = new Error('The embedded database is closed; open it again to run statements.');
    await this.#worker.terminate();
  }

  async #query(transaction: number | null, sql: string, params: unknown[], options: QueryOptions): Promise<PgliteQueryResult> {
    const rowMode = options.rowMode ?? 'object';
    const textValues = options.parsers !== undefined;
    const result = (await this.#call({ id: this.#nextId++, op: 'query', sql, params, rowMode, textValues, transaction })) as PgliteQueryResult;
    if (textValues) result.rows = parseRows(result, rowMode, options.parsers!);
    return result;
  }

  #call(request: PgliteRequest): Promise<unknown> {
    const reply = this.#expect(request.id);
    if (!this.#stopped) this.#worker.postMessage(request);
    return reply;
  }

  /** Waits for the reply with `id`. The worker sends id 0 by itself once the database is open. */
  #expect(id: number): Promise<unknown> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    return new Promise<unknown>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
    });
  }

  #settle(reply: PgliteReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(toError(reply.error));
  }

  #stop(error: Error): void {
    if (this.#stopped) return;
    this.#stopped = error;
    this.#logger?.error({ err: error, pending: this.#pending.size }, 'the embedded database thread stopped');
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

let artifacts: Promise<PgliteArtifacts> | undefined;

/** Compiles PGlite's WebAssembly modules and reads its file system bundle, once per process. */
function loadArtifacts(): Promise<PgliteArtifacts> {
  artifacts ??= (async () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const [pglite, initdb, bundle] = await Promise.all(['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((name) => readFile(path.join(dist, name))));
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([webAssembly.compile(pglite!), webAssembly.compile(initdb!)]);
    return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([bundle!]) };
  })();
  return artifacts;
}

/** Parses the text values of `result` with `parsers`, falling back to PGlite's own parsers as PGlite does. */
function parseRows(result: PgliteQueryResult, rowMode: 'object' | 'array', parsers: TextParsers): unknown[] {
  const typeIds = result.fields.map((field) => field.dataTypeID);
  if (rowMode === 'array') {
    return (result.rows as Array<Array<string | null>>).map((row) => row.map((value, index) => types.parseType(value, typeIds[index]!, parsers)));
  }
  return (result.rows as Array<Record<string, string | null>>).map((row) => {
    const parsed: Record<string, unknown> = {};
    result.fields.forEach((field, index) => {
      parsed[field.name] = types.parseType(row[field.name] ?? null, typeIds[index]!, parsers);
    });
    return parsed;
  });
}

/** Rebuilds an error from the worker, as PGlite's `DatabaseError` for PostgreSQL's errors, so callers can tell them apart as before. */
function toError(serialized: SerializedError): Error {
  const { length, ...fields } = serialized.fields as { length?: number } & Record<string, unknown>;
  if (serialized.database) return Object.assign(new messages.DatabaseError(serialized.message, length ?? 0, 'error'), fields);
  return Object.assign(new Error(serialized.message), { ...fields, name: serialized.name });
}
