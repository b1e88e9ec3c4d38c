import { expect } from 'vitest';
import { AuditLog } from '../../audit/audit-log.js';
import { MifyError } from '../../errors.js';
import { createMemorySharedState } from '../../infra/memory.js';
import { createLogger, type Logger } from '../../logger.js';
import type { Database, SqlExecutor } from '../../storage/database.js';
import { openTestDatabase, type DatabaseBackend, type TestDatabase } from '../../test-support/databases.js';
import { CredentialVault } from '../../vault/vault.js';
import { HostAuditQueue } from './audit-queue.js';
import type { HostServices } from './types.js';

/**
 * Awaits the rejection of `promise` and returns it as a MifyError.
 * Fails the test when the promise resolves or rejects with another error type.
 */
export async function rejection(promise: Promise<unknown>): Promise<MifyError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MifyError);
  return error as MifyError;
}

/** SQL text and parameters of one `Database.query` call. */
export interface RecordedQuery {
  sql: string;
  params: unknown[];
}

export interface TestHostServicesOptions {
  /** Logger of every service. Default: a silent logger. */
  logger?: Logger;
  /**
   * Array that receives the SQL and parameters of each `query` call made through `services.db`.
   * Without it, `services.db` is `database.db` itself. The vault and `database.db` are never recorded.
   */
  recordedQueries?: RecordedQuery[];
  /** DNS lookup and socket connection of `http.fetch`. Default: none, so the host API uses node:dns and node:net/tls. */
  httpTransport?: HostServices['httpTransport'];
}

export interface TestHostServices {
  /** Empty, migrated database the services use. */
  database: TestDatabase;
  services: HostServices;
  /** Closes the audit queue, the shared state and the database, and drops the PostgreSQL test database. */
  close(): Promise<void>;
}

/** Fixed 32-byte vault key, because test credentials need no secrecy. */
const TEST_VAULT_KEY = Buffer.alloc(32, 7);

/**
 * Opens a test database on `backendName` and builds the host services on it:
 * vault, audit log, in-memory shared state, logger and audit queue, with private network addresses blocked.
 */
export async function createTestHostServices(backendName: DatabaseBackend['name'], options: TestHostServicesOptions = {}): Promise<TestHostServices> {
  const database = await openTestDatabase(backendName);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const auditLog = new AuditLog({ db: database.db, logger });

  const services: HostServices = {
    db: options.recordedQueries ? recordingDatabase(database.db, options.recordedQueries) : database.db,
    vault: new CredentialVault({ db: database.db, logger, auditLog, key: TEST_VAULT_KEY }),
    auditLog,
    sharedState: createMemorySharedState(logger),
    logger,
    config: { allowPrivateNetwork: false },
    auditQueue: new HostAuditQueue(auditLog, logger),
    ...(options.httpTransport ? { httpTransport: options.httpTransport } : {}),
  };

  return {
    database,
    services,
    async close() {
      await services.auditQueue?.close();
      await services.sharedState.close();
      await database.cleanup();
    },
  };
}

/** Pass-through wrapper of `db` that appends each `query` call to `queries` before running it. */
function recordingDatabase(db: Database, queries: RecordedQuery[]): Database {
  return {
    ...db,
    query: async <T>(sql: string, params: unknown[] = []) => {
      queries.push({ sql, params });
      return db.query<T>(sql, params);
    },
    // Queries inside transactions are recorded too, such as vector queries that set hnsw.ef_search locally.
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) =>
      db.transaction((tx) =>
        fn({
          ...tx,
          query: async <R>(sql: string, params: unknown[] = []) => {
            queries.push({ sql, params });
            return tx.query<R>(sql, params);
          },
        }),
      ),
  };
}
