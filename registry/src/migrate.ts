import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Logger } from '@mify/kernel';
import { RegistryError } from './errors.js';

/** `registry/migrations`; the same path from `src/` and `dist/`. */
export const REGISTRY_MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

/** Advisory-lock key that serialises registry migrators on one PostgreSQL server. */
const REGISTRY_MIGRATION_LOCK_KEY = 727_113_002;

/**
 * Applies the registry's pending migrations in one transaction and records them in
 * `registry_migrations`, a table of their own. The kernel's migrator warns about
 * unknown rows in `mify_migrations`, so the registry's rows stay out of it. An applied
 * migration whose file changed stops the start, as in the kernel.
 *
 * @returns the names of the migrations applied by this call.
 */
export async function migrateRegistry(db: Database, options: { dir?: string; logger?: Logger } = {}): Promise<string[]> {
  const dir = options.dir ?? REGISTRY_MIGRATIONS_DIR;
  const migrations = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d{14}_[a-z0-9_]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });

  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [REGISTRY_MIGRATION_LOCK_KEY]);
    await tx.exec('create table if not exists registry_migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now())');
    const applied = new Map((await tx.query<{ name: string; checksum: string }>('select name, checksum from registry_migrations')).map((row) => [row.name, row.checksum]));

    const done: string[] = [];
    for (const migration of migrations) {
      const recorded = applied.get(migration.name);
      if (recorded !== undefined && recorded !== migration.checksum) {
        throw new RegistryError('migration_failed', 500, `Registry migration ${migration.name} was changed after it was applied. Restore the original migration.sql and put the change in a new migration folder.`);
      }
      if (recorded !== undefined) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into registry_migrations (name, checksum) values ($1, $2)', [migration.name, migration.checksum]);
      options.logger?.info({ migration: migration.name }, 'applied registry migration');
      done.push(migration.name);
    }
    return done;
  });
}
