import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../test-support/databases.js';
import { DirectRunStore, RunSaveQueue } from './direct-run-store.js';

const WORKSPACE = 'ws_saves';

describe.each(databaseBackends)('saving direct runs on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let database: TestDatabase;
    let queue: RunSaveQueue;

    beforeAll(async () => {
      database = await openTestDatabase(backend.name);
      await database.db.query('insert into workspaces (id, slug, name) values ($1, $1, $1)', [WORKSPACE]);
      queue = new RunSaveQueue({ db: database.db, logger: createLogger({ level: 'silent' }) });
    });

    afterAll(async () => {
      await database?.cleanup();
    });

    /** Creates a succeeded direct run whose records stay in a store of its own. */
    async function finishedRun(id: string): Promise<DirectRunStore> {
      const store = new DirectRunStore(database.db);
      await store.createRun(
        { id, workspaceId: WORKSPACE, graphId: null, versionId: null, parentRunId: null, depth: 0, mode: 'endpoint', rigor: 'audited', input: { name: id }, createdBy: null },
        { graph: { nodes: [] }, inputItems: [], rootRunId: id, parentStepKey: null },
      );
      await store.markRunning(id, new Date(), null, { id: 1, type: 'run.started', data: {} });
      await store.finishRun(id, { status: 'succeeded', output: [{ json: { greeting: `Hello, ${id}!` } }], error: null, usage: {}, finishedAt: new Date() }, { id: 2, type: 'run.finished', data: { status: 'succeeded' } });
      return store;
    }

    async function savedRuns(ids: string[]): Promise<Array<{ id: string; status: string; events: number }>> {
      return database.db.query<{ id: string; status: string; events: number }>(
        'select r.id, r.status, (select count(*)::int from run_events e where e.run_id = r.id) as events from runs r where r.id = any($1::text[]) order by r.id',
        [ids],
      );
    }

    it('writes runs that end together in one statement', async () => {
      const ids = ['run_group_a', 'run_group_b', 'run_group_c'];
      const stores = await Promise.all(ids.map(finishedRun));
      const query = vi.spyOn(database.db, 'query');
      try {
        await Promise.all(stores.map((store) => queue.save(store)));
        expect(query).toHaveBeenCalledTimes(1);
      } finally {
        query.mockRestore();
      }

      expect(await savedRuns(ids)).toEqual(ids.map((id) => ({ id, status: 'succeeded', events: 2 })));
    });

    it('writes a lone run at once', async () => {
      const store = await finishedRun('run_lone');

      await queue.save(store);

      expect(await savedRuns(['run_lone'])).toEqual([{ id: 'run_lone', status: 'succeeded', events: 2 }]);
    });

    it('rejects only the saves of a failed statement', async () => {
      const duplicate = await finishedRun('run_lone');
      const fresh = await finishedRun('run_after_failure');

      await expect(queue.save(duplicate)).rejects.toThrow(/runs_pkey|duplicate key/);
      await queue.save(fresh);

      expect(await savedRuns(['run_after_failure'])).toEqual([{ id: 'run_after_failure', status: 'succeeded', events: 2 }]);
    });
  });
});
