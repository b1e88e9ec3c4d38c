import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

interface Match {
  id: string;
  score: number;
  similarity: number;
  distance: number;
  content?: string;
  metadata: Record<string, unknown>;
  ranks?: { vector: number | null; text: number | null };
}

/** The vector-store API over real HTTP. */
describe.each(databaseBackends)('vector-store API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;
    let vectorAvailable = false;
    let storeId = '';

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t, { workspace: 'Vectors' });
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      vectorAvailable = await t.kernel.services.db.hasVector();
      if (!vectorAvailable) return;

      const created = await t.fetch('/api/vector-stores', { method: 'POST', key, json: { name: 'points', dimensions: 3 } });
      storeId = ((await created.json()) as { id: string }).id;
      await t.fetch(`/api/vector-stores/${storeId}/vectors`, {
        method: 'POST',
        key,
        json: {
          vectors: [
            { id: 'x', vector: [1, 0, 0], content: 'red apples and pears', metadata: { kind: 'fruit' } },
            { id: 'x2', vector: [0.99, 0.01, 0], content: 'red apples again', metadata: { kind: 'fruit' } },
            { id: 'y', vector: [0.7, 0.7, 0], content: 'green pears', metadata: { kind: 'fruit' } },
            { id: 'z', vector: [0, 0, 1], content: 'blue whales swim', metadata: { kind: 'animal' } },
          ],
        },
      });
    });

    afterAll(async () => {
      await t?.close();
    });

    function requireVector(context: TestContext): void {
      if (!vectorAvailable) context.skip('pgvector is not installed on this PostgreSQL server');
    }

    async function query(body: unknown): Promise<{ status: number; matches: Match[]; problem: { detail: string; errors?: Array<{ path: string; message: string }> } }> {
      const response = await t.fetch(`/api/vector-stores/${storeId}/query`, { method: 'POST', key, json: body });
      const json = (await response.json()) as { matches: Match[]; detail: string; errors?: Array<{ path: string; message: string }> };
      return { status: response.status, matches: json.matches, problem: json };
    }

    it('lists no stores without pgvector', async (context) => {
      if (vectorAvailable) context.skip('this database has pgvector');
      const listed = await t.fetch('/api/vector-stores', { key });
      const created = await t.fetch('/api/vector-stores', { method: 'POST', key, json: { name: 'points', dimensions: 3 } });

      expect(await listed.json()).toEqual({ items: [] });
      expect(created.status).toBe(503);
    });

    it('gets and lists store with count', async (context) => {
      requireVector(context);
      const store = (await (await t.fetch(`/api/vector-stores/${storeId}`, { key })).json()) as Record<string, unknown>;
      const listed = (await (await t.fetch('/api/vector-stores', { key })).json()) as { items: Array<Record<string, unknown>> };

      expect(store).toMatchObject({ id: storeId, name: 'points', dimensions: 3, metric: 'cosine', count: 4 });
      expect(listed.items).toEqual([store]);
    });

    it('queries by similarity', async (context) => {
      requireVector(context);
      const result = await query({ vector: [1, 0, 0], topK: 2 });

      expect(result.matches.map((match) => match.id)).toEqual(['x', 'x2']);
      expect(result.matches[0]!.similarity).toBeCloseTo(1, 6);
      expect(result.matches[0]!.content).toBe('red apples and pears');
    });

    it('diversifies by MMR', async (context) => {
      requireVector(context);
      const result = await query({ vector: [1, 0, 0], topK: 2, mode: 'mmr', lambda: 0.5 });

      expect(result.matches.map((match) => match.id)).toEqual(['x', 'y']);
    });

    it('fuses full-text and vector ranks', async (context) => {
      requireVector(context);
      // Two vector candidates leave the whale out of the vector list; full-text search finds it.
      const result = await query({ vector: [1, 0, 0], topK: 3, mode: 'hybrid', text: 'whales', candidates: 2 });

      expect(result.matches.map((match) => match.id)).toEqual(['x', 'z', 'x2']);
      expect(result.matches[1]!.ranks).toEqual({ vector: null, text: 1 });
      expect(result.matches[0]!.ranks).toEqual({ vector: 1, text: null });
    });

    it('filters by metadata', async (context) => {
      requireVector(context);
      const result = await query({ vector: [1, 0, 0], topK: 5, filter: { kind: 'animal' } });

      expect(result.matches.map((match) => match.id)).toEqual(['z']);
    });

    it('rejects hybrid without text', async (context) => {
      requireVector(context);
      const result = await query({ vector: [1, 0, 0], mode: 'hybrid' });

      expect(result.status).toBe(422);
      expect(result.problem.errors).toContainEqual({ path: 'body.text', message: 'is required when mode is "hybrid": the words to search for with full-text search' });
    });

    it('rejects vector of wrong dimension', async (context) => {
      requireVector(context);
      const upsert = await t.fetch(`/api/vector-stores/${storeId}/vectors`, { method: 'POST', key, json: { vectors: [{ id: 'bad', vector: [1, 0] }] } });
      const result = await query({ vector: [1, 0], topK: 1 });

      expect(upsert.status).toBe(422);
      expect(((await upsert.json()) as { detail: string }).detail).toBe("points.0.vector has 2 dimensions, but vector collection 'points' has 3. Use the same embedding model as for the collection, or create another collection.");
      expect(result.status).toBe(422);
    });

    it('rejects too many dimensions', async (context) => {
      requireVector(context);
      const created = await t.fetch('/api/vector-stores', { method: 'POST', key, json: { name: 'huge', dimensions: 16_001 } });

      expect(created.status).toBe(422);
      expect(((await created.json()) as { errors: Array<{ path: string }> }).errors).toContainEqual(expect.objectContaining({ path: 'body.dimensions' }));
    });

    it('rejects a duplicate name', async (context) => {
      requireVector(context);
      const created = await t.fetch('/api/vector-stores', { method: 'POST', key, json: { name: 'points', dimensions: 3 } });

      expect(created.status).toBe(409);
    });

    it('rejects topK over 100', async (context) => {
      requireVector(context);
      const result = await query({ vector: [1, 0, 0], topK: 101 });

      expect(result.status).toBe(422);
      expect(result.problem.errors).toContainEqual(expect.objectContaining({ path: 'body.topK' }));
    });

    it('rejects over 1,000 vectors per request', async (context) => {
      requireVector(context);
      const vectors = Array.from({ length: 1_001 }, (_, index) => ({ id: `v${index}`, vector: [1, 0, 0] }));
      const upsert = await t.fetch(`/api/vector-stores/${storeId}/vectors`, { method: 'POST', key, json: { vectors } });

      expect(upsert.status).toBe(422);
      expect(((await upsert.json()) as { errors: Array<{ path: string }> }).errors).toContainEqual(expect.objectContaining({ path: 'body.vectors' }));
    });

    it('rejects more than 500 candidates', async (context) => {
      requireVector(context);
      const result = await query({ vector: [1, 0, 0], mode: 'mmr', candidates: 501 });

      expect(result.status).toBe(422);
      expect(result.problem.errors).toContainEqual(expect.objectContaining({ path: 'body.candidates' }));
    });

    it('deletes vectors and the store', async (context) => {
      requireVector(context);
      const created = (await (await t.fetch('/api/vector-stores', { method: 'POST', key, json: { name: 'temp', dimensions: 2, metric: 'l2' } })).json()) as { id: string };
      await t.fetch(`/api/vector-stores/${created.id}/vectors`, { method: 'POST', key, json: { vectors: [{ id: 'a', vector: [0, 1] }, { id: 'b', vector: [1, 0] }] } });
      const deleted = await t.fetch(`/api/vector-stores/${created.id}/vectors/delete`, { method: 'POST', key, json: { ids: ['a', 'missing'] } });

      expect(await deleted.json()).toEqual({ deleted: 1 });
      expect((await t.fetch(`/api/vector-stores/${created.id}`, { method: 'DELETE', key })).status).toBe(204);
      expect((await t.fetch(`/api/vector-stores/${created.id}`, { key })).status).toBe(404);
    });
  });
});
