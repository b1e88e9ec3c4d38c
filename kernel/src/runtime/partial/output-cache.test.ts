import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../../test-support/databases.js';
import { NodeOutputCache } from './output-cache.js';

/** Items whose JSON is exactly `bytes` long: `[{"json":{"s":"xxx…"}}]` has 19 bytes around the string. */
function itemsOfBytes(bytes: number) {
  return [{ json: { s: 'x'.repeat(bytes - 19) } }];
}

describe.each(databaseBackends)('node output cache on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let database: TestDatabase;
    let cache: NodeOutputCache;

    beforeAll(async () => {
      database = await openTestDatabase(backend.name);
      for (const workspace of ['ws_a', 'ws_b']) {
        await database.db.query('insert into workspaces (id, slug, name) values ($1, $1, $1)', [workspace]);
        await database.db.query(`insert into graphs (id, workspace_id, name, draft) values ($1, $2, 'g', '{}'::jsonb)`, [`graph_${workspace}`, workspace]);
      }
      cache = new NodeOutputCache({ db: database.db, logger: createLogger({ level: 'silent' }), limits: { maxOutputBytes: 10_000, maxWorkspaceBytes: 250 } });
    });

    afterAll(async () => {
      await database?.cleanup();
    });

    const store = (workspace: string, nodeId: string) => {
      const items = itemsOfBytes(100);
      return cache.store(workspace, `graph_${workspace}`, [{ nodeId, contentKey: `key-${nodeId}`, items, bytes: JSON.stringify(items).length }]);
    };
    const pause = () => new Promise((resolve) => setTimeout(resolve, 15));

    it('evicts the least recently used outputs past the workspace cap', async () => {
      await store('ws_a', 'one');
      await pause();
      await store('ws_a', 'two');
      await pause();
      expect((await cache.lookup('ws_a', 'graph_ws_a', [{ nodeId: 'one', contentKey: 'key-one' }])).size).toBe(1);
      await pause();
      await store('ws_a', 'three');

      const left = await cache.lookup('ws_a', 'graph_ws_a', ['one', 'two', 'three'].map((nodeId) => ({ nodeId, contentKey: `key-${nodeId}` })));

      expect([...left.keys()].sort()).toEqual(['one', 'three']);
      expect(await cache.usage('ws_a')).toEqual({ entries: 2, bytes: 200 });
    });

    it('keeps workspaces apart in lookups, caps and clearing', async () => {
      await store('ws_b', 'one');

      expect((await cache.lookup('ws_a', 'graph_ws_b', [{ nodeId: 'one', contentKey: 'key-one' }])).size).toBe(0);
      expect(await cache.clear('ws_a')).toBe(2);
      expect(await cache.usage('ws_b')).toEqual({ entries: 1, bytes: 100 });
    });
  });
});
