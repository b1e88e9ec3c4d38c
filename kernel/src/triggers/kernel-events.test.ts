import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../test-support/databases.js';
import { EventTriggerService } from './event-triggers.js';
import { type KernelEvent, KernelEventStore } from './kernel-events.js';

/** Batched dispatch of kernel events, on a migrated database of each back end. */
describe.each(databaseBackends)('kernel event batches on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let database: TestDatabase;
    let store: KernelEventStore;

    const pendingIds = async () => (await database.db.query<{ id: string }>('select id from kernel_events where dispatched_at is null order by id')).map((row) => row.id);

    beforeEach(async () => {
      database = await openTestDatabase(backend.name);
      store = new KernelEventStore(database.db);
      for (const workspace of ['ws_a', 'ws_b']) await database.db.query(`insert into workspaces (id, slug, name) values ($1, $1, $1)`, [workspace]);
      for (const [id, workspaceId] of [['evt_1', 'ws_a'], ['evt_2', 'ws_b'], ['evt_3', 'ws_a']] as const) {
        await store.record(database.db, { id, workspaceId, type: 'schedule.fired', data: { scheduleId: `sched_${id}` } });
      }
    });

    afterEach(async () => {
      await database.cleanup();
    });

    it('hands over one batch and marks it', async () => {
      const batches: string[][] = [];

      const dispatched = await store.dispatchPending(50, async (events) => {
        batches.push(events.map((event) => event.id));
      });

      expect(dispatched).toBe(3);
      expect(batches).toEqual([['evt_1', 'evt_2', 'evt_3']]);
      expect(await pendingIds()).toEqual([]);
    });

    it('claims at most the limit', async () => {
      const dispatched = await store.dispatchPending(2, async () => {});

      expect(dispatched).toBe(2);
      expect(await pendingIds()).toEqual(['evt_3']);
    });

    it('leaves a failed batch pending', async () => {
      const failing = async () => {
        throw new Error('dispatch failed');
      };

      await expect(store.dispatchPending(50, failing)).rejects.toThrow('dispatch failed');

      expect(await pendingIds()).toEqual(['evt_1', 'evt_2', 'evt_3']);
    });

    it('reads triggers once per workspace', async () => {
      const triggers = new EventTriggerService({ db: database.db, logger: createLogger({ level: 'silent' }), graphRuns: () => ({ start: vi.fn() }) });
      const query = vi.spyOn(database.db, 'query');
      const failed: string[] = [];

      await store.dispatchPending(50, (events: KernelEvent[]) => triggers.dispatch(events, (event) => failed.push(event.id)));
      const triggerReads = query.mock.calls.filter(([sql]) => sql.includes('from graph_versions'));

      expect(triggerReads.map(([, params]) => params![0])).toEqual(['ws_a', 'ws_b']);
      expect(failed).toEqual([]);
    });
  });
});
