import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { MifyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { PgliteThread } from './pglite-thread.js';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

/** Runs SQL with positional parameters ($1, $2 ...). */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The kernel's database: a Prisma client for typed access plus raw SQL for the
 * migrator and for queries Prisma cannot express (row locks, pgvector).
 */
export interface Database extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  /** Human-readable location without credentials, for logs and `/api/health`. */
  readonly location: string;
  /** Runs `fn` in one transaction on one connection. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Whether the pgvector extension is available on this database. */
  hasVector(): Promise<boolean>;
  /** Closes the connections. A second call returns the first call's promise. */
  close(): Promise<void>;
}

export class DatabaseError extends MifyError {
  constructor(message: string, options?: ErrorOptions) {
    super('database_unavailable', 503, message, undefined, options);
    this.name = 'DatabaseError';
  }
}

/**
 * Opens PostgreSQL at `databaseUrl`, or the embedded PGlite database under
 * `dataDir/pgdata` when no URL is given. `dataDir` of `memory://` keeps the
 * embedded database in memory (tests). `pgliteThread` sets where PGlite runs: on a worker
 * thread of its own (`worker`, the default) or on the calling thread (`main`). `logger` gets a
 * line when PGlite's thread stops while the database is open.
 *
 * @example
 * const db = await openDatabase({ dataDir: './.mify' });
 * const rows = await db.query<{ now: Date }>('select now()');
 */
export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string; pgliteThread?: PgliteThreading; logger?: Logger }): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPglite(options.dataDir, options.pgliteThread ?? 'worker', options.logger);
}

/**
 * PGlite start parameters: its defaults plus 16 MB of shared buffers instead of
 * PostgreSQL's 128 MB, which keeps an idle kernel's memory about 120 MiB lower.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** Thread of the embedded database: a worker thread of its own (the default), or the kernel's thread. */
export type PgliteThreading = 'worker' | 'main';

async function openPglite(dataDir: string, threading: PgliteThreading, logger: Logger | undefined): Promise<Database> {
  const inMemory = dataDir === 'memory://';
  let releaseLock = () => {};
  let location = 'embedded PostgreSQL (PGlite) in memory';
  let pglite: PGlite | PgliteThread;
  const open = (pgdata: string | null) => {
    if (threading === 'worker') return PgliteThread.start({ dataDir: pgdata, startParams: PGLITE_START_PARAMS }, logger);
    const options = { extensions: { vector }, startParams: PGLITE_START_PARAMS };
    return pgdata === null ? PGlite.create(options) : PGlite.create(pgdata, options);
  };

  if (inMemory) {
    pglite = await open(null);
  } else {
    const pgdata = path.join(dataDir, 'pgdata');
    fs.mkdirSync(pgdata, { recursive: true });
    releaseLock = acquireDataDirLock(dataDir);
    location = `embedded PostgreSQL (PGlite) at ${pgdata}`;
    try {
      pglite = await open(pgdata);
    } catch (error) {
      releaseLock();
      throw new DatabaseError(`Could not open the embedded database at ${pgdata}: ${(error as Error).message}. If the folder is damaged, move it away and run \`mify migrate\` to create a new one.`, { cause: error });
    }
  }
  if (threading === 'main') location += ' on the kernel thread';

  // PgliteThread offers the part of PGlite's interface that the adapter uses.
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite as PGlite) });
  let vectorAvailable: boolean | undefined;
  let closing: Promise<void> | undefined;

  const executor: SqlExecutor = {
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pglite.query(sql, params);
      return result.rows as T[];
    },
    async exec(sql: string) {
      await pglite.exec(sql);
    },
  };

  return {
    kind: 'pglite',
    prisma,
    location,
    ...executor,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      return (pglite as PgliteThread).transaction(async (tx) =>
        fn({
          async query<R>(sql: string, params: unknown[] = []) {
            return (await tx.query(sql, params)).rows as R[];
          },
          async exec(sql: string) {
            await tx.exec(sql);
          },
        }),
      );
    },
    async hasVector() {
      vectorAvailable ??= true;
      return vectorAvailable;
    },
    close() {
      closing ??= (async () => {
        await prisma.$disconnect();
        await pglite.close();
        releaseLock();
      })();
      return closing;
    },
  };
}

async function openPostgres(databaseUrl: string): Promise<Database> {
  // Loaded on demand: the PostgreSQL driver adds about 70 ms to start-up and is needed only with DATABASE_URL.
  const [{ default: pgModule }, { PrismaPg }] = await Promise.all([import('pg'), import('@prisma/adapter-pg')]);
  const url = new URL(databaseUrl);
  const location = `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
  const pool: pg.Pool = new pgModule.Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => {
    // Idle-client errors surface on the next query; the pool drops the client itself.
  });

  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseError(`Could not connect to ${location}: ${(error as Error).message}. Check that the server is running and that DATABASE_URL is right.`, { cause: error });
  }

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let vectorAvailable: boolean | undefined;
  let closing: Promise<void> | undefined;

  return {
    kind: 'postgres',
    prisma,
    location,
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pool.query(sql, params);
      return result.rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          async query<R>(sql: string, params: unknown[] = []) {
            return (await client.query(sql, params)).rows as R[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async hasVector() {
      if (vectorAvailable === undefined) {
        const rows = await pool.query(`select 1 from pg_extension where extname = 'vector'`);
        vectorAvailable = rows.rowCount === 1;
      }
      return vectorAvailable;
    },
    close() {
      closing ??= (async () => {
        await prisma.$disconnect();
        await pool.end();
      })();
      return closing;
    },
  };
}

/**
 * Locks the embedded data folder, because PGlite allows one process per folder. A
 * lock file with the owner's pid keeps a second kernel or CLI command out. A lock
 * left by a process that no longer exists is taken over.
 */
function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'pgdata.lock');

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // Already removed.
        }
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const ownerPid = Number(fs.readFileSync(lockPath, 'utf8'));
      if (ownerPid && ownerPid !== process.pid && isProcessAlive(ownerPid)) {
        throw new DatabaseError(
          `The embedded database in ${dataDir} is in use by another MIFY process (pid ${ownerPid}). ` +
            'Stop that process first, or run MIFY against a PostgreSQL server by setting DATABASE_URL.',
        );
      }
      fs.unlinkSync(lockPath);
    }
  }
  throw new DatabaseError(`Could not lock the embedded database in ${dataDir}.`);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
