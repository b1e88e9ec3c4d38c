import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { openTestDatabase, type TestDatabase } from '../test-support/databases.js';
import { BaselineService, NO_BASELINE_TTL_MS } from './baselines.js';

/** Finding that graphs have no baseline, on embedded PostgreSQL with a clock the test moves. */
describe('BaselineService without a baseline', () => {
  let database: TestDatabase;
  let service: BaselineService;
  let lookups: () => number;
  let query: ReturnType<typeof vi.spyOn<TestDatabase['db'], 'query'>>;
  let unspiedQuery: TestDatabase['db']['query'];
  let clock = 0;

  beforeEach(async () => {
    database = await openTestDatabase('pglite');
    clock = 1_000_000;
    const runService = { get: vi.fn(), waitFor: vi.fn() };
    service = new BaselineService({ db: database.db, logger: createLogger({ level: 'silent' }), graphService: { get: vi.fn() }, runService, now: () => clock });
    unspiedQuery = database.db.query.bind(database.db);
    query = vi.spyOn(database.db, 'query');
    lookups = () => query.mock.calls.filter(([sql]) => sql.includes('from graph_baselines')).length;
  });

  afterEach(async () => {
    await database.cleanup();
  });

  it('looks a graph up once per interval', async () => {
    expect(await service.compareRun('ws_1', 'graph_1', 'run_1')).toBeNull();
    expect(await service.compareRun('ws_1', 'graph_1', 'run_2')).toBeNull();
    expect(lookups()).toBe(1);

    clock += NO_BASELINE_TTL_MS;
    expect(await service.compareRun('ws_1', 'graph_1', 'run_3')).toBeNull();
    expect(lookups()).toBe(2);
  });

  it('keeps graphs apart', async () => {
    await service.compareRun('ws_1', 'graph_1', 'run_1');
    await service.compareRun('ws_1', 'graph_2', 'run_2');
    await service.compareRun('ws_2', 'graph_1', 'run_3');

    expect(lookups()).toBe(3);
  });

  it('looks up again after a change elsewhere', async () => {
    await service.compareRun('ws_1', 'graph_1', 'run_1');

    service.forgetMissing();
    await service.compareRun('ws_1', 'graph_1', 'run_2');

    expect(lookups()).toBe(2);
  });

  it('remembers nothing when a change comes during the lookup', async () => {
    query.mockImplementationOnce(async (sql, params) => {
      service.forgetMissing();
      return unspiedQuery(sql, params);
    });
    await service.compareRun('ws_1', 'graph_1', 'run_1');

    await service.compareRun('ws_1', 'graph_1', 'run_2');

    expect(lookups()).toBe(2);
  });
});
