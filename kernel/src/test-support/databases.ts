import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../storage/database.js';
import { migrate } from '../storage/migrator.js';

export interface DatabaseBackend {
  name: 'pglite' | 'postgres';
  /** Null when the back end can run here; otherwise why its suites are skipped. */
  skipReason: string | null;
}

/** Back ends every storage suite runs against. PostgreSQL needs DATABASE_URL. */
export const databaseBackends: DatabaseBackend[] = [
  { name: 'pglite', skipReason: null },
  { name: 'postgres', skipReason: process.env.DATABASE_URL ? null : 'DATABASE_URL not set' },
];

/** Suite title that shows the skip reason in the test report. */
export function backendTitle(backend: DatabaseBackend): string {
  return backend.skipReason ? `${backend.name} (skipped: ${backend.skipReason})` : backend.name;
}

export interface TestDatabase {
  db: Database;
  /** Connection URL of the per-test PostgreSQL database, undefined for PGlite. */
  url: string | undefined;
  cleanup(): Promise<void>;
}

/**
 * Opens an empty, migrated database: PGlite in memory, or a fresh database
 * created on the server of DATABASE_URL and dropped by `cleanup`.
 */
export async function openTestDatabase(backend: DatabaseBackend['name'], options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const url = backend === 'postgres' ? await createServerDatabase() : undefined;
  const db = await openDatabase({ databaseUrl: url, dataDir: 'memory://' });
  if (options.migrate !== false) await migrate(db);

  return {
    db,
    url,
    async cleanup() {
      await db.close();
      if (url) await dropServerDatabase(url);
    },
  };
}

/** Creates an empty database on the DATABASE_URL server and returns its URL. */
export async function createServerDatabase(): Promise<string> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `mify_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropServerDatabase(url: string): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (!base) return;
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}
