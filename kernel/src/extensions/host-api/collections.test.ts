import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../storage/database.js';
import { backendTitle, databaseBackends, type TestDatabase } from '../../test-support/databases.js';
import { createHostBridge } from './bridge.js';
import { collectionIndexName, ensureCollectionIndexes } from './collection-indexes.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { CollectionDeclaration, HostCallContext, HostServices } from './types.js';

interface Document {
  id: string;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

interface Page {
  data: Document[];
  nextCursor: string | null;
}

const COLLECTIONS: CollectionDeclaration[] = [
  { name: 'tasks', indexes: [{ fields: ['status'] }, { fields: ['priority'] }, { fields: ['owner.id', 'status'] }, { fields: ['title'] }] },
  { name: 'users', indexes: [{ fields: ['email'], unique: true }] },
  { name: 'pairs', indexes: [{ fields: ['a', 'b'], unique: true }] },
  { name: 'notes' },
];

describe.each(databaseBackends)('collections host methods on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;
    let database: TestDatabase;
    let services: HostServices;
    /** SQL and parameters of every query, recorded by a pass-through wrapper of the database. */
    const queries: Array<{ sql: string; params: unknown[] }> = [];

    function bridge(overrides: Partial<HostCallContext> = {}) {
      return createHostBridge(
        { extensionId: 'acme.tasks', permissions: ['collections:read', 'collections:write'], workspaceId: 'ws_a', collections: COLLECTIONS, dataDir: '/nonexistent', ...overrides },
        services,
      );
    }

    async function find(query: Record<string, unknown>, overrides: Partial<HostCallContext> = {}): Promise<Page> {
      return (await bridge(overrides).call('collections.find', ['tasks', query])) as Page;
    }

    async function findAll(query: Record<string, unknown>): Promise<Document[]> {
      const documents: Document[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await find({ ...query, ...(cursor === null ? {} : { cursor }) });
        documents.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return documents;
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name, { recordedQueries: queries });
      ({ database, services } = host);
      await ensureCollectionIndexes(database.db, 'acme.tasks', COLLECTIONS);

      const tasks = bridge();
      const statuses = ['open', 'done', 'blocked'];
      for (let number = 1; number <= 25; number += 1) {
        const data: Record<string, unknown> = { title: `Task ${number}`, status: statuses[number % 3], owner: { id: `u${number % 4}` } };
        // Every fifth task has no priority, to check the order of missing fields.
        if (number % 5 !== 0) data.priority = number;
        await tasks.call('collections.put', ['tasks', { id: `t${String(number).padStart(2, '0')}`, data }]);
      }
    });

    afterAll(async () => {
      await host?.close();
    });

    describe('indexes', () => {
      it('creates one partial expression index per declaration', async () => {
        const rows = await database.db.query<{ indexname: string; indexdef: string }>(`select indexname, indexdef from pg_indexes where tablename = 'extension_documents' and indexname like 'extension_documents\\_%' order by indexname`);
        const statusIndex = rows.find((row) => row.indexname === collectionIndexName('acme.tasks', 'tasks', { fields: ['status'] }));

        expect(rows.filter((row) => row.indexdef.includes(`'acme.tasks'`))).toHaveLength(6);
        expect(statusIndex?.indexdef).toContain(`(data #> '{status}'::text[])`);
        expect(statusIndex?.indexdef).toContain(`WHERE ((extension_id = 'acme.tasks'::text) AND (collection = 'tasks'::text))`);
      });

      it('creates unique indexes as unique', async () => {
        const rows = await database.db.query<{ indexdef: string }>(`select indexdef from pg_indexes where indexname = $1`, [collectionIndexName('acme.tasks', 'users', { fields: ['email'], unique: true })]);

        expect(rows[0]?.indexdef).toMatch(/^CREATE UNIQUE INDEX/);
      });

      it('is idempotent', async () => {
        const again = await ensureCollectionIndexes(database.db, 'acme.tasks', COLLECTIONS);

        expect(again).toHaveLength(6);
      });

      it('serves a filter and sort from the declared index', async () => {
        queries.length = 0;
        await find({ where: { status: 'open' }, orderBy: [{ field: 'priority' }], limit: 5 });
        const select = queries.find((query) => query.sql.startsWith('select id, data'))!;

        const plan = await database.db.transaction(async (tx) => {
          await tx.exec('set local enable_seqscan = off');
          return tx.query<{ 'QUERY PLAN': string }>(`explain ${select.sql}`, select.params);
        });
        const text = plan.map((row) => row['QUERY PLAN']).join('\n');

        expect(text).toMatch(/Index (Only )?Scan using extension_documents_[0-9a-f]{40}/);
      });

      it('rejects an invalid field path in a declaration', async () => {
        const error = await rejection(ensureCollectionIndexes(database.db, 'acme.tasks', [{ name: 'bad', indexes: [{ fields: [`a'); drop table users; --`] }] }]));

        expect(error.message).toContain('collections.0.indexes.0.fields.0');
      });
    });

