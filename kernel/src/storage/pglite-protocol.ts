/** Messages between `PgliteThread` and the worker thread in pglite-worker.ts that runs PGlite. */

import type { CompiledWasmModule } from '../extensions/runtime/wasm/webassembly-api.js';

/** Start data of the worker: the data folder, or null for a database in memory, and PostgreSQL's start parameters. */
export interface PgliteStart {
  dataDir: string | null;
  startParams: string[];
}

/**
 * PGlite's WebAssembly modules and file system bundle, compiled and read once per process and
 * handed to every worker, which would otherwise compile about 9 MB of WebAssembly each.
 */
export interface PgliteArtifacts {
  pgliteWasmModule: CompiledWasmModule;
  initdbWasmModule: CompiledWasmModule;
  fsBundle: Blob;
}

/**
 * A request to the worker. `transaction` names an open transaction, or is null outside one.
 * With `textValues`, the worker returns every value as PostgreSQL's text, and the calling thread
 * applies the caller's parsers, which cannot cross threads.
 */
export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[]; rowMode: 'object' | 'array'; textValues: boolean; transaction: number | null }
  | { id: number; op: 'exec'; sql: string; transaction: number | null }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; transaction: number; commit: boolean }
  | { id: number; op: 'close' };

/** An error thrown in the worker. `database` marks PostgreSQL's errors, whose fields (code, detail, …) are in `fields`. */
export interface SerializedError {
  message: string;
  name: string;
  database: boolean;
  fields: Record<string, unknown>;
}

/** The reply to the request with the same id. Id 0 is the reply to the start. */
export type PgliteReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };

/** Result of a query request. */
export interface PgliteQueryResult {
  rows: unknown[];
  fields: Array<{ name: string; dataTypeID: number }>;
  affectedRows: number;
}
