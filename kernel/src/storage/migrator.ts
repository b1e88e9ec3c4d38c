import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MifyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';

/** `prisma/migrations` of the repository; the same path from `src/` and from `dist/`. */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma/migrations');

/** Advisory-lock key that serialises migrators of several kernel processes on one server. */
const MIGRATION_LOCK_KEY = 727_113_001;

export interface Migration {
  /** Folder name, `<timestamp>_<name>`; migrations run in ascending order of it. */
  name: string;
  sql: string;
  /** SHA-256 of the SQL file, hex. */
  checksum: string;
}

export class MigrationError extends MifyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('migration_failed', 500, message, details);
    this.name = 'MigrationError';
  }
}

/** Reads `<dir>/<timestamp>_<name>/migration.sql` files in order. */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  if (!fs.existsSync(dir)) throw new MigrationError(`Migrations folder ${dir} does not exist.`);

  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d{14}_[a-z0-9_]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies pending migrations in order and records name and checksum. All
 * pending migrations run in one transaction, so a failing one leaves the
 * database as it was; on a server an advisory lock serialises concurrent
 * kernels. Refuses to start when an applied migration's file was
 * edited afterwards, because the database would no longer match the files.
 *
 * @returns the names of the migrations applied by this call.
 */
export async function migrate(db: Database, options: { dir?: string; logger?: Logger } = {}): Promise<string[]> {
  const migrations = readMigrations(options.dir);

  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`create table if not exists mify_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);

    const appliedRows = await tx.query<{ name: string; checksum: string }>('select name, checksum from mify_migrations order by name');
    const applied = new Map(appliedRows.map((row) => [row.name, row.checksum]));
    const known = new Set(migrations.map((m) => m.name));

    for (const migration of migrations) {
      const recorded = applied.get(migration.name);
      if (recorded !== undefined && recorded !== migration.checksum) {
        throw new MigrationError(
          `Migration ${migration.name} was changed after it was applied (recorded checksum ${recorded.slice(0, 12)}…, file now ${migration.checksum.slice(0, 12)}…). ` +
            'Restore the original migration.sql and put the change in a new migration folder.',
          { migration: migration.name },
        );
      }
    }
    for (const name of applied.keys()) {
      if (!known.has(name)) options.logger?.warn({ migration: name }, 'database has a migration that is not in the migrations folder; is this kernel older than the database?');
    }

    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.name)) continue;
      try {
        await tx.exec(migration.sql);
        await tx.query('insert into mify_migrations (name, checksum) values ($1, $2)', [migration.name, migration.checksum]);
      } catch (error) {
        throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`, { migration: migration.name });
      }
      options.logger?.info({ migration: migration.name }, 'applied migration');
      done.push(migration.name);
    }
    return done;
  });
}