    describe('documents', () => {
      it('round-trips a document', async () => {
        const notes = bridge();
        const stored = (await notes.call('collections.put', ['notes', { id: 'n1', data: { text: "it's fine", nested: { a: [1, 2] } } }])) as Document;
        const read = (await notes.call('collections.get', ['notes', 'n1'])) as Document;

        expect(read.data).toEqual({ text: "it's fine", nested: { a: [1, 2] } });
        expect(read.createdAt).toBe(stored.createdAt);
      });

      it('generates an id when none is given', async () => {
        const stored = (await bridge().call('collections.put', ['notes', { data: { text: 'no id' } }])) as Document;

        expect(stored.id).toMatch(/^doc_[0-9a-f]{32}$/);
      });

      it('returns null for a missing document', async () => {
        expect(await bridge().call('collections.get', ['notes', 'missing'])).toBeNull();
      });

      it('deletes a document', async () => {
        const notes = bridge();
        await notes.call('collections.put', ['notes', { id: 'temp', data: {} }]);

        expect(await notes.call('collections.delete', ['notes', 'temp'])).toBe(true);
        expect(await notes.call('collections.delete', ['notes', 'temp'])).toBe(false);
      });

      it('separates workspaces', async () => {
        expect(await bridge({ workspaceId: 'ws_b' }).call('collections.get', ['notes', 'n1'])).toBeNull();
      });

      it('rejects an undeclared collection', async () => {
        const error = await rejection(bridge().call('collections.get', ['secrets', 'x']));

        expect(error.code).toBe('not_found');
        expect(error.message).toBe(`Extension 'acme.tasks' has no collection 'secrets'. Declared collections: tasks, users, pairs, notes. Declare it under "collections" in mify.extension.json.`);
      });

      it('rejects a document that is not an object', async () => {
        const error = await rejection(bridge().call('collections.put', ['notes', { data: [1, 2] }]));

        expect(error.code).toBe('invalid_argument');
      });
    });

    describe('unique indexes', () => {
      it('rejects a second document with the same value', async () => {
        const users = bridge();
        await users.call('collections.put', ['users', { id: 'u1', data: { email: 'ada@example.com' } }]);
        const error = await rejection(users.call('collections.put', ['users', { id: 'u2', data: { email: 'ada@example.com' } }]));

        expect(error.code).toBe('conflict');
        expect(error.status).toBe(409);
        expect(error.message).toContain(`unique index on (email), and document 'u1' already has the same values`);
      });

      it('allows updating the same document', async () => {
        const users = bridge();
        await users.call('collections.put', ['users', { id: 'u3', data: { email: 'grace@example.com' } }]);

        await expect(users.call('collections.put', ['users', { id: 'u3', data: { email: 'grace@example.com', name: 'Grace' } }])).resolves.toMatchObject({ id: 'u3' });
      });

      it('allows the same value in another workspace', async () => {
        await bridge({ workspaceId: 'ws_b' }).call('collections.put', ['users', { id: 'u1', data: { email: 'ada@example.com' } }]);

        expect(await bridge({ workspaceId: 'ws_b' }).call('collections.get', ['users', 'u1'])).not.toBeNull();
      });

      it('compares JSON types, so 1 and "1" differ', async () => {
        const pairs = bridge();
        await pairs.call('collections.put', ['pairs', { id: 'p1', data: { a: 1, b: 'x' } }]);

        await expect(pairs.call('collections.put', ['pairs', { id: 'p2', data: { a: '1', b: 'x' } }])).resolves.toMatchObject({ id: 'p2' });
        expect((await rejection(pairs.call('collections.put', ['pairs', { id: 'p3', data: { a: 1, b: 'x' } }]))).code).toBe('conflict');
      });

      it('maps a duplicate caught by the index to a conflict', async () => {
        // Hiding the rows the check looks for simulates a concurrent writer, so only the index detects the duplicate.
        const racing: Database = {
          ...database.db,
          transaction: (fn) =>
            database.db.transaction((tx) =>
              fn({ ...tx, query: async <T>(sql: string, params?: unknown[]) => (sql.startsWith('select id from extension_documents') ? [] : tx.query<T>(sql, params)) }),
            ),
        };
        await bridge().call('collections.put', ['users', { id: 'r1', data: { email: 'race@example.com' } }]);
        const racer = createHostBridge(
          { extensionId: 'acme.tasks', permissions: ['collections:write'], workspaceId: 'ws_a', collections: COLLECTIONS, dataDir: '/nonexistent' },
          { ...services, db: racing },
        );

        const error = await rejection(racer.call('collections.put', ['users', { id: 'r2', data: { email: 'race@example.com' } }]));

        expect(error.code).toBe('conflict');
        expect(error.message).toContain('unique index on (email)');
      });
    });

