import path from 'node:path';
import { openDatabase, type Database, type Logger } from '@mify/kernel';
import type { Hono } from 'hono';
import { createRegistryApp } from './app.js';
import { loadOrCreateSigningKey } from './keys.js';
import { migrateRegistry } from './migrate.js';
import { Registry } from './service.js';

export interface OpenRegistryOptions {
  /** Folder of the signing key, the file store (`<dataDir>/packages`) and, without `databaseUrl` or `db`, the embedded database. */
  dataDir: string;
  /** PostgreSQL server; the embedded PGlite database in `dataDir` when unset. */
  databaseUrl?: string | undefined;
  /** An open database to use instead (the kernel's, when mounted); it is not closed by `close`. */
  db?: Database;
  /** false serves packages unsigned, which kernels refuse unless their operator allows unsigned packages. Default true. */
  sign?: boolean;
  adminToken?: string | undefined;
  maxPackageBytes?: number | undefined;
  logger: Logger;
}

export interface OpenedRegistry {
  registry: Registry;
  app: Hono;
  db: Database;
  close(): Promise<void>;
}

/**
 * Opens the registry's database, applies its migrations, loads (or creates) its
 * signing key and builds its HTTP app.
 *
 * @example
 * const { app, close } = await openRegistry({ dataDir: './.mify-registry', logger });
 */
export async function openRegistry(options: OpenRegistryOptions): Promise<OpenedRegistry> {
  const db = options.db ?? (await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir }));
  try {
    await migrateRegistry(db, { logger: options.logger });
  } catch (error) {
    if (!options.db) await db.close();
    throw error;
  }

  const registry = new Registry({
    db,
    storeDir: path.join(options.dataDir, 'packages'),
    signingKey: options.sign === false ? null : loadOrCreateSigningKey(options.dataDir),
    adminToken: options.adminToken,
    ...(options.maxPackageBytes ? { maxPackageBytes: options.maxPackageBytes } : {}),
    logger: options.logger,
  });
  return {
    registry,
    app: createRegistryApp(registry),
    db,
    async close() {
      if (!options.db) await db.close();
    },
  };
}
