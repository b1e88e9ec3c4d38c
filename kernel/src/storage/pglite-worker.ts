/**
 * Worker thread that runs the embedded database (PGlite) for `PgliteThread`, so that
 * PostgreSQL's work, which PGlite does as WebAssembly on the thread that calls it, does not
 * hold the kernel's event loop. Messages and replies are described in pglite-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messages, PGlite, types, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { PgliteArtifacts, PgliteReply, PgliteRequest, PgliteStart, SerializedError } from './pglite-protocol.js';

const port = parentPort!;
const start = workerData as PgliteStart & { artifacts: PgliteArtifacts };

/** Parsers that keep every value as PostgreSQL's text, for requests that parse on the calling thread. */
const TEXT_PARSERS = Object.fromEntries(Object.keys(types.parsers).map((oid) => [oid, (text: string) => text]));

/** An open transaction: its handle, the function that ends its callback, and PGlite's promise of its end. */
interface OpenTransaction {
  tx: Transaction;
  end: () => void;
  done: Promise<void>;
}

const transactions = new Map<number, OpenTransaction>();
let nextTransactionId = 1;

/** Copies an error into a message that can cross threads, with PostgreSQL's fields (code, detail, …) when it has them. */
function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error)) {
      if (value === undefined || typeof value === 'function') continue;
      fields[key] = typeof value === 'object' && value !== null ? safeClone(value) : value;
    }
    return { message: error.message, name: error.name, database: error instanceof messages.DatabaseError, fields };
  }
  return { message: String(error), name: 'Error', database: false, fields: {} };
}

/** Returns a structured clone of `value`, or undefined when it cannot be cloned (it contains functions, for example). */
function safeClone(value: object): unknown {
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}

let pglite: PGlite;

/** Opens the database, reports the result to the kernel's thread, and serves its requests. */
async function main(): Promise<void> {
  try {
    const options = { extensions: { vector }, startParams: start.startParams, ...start.artifacts };
    pglite = start.dataDir === null ? await PGlite.create(options) : await PGlite.create(start.dataDir, options);
  } catch (error) {
    port.postMessage({ id: 0, ok: false, error: serializeError(error) } satisfies PgliteReply);
    return;
  }
  port.on('message', (request: PgliteRequest) => {
    void handle(request).then(
      (result) => port.postMessage({ id: request.id, ok: true, result } satisfies PgliteReply),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: serializeError(error) } satisfies PgliteReply),
    );
  });
  port.postMessage({ id: 0, ok: true, result: null } satisfies PgliteReply);
}

void main();

async function handle(request: PgliteRequest): Promise<unknown> {
  switch (request.op) {
    case 'query': {
      const target = request.transaction === null ? pglite : transactionOf(request.transaction).tx;
      const result = await target.query(request.sql, request.params, { rowMode: request.rowMode, ...(request.textValues ? { parsers: TEXT_PARSERS } : {}) });
      return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows ?? 0 };
    }
    case 'exec': {
      const target = request.transaction === null ? pglite : transactionOf(request.transaction).tx;
      await target.exec(request.sql);
      return null;
    }
    case 'begin':
      return begin();
    case 'end': {
      const open = transactionOf(request.transaction);
      transactions.delete(request.transaction);
      if (!request.commit) await open.tx.rollback();
      open.end();
      await open.done;
      return null;
    }
    case 'close':
      await pglite.close();
      return null;
  }
}

function transactionOf(id: number): OpenTransaction {
  const open = transactions.get(id);
  if (!open) throw new Error(`Transaction ${id} is not open in the embedded database thread; it ended or never began.`);
  return open;
}

/**
 * Opens a transaction and resolves with its id once it has begun. It stays open until an `end`
 * request, which commits it, or rolls it back first, and waits for PGlite to finish it.
 */
function begin(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const id = nextTransactionId++;
    let began = false;
    const done = pglite.transaction(
      (tx) =>
        new Promise<void>((settle) => {
          began = true;
          transactions.set(id, { tx, end: settle, done });
          resolve(id);
        }),
    );
    done.catch((error: unknown) => {
      transactions.delete(id);
      if (!began) reject(error);
    });
  });
}