    describe('find', () => {
      it('filters by an indexed field', async () => {
        const page = await find({ where: { status: 'blocked' } });

        expect(page.data.map((document) => document.id)).toEqual(['t02', 't05', 't08', 't11', 't14', 't17', 't20', 't23']);
      });

      it('filters by a dotted path', async () => {
        const page = await find({ where: { 'owner.id': 'u1', status: 'open' } });

        expect(page.data.map((document) => document.id)).toEqual(['t09', 't21']);
      });

      it('compares numbers as numbers', async () => {
        const page = await find({ where: { priority: { gte: 9, lt: 12 } }, orderBy: { field: 'priority' } });

        expect(page.data.map((document) => document.data.priority)).toEqual([9, 11]);
      });

      it('filters with in, ne and prefix', async () => {
        const inPage = await find({ where: { priority: { in: [1, 2, 99] } } });
        const nePage = await find({ where: { status: { ne: 'open' }, 'owner.id': 'u0' } });
        const prefixPage = await find({ where: { title: { prefix: 'Task 2' } } });

        expect(inPage.data.map((document) => document.id)).toEqual(['t01', 't02']);
        expect(nePage.data.map((document) => document.id)).toEqual(['t04', 't08', 't16', 't20']);
        expect(prefixPage.data.map((document) => document.id)).toEqual(['t02', 't20', 't21', 't22', 't23', 't24', 't25']);
      });

      it('binds values instead of splicing them into SQL', async () => {
        const page = await find({ where: { title: `x' or '1'='1` } });

        expect(page.data).toEqual([]);
      });

      it('rejects a filter on an undeclared field', async () => {
        const error = await rejection(find({ where: { secret: 'x' } }));

        expect(error.code).toBe('invalid_argument');
        expect(error.message).toBe(
          `collections.find cannot filter on field 'secret' of collection 'tasks', because no declared index contains it. Indexed fields: status, priority, owner.id, title. Add an index on 'secret' to the collection in mify.extension.json.`,
        );
      });

      it('rejects a sort on an undeclared field', async () => {
        const error = await rejection(find({ orderBy: [{ field: 'createdBy', direction: 'desc' }] }));

        expect(error.message).toContain(`cannot sort on field 'createdBy'`);
      });

      it('rejects a field path that is not an identifier', async () => {
        const error = await rejection(find({ where: { "status') or true --": 'x' } }));

        expect(error.code).toBe('invalid_argument');
      });

      it('rejects a limit over 1000', async () => {
        const error = await rejection(find({ limit: 1001 }));

        expect(error.message).toContain('query.limit');
      });

      it('pages by id without a sort', async () => {
        const all = await findAll({ limit: 7 });

        expect(all.map((document) => document.id)).toEqual(Array.from({ length: 25 }, (_, index) => `t${String(index + 1).padStart(2, '0')}`));
      });

      it('pages in ascending order with missing fields last', async () => {
        const all = await findAll({ orderBy: [{ field: 'priority', direction: 'asc' }], limit: 4 });
        const priorities = all.map((document) => document.data.priority ?? null);

        expect(priorities).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19, 21, 22, 23, 24, null, null, null, null, null]);
        expect(all.slice(-5).map((document) => document.id)).toEqual(['t05', 't10', 't15', 't20', 't25']);
      });

      it('pages in descending order with missing fields first', async () => {
        const all = await findAll({ orderBy: [{ field: 'priority', direction: 'desc' }], limit: 3 });

        expect(all.slice(0, 5).map((document) => document.id)).toEqual(['t25', 't20', 't15', 't10', 't05']);
        expect(all.slice(5).map((document) => document.data.priority)).toEqual([24, 23, 22, 21, 19, 18, 17, 16, 14, 13, 12, 11, 9, 8, 7, 6, 4, 3, 2, 1]);
      });

      it('pages by two sort keys', async () => {
        const all = await findAll({ orderBy: [{ field: 'status', direction: 'asc' }, { field: 'priority', direction: 'desc' }], where: { 'owner.id': { in: ['u1', 'u2'] } }, limit: 2 });
        const expected = [...all].sort((a, b) => {
          const byStatus = String(a.data.status).localeCompare(String(b.data.status));
          if (byStatus !== 0) return byStatus;
          const pa = (a.data.priority as number | undefined) ?? Number.POSITIVE_INFINITY;
          const pb = (b.data.priority as number | undefined) ?? Number.POSITIVE_INFINITY;
          return pb - pa;
        });

        expect(all).toHaveLength(13);
        expect(new Set(all.map((document) => document.id)).size).toBe(13);
        expect(all.map((document) => document.id)).toEqual(expected.map((document) => document.id));
      });

      it('rejects a cursor from another order', async () => {
        const page = await find({ orderBy: [{ field: 'priority' }], limit: 2 });
        const error = await rejection(find({ orderBy: [{ field: 'status' }], cursor: page.nextCursor }));

        expect(error.message).toContain('different orderBy');
      });

      it('rejects a forged cursor', async () => {
        const error = await rejection(find({ cursor: 'not-a-cursor' }));

        expect(error.message).toContain('not a cursor returned by collections.find');
      });
    });
  });
});
