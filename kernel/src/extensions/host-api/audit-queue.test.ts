import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../../audit/audit-log.js';
import { createLogger } from '../../logger.js';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../../test-support/databases.js';
import { HostAuditQueue } from './audit-queue.js';

describe.each(databaseBackends)('host audit queue on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let database: TestDatabase;
    let auditLog: AuditLog;
    const logger = createLogger({ level: 'silent' });

    beforeAll(async () => {
      database = await openTestDatabase(backend.name);
      auditLog = new AuditLog({ db: database.db, logger });
    });

    afterAll(async () => {
      await database?.cleanup();
    });

    beforeEach(async () => {
      await database.db.query('delete from audit_log');
    });

    async function stored(): Promise<Array<{ action: string; target: string | null; details: unknown; at: Date }>> {
      return database.db.query('select action, target, details, at from audit_log order by id');
    }

    const entry = (index: number): AuditEntry => ({ workspaceId: null, actorType: 'extension', actorId: 'acme.notes', action: `host.call${index}`, target: `target-${index}`, details: { index } });

    it('writes a batch in call order', async () => {
      const queue = new HostAuditQueue(auditLog, logger, { flushIntervalMs: 60_000 });
      const before = Date.now();
      for (let index = 0; index < 250; index++) queue.enqueue(entry(index));
      await queue.flush();

      const rows = await stored();
      expect(rows.map((row) => row.action)).toEqual(Array.from({ length: 250 }, (_value, index) => `host.call${index}`));
      expect(rows[7]).toMatchObject({ target: 'target-7', details: { index: 7 } });
      expect(new Date(rows[0]!.at).getTime()).toBeGreaterThanOrEqual(before - 1_000);
      await queue.close();
    });

    it('writes many entries in one statement', async () => {
      await auditLog.recordMany([entry(1), { ...entry(2), target: undefined, details: undefined }]);

      const rows = await stored();
      expect(rows.map((row) => [row.action, row.target, row.details])).toEqual([
        ['host.call1', 'target-1', { index: 1 }],
        ['host.call2', null, null],
      ]);
    });

    it('keeps valid entries of a failed batch', async () => {
      const queue = new HostAuditQueue(auditLog, logger, { flushIntervalMs: 60_000 });
      queue.enqueue(entry(1));
      // actor_id is not null in the table, so this row fails, and the batch falls back to single rows.
      queue.enqueue({ ...entry(2), actorId: null as unknown as string });
      queue.enqueue(entry(3));
      await queue.flush();

      expect((await stored()).map((row) => row.action)).toEqual(['host.call1', 'host.call3']);
      await queue.close();
    });
  });
});
