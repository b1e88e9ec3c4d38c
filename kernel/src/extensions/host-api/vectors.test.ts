import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { backendTitle, databaseBackends, type TestDatabase } from '../../test-support/databases.js';
import { createHostBridge } from './bridge.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { HostCallContext, HostServices } from './types.js';

interface Match {
  id: string;
  score: number;
  distance: number;
  metadata: Record<string, unknown>;
  content?: string;
}

describe.each(databaseBackends)('vector host methods on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;
    let database: TestDatabase;
    let services: HostServices;
    let vectorAvailable = false;
    const queries: Array<{ sql: string; params: unknown[] }> = [];

    function bridge(overrides: Partial<HostCallContext> = {}) {
      return createHostBridge({ extensionId: 'acme.rag', permissions: ['vectors:read', 'vectors:write'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent', ...overrides }, services);
    }

    /** Skips a test that needs pgvector on a PostgreSQL server without it. */
    function requireVector(context: TestContext): void {
      if (!vectorAvailable) context.skip('pgvector is not installed on this PostgreSQL server');
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name, { recordedQueries: queries });
      ({ database, services } = host);
      vectorAvailable = await database.db.hasVector();
      if (!vectorAvailable) return;

      const rag = bridge();
      await rag.call('vectors.createCollection', ['docs', { dimensions: 3, metric: 'cosine' }]);
      await rag.call('vectors.upsert', [
        'docs',
        [
          { id: 'same', vector: [1, 0, 0], content: 'exact', metadata: { lang: 'en' } },
          { id: 'near', vector: [0.9, 0.1, 0], metadata: { lang: 'de' } },
          { id: 'orthogonal', vector: [0, 1, 0], metadata: { lang: 'en' } },
          { id: 'opposite', vector: [-1, 0, 0], metadata: { lang: 'en' } },
        ],
      ]);
    });

    afterAll(async () => {
      await host?.close();
    });

    it('creates an HNSW index for the collection', async (context) => {
      requireVector(context);
      const [collection] = await database.db.query<{ id: string }>(`select id from vector_collections where extension_id = 'acme.rag' and name = 'docs'`);
      const indexes = await database.db.query<{ indexname: string; indexdef: string }>(`select indexname, indexdef from pg_indexes where tablename = 'vector_items'`);
      const index = indexes.find((row) => row.indexname === `vector_items_hnsw_${collection!.id.replace(/^vcol_/, '')}`);

      expect(index?.indexdef).toContain('USING hnsw (((embedding)::vector(3)) vector_cosine_ops)');
      expect(index?.indexdef).toContain(`WHERE (collection_id = '${collection!.id}'::text)`);
    });

    it('returns the closest points first by cosine', async (context) => {
      requireVector(context);
      const matches = (await bridge().call('vectors.query', ['docs', { vector: [1, 0, 0], topK: 3 }])) as Match[];

      expect(matches.map((match) => match.id)).toEqual(['same', 'near', 'orthogonal']);
      expect(matches[0]!.score).toBeCloseTo(1, 6);
      expect(matches[2]!.score).toBeCloseTo(0, 6);
      expect(matches[0]!.content).toBe('exact');
      expect(matches[1]).not.toHaveProperty('content');
    });

    it('uses the HNSW index for a query', async (context) => {
      requireVector(context);
      queries.length = 0;
      await bridge().call('vectors.query', ['docs', { vector: [1, 0, 0], topK: 2 }]);
      const select = queries.find((query) => query.sql.startsWith('select id, content'))!;

      // With so few rows a plain scan and sort is cheaper; discouraging them shows whether the HNSW index can serve the query at all.
      const plan = await database.db.transaction(async (tx) => {
        await tx.exec('set local enable_seqscan = off; set local enable_bitmapscan = off; set local enable_sort = off');
        return tx.query<{ 'QUERY PLAN': string }>(`explain ${select.sql}`, select.params);
      });

      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Scan using vector_items_hnsw_[0-9a-f]{32}/);
    });

    it('filters by metadata equality', async (context) => {
      requireVector(context);
      const matches = (await bridge().call('vectors.query', ['docs', { vector: [1, 0, 0], topK: 10, filter: { lang: 'en' } }])) as Match[];

      expect(matches.map((match) => match.id)).toEqual(['same', 'orthogonal', 'opposite']);
    });

    it('rejects a vector of the wrong dimension', async (context) => {
      requireVector(context);
      const upsert = await rejection(bridge().call('vectors.upsert', ['docs', [{ id: 'short', vector: [1, 0] }]]));
      const query = await rejection(bridge().call('vectors.query', ['docs', { vector: [1, 0, 0, 0], topK: 1 }]));

      expect(upsert.code).toBe('invalid_argument');
      expect(upsert.message).toBe(`points.0.vector has 2 dimensions, but vector collection 'docs' has 3. Use the same embedding model as for the collection, or create another collection.`);
      expect(query.message).toContain('query.vector has 4 dimensions');
    });

    it('replaces a point with the same id', async (context) => {
      requireVector(context);
      const rag = bridge();
      await rag.call('vectors.upsert', ['docs', [{ id: 'moving', vector: [0, 0, 1] }]]);
      await rag.call('vectors.upsert', ['docs', [{ id: 'moving', vector: [0, 1, 0] }]]);

      const matches = (await rag.call('vectors.query', ['docs', { vector: [0, 1, 0], topK: 1 }])) as Match[];
      await rag.call('vectors.delete', ['docs', ['moving']]);

      expect(matches[0]!.id === 'moving' || matches[0]!.id === 'orthogonal').toBe(true);
      expect(matches[0]!.score).toBeCloseTo(1, 6);
    });

    it('deletes points and counts them', async (context) => {
      requireVector(context);
      const rag = bridge();
      await rag.call('vectors.upsert', ['docs', [{ id: 'tmp1', vector: [1, 1, 0] }, { id: 'tmp2', vector: [1, 1, 1] }]]);

      expect(await rag.call('vectors.delete', ['docs', ['tmp1', 'tmp2', 'never-there']])).toBe(2);
    });

    it('keeps an existing collection with the same settings', async (context) => {
      requireVector(context);

      await expect(bridge().call('vectors.createCollection', ['docs', { dimensions: 3 }])).resolves.toBeUndefined();
    });

    it('rejects the same name with other settings', async (context) => {
      requireVector(context);
      const error = await rejection(bridge().call('vectors.createCollection', ['docs', { dimensions: 4 }]));

      expect(error.code).toBe('conflict');
      expect(error.message).toContain('already exists with 3 dimensions and metric cosine');
    });

    it('separates workspaces', async (context) => {
      requireVector(context);
      const error = await rejection(bridge({ workspaceId: 'ws_b' }).call('vectors.query', ['docs', { vector: [1, 0, 0], topK: 1 }]));

      expect(error.code).toBe('not_found');
    });

    it('orders by Euclidean distance and inner product', async (context) => {
      requireVector(context);
      const rag = bridge();
      await rag.call('vectors.createCollection', ['euclid', { dimensions: 2, metric: 'l2' }]);
      await rag.call('vectors.createCollection', ['dot', { dimensions: 2, metric: 'inner_product' }]);
      const points = [{ id: 'small', vector: [1, 0] }, { id: 'large', vector: [5, 0] }, { id: 'away', vector: [0, -3] }];
      await rag.call('vectors.upsert', ['euclid', points]);
      await rag.call('vectors.upsert', ['dot', points]);

      const byDistance = (await rag.call('vectors.query', ['euclid', { vector: [1, 0], topK: 3 }])) as Match[];
      const byProduct = (await rag.call('vectors.query', ['dot', { vector: [1, 0], topK: 3 }])) as Match[];

      expect(byDistance.map((match) => match.id)).toEqual(['small', 'away', 'large']);
      expect(byDistance[0]!.score).toBeCloseTo(1, 6);
      expect(byProduct.map((match) => match.id)).toEqual(['large', 'small', 'away']);
      expect(byProduct[0]!.score).toBeCloseTo(5, 6);
    });

    it('deletes a collection with its index', async (context) => {
      requireVector(context);
      const rag = bridge();
      await rag.call('vectors.createCollection', ['short-lived', { dimensions: 2 }]);
      const [collection] = await database.db.query<{ id: string }>(`select id from vector_collections where name = 'short-lived'`);

      expect(await rag.call('vectors.deleteCollection', ['short-lived'])).toBe(true);
      const indexes = await database.db.query(`select 1 from pg_indexes where indexname = $1`, [`vector_items_hnsw_${collection!.id.replace(/^vcol_/, '')}`]);
      expect(indexes).toHaveLength(0);
      expect(await rag.call('vectors.deleteCollection', ['short-lived'])).toBe(false);
    });

    it('reports a missing pgvector', async () => {
      const withoutVector = createHostBridge(
        { extensionId: 'acme.rag', permissions: ['vectors:write'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent' },
        { ...services, db: { ...database.db, hasVector: async () => false } },
      );
      const error = await rejection(withoutVector.call('vectors.createCollection', ['docs', { dimensions: 3 }]));

      expect(error.code).toBe('unavailable');
      expect(error.status).toBe(503);
      expect(error.message).toContain('need the pgvector extension on the PostgreSQL server');
    });
  });
});
