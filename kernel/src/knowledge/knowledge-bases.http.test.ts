import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { MAX_CHUNKS_PER_INGEST, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_INGEST } from './limits.js';

interface Problem {
  type: string;
  code: string;
  detail: string;
  errors?: Array<{ path: string; message: string }>;
}

interface SearchBody {
  results: Array<{ chunkId: string; documentId: string; score: number; similarity: number; text: string; metadata: Record<string, unknown>; ranks?: { vector: number | null; text: number | null }; rerankScore?: number }>;
}

const MANUAL = `# Lighthouse manual

The lighthouse keeper logs every ship that passes.

## Lamp

The lamp turns every twelve seconds. Replace the bulb when it flickers.

## Fog horn

Sound the fog horn twice a minute when visibility drops below one mile.
`;

/** Writes a one-page PDF with an uncompressed content stream and returns it as base64. */
function pdfBase64(text: string): string {
  const content = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const body = objects.map((object, index) => `${index + 1} 0 obj\n${object}\nendobj\n`).join('');
  return Buffer.from(`%PDF-1.4\n${body}trailer\n<< /Root 1 0 R >>\n%%EOF\n`, 'latin1').toString('base64');
}

/** The knowledge-base API over real HTTP, with the mify.rag extension loaded from extensions/rag/dist. */
describe.each(databaseBackends)('knowledge-base API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;
    let viewerKey: string;
    let vectorAvailable = false;

    beforeAll(async () => {
      // A larger body limit lets the document-size limit itself be reached.
      t = await startTestKernel(backend.name, { env: { MIFY_BODY_LIMIT_BYTES: String(12 * 1024 * 1024) } });
      const owner = await setupOwner(t, { workspace: 'Knowledge' });
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      viewerKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'viewer', role: 'viewer' } })).json()) as { key: string }).key;
      vectorAvailable = await t.kernel.services.db.hasVector();

      const rag = (await t.kernel.services.extensionHost.list()).find((extension: { id: string }) => extension.id === 'mify.rag');
      if (rag?.state !== 'active') throw new Error(`mify.rag is not active in the test kernel (${JSON.stringify(rag)}); build it with pnpm run build in extensions/rag.`);
    });

    afterAll(async () => {
      await t?.close();
    });

    function requireVector(context: TestContext): void {
      if (!vectorAvailable) context.skip('pgvector is not installed on this PostgreSQL server');
    }

    async function post<T>(path: string, json: unknown, apiKey = key): Promise<{ status: number; body: T; contentType: string | null }> {
      const response = await t.fetch(path, { method: 'POST', key: apiKey, json });
      return { status: response.status, body: (await response.json()) as T, contentType: response.headers.get('content-type') };
    }

    async function createBase(name: string, extra: Record<string, unknown> = {}): Promise<string> {
      const created = await post<{ id: string }>('/api/knowledge-bases', { name, ...extra });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id;
    }

    it('reports missing pgvector clearly', async (context) => {
      if (vectorAvailable) context.skip('this database has pgvector');
      const created = await post<Problem>('/api/knowledge-bases', { name: 'x' });

      expect(created.status).toBe(503);
      expect(created.body.detail).toContain('need the pgvector extension');
    });

    it('creates base with local embedder', async (context) => {
      requireVector(context);
      const created = await post<Record<string, unknown>>('/api/knowledge-bases', { name: 'Defaults' });

      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'Defaults',
        embedding: { provider: 'mify-local', model: 'hashed-ngrams-v1', dimensions: 512 },
        chunking: { strategy: 'recursive', chunkSize: 1000, chunkOverlap: 150 },
        metric: 'cosine',
        documentCount: 0,
        chunkCount: 0,
      });
    });

    it('rejects a duplicate name', async (context) => {
      requireVector(context);
      await createBase('Twice');
      const again = await post<Problem>('/api/knowledge-bases', { name: 'Twice' });

      expect(again.status).toBe(409);
      expect(again.body.detail).toContain("A knowledge base named 'Twice' already exists");
    });

    it('rejects overlap over half chunk', async () => {
      const created = await post<Problem>('/api/knowledge-bases', { name: 'Bad chunking', chunking: { chunkSize: 100, chunkOverlap: 80 } });

      expect(created.status).toBe(422);
      expect(created.contentType).toContain('application/problem+json');
      expect(created.body.errors).toContainEqual(expect.objectContaining({ path: 'body.chunking.chunkOverlap' }));
    });

    it('rejects an unknown embedding provider', async (context) => {
      requireVector(context);
      const created = await post<Problem>('/api/knowledge-bases', { name: 'Unknown provider', embedding: { provider: 'nowhere', model: 'm' } });

      expect(created.status).toBe(404);
      expect(created.body.detail).toContain("no active extension contributes a embed provider 'nowhere'");
    });

    it('ingests and searches every media type', async (context) => {
      requireVector(context);
      const id = await createBase('Mixed', { chunking: { strategy: 'markdown', chunkSize: 200, chunkOverlap: 20 } });

      const ingested = await post<{ documents: Array<{ id: string; status: string; chunkCount: number; chunkIds: string[]; mediaType: string }>; chunkCount: number }>(`/api/knowledge-bases/${id}/ingest`, {
        documents: [
          { id: 'manual', mediaType: 'text/markdown', text: MANUAL, metadata: { team: 'keepers' } },
          { id: 'page', mediaType: 'text/html', text: '<html><head><title>Harbour</title></head><body><h1>Harbour fees</h1><p>Mooring costs forty euros per night.</p></body></html>' },
          { id: 'tides', mediaType: 'text/csv', text: 'day,high tide\nMonday,06:10\nTuesday,06:55' },
          { id: 'report', mediaType: 'application/pdf', base64: pdfBase64('The annual inspection found the stairs rusty.') },
          { id: 'note', mediaType: 'text/plain', text: 'Radio check happens at noon on channel sixteen.' },
        ],
      });

      expect(ingested.status, JSON.stringify(ingested.body)).toBe(200);
      expect(ingested.body.documents.map((document) => [document.id, document.status, document.mediaType])).toEqual([
        ['manual', 'created', 'text/markdown'],
        ['page', 'created', 'text/html'],
        ['tides', 'created', 'text/csv'],
        ['report', 'created', 'application/pdf'],
        ['note', 'created', 'text/plain'],
      ]);
      expect(ingested.body.documents[0]!.chunkIds).toEqual(Array.from({ length: ingested.body.documents[0]!.chunkCount }, (_, position) => `manual#${position}`));

      const questions: Array<[string, string]> = [
        ['How often does the lamp turn?', 'manual'],
        ['What does mooring cost per night?', 'page'],
        ['When is high tide on Tuesday?', 'tides'],
        ['What did the annual inspection find?', 'report'],
        ['Which radio channel is checked at noon?', 'note'],
      ];
      for (const mode of ['similarity', 'mmr', 'hybrid']) {
        for (const [query, documentId] of questions) {
          const found = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query, mode, topK: 3 });
          expect(found.status).toBe(200);
          expect(found.body.results[0]?.documentId, `${mode}: ${query}`).toBe(documentId);
          expect(found.body.results[0]!.chunkId).toMatch(new RegExp(`^${documentId}#\\d+$`));
          expect(found.body.results[0]!.text.length).toBeGreaterThan(0);
        }
      }
    });

    it('returns results with ids, scores, text', async (context) => {
      requireVector(context);
      const id = await createBase('Shape');
      await post(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'manual', mediaType: 'text/markdown', text: MANUAL }] });
      const found = await post<SearchBody & { query: string; mode: string }>(`/api/knowledge-bases/${id}/search`, { query: 'fog horn visibility', mode: 'hybrid', topK: 1 }, viewerKey);

      expect(found.status).toBe(200);
      expect(found.body.query).toBe('fog horn visibility');
      expect(found.body.mode).toBe('hybrid');
      expect(found.body.results).toHaveLength(1);
      expect(found.body.results[0]).toMatchObject({ chunkId: 'manual#0', documentId: 'manual', text: expect.stringContaining('fog horn'), metadata: { documentId: 'manual', position: 0 } });
      expect(found.body.results[0]!.ranks).toEqual({ vector: 1, text: 1 });
      expect(found.body.results[0]!.score).toBeGreaterThan(0);
      expect(found.body.results[0]!.similarity).toBeGreaterThan(0);
    });

    it('filters search by metadata', async (context) => {
      requireVector(context);
      const id = await createBase('Filters');
      await post(`/api/knowledge-bases/${id}/ingest`, {
        documents: [
          { id: 'a', mediaType: 'text/plain', text: 'Boats must carry life jackets.', metadata: { region: 'north' } },
          { id: 'b', mediaType: 'text/plain', text: 'Boats must carry life jackets and flares.', metadata: { region: 'south' } },
        ],
      });
      const south = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'life jackets', topK: 5, filters: { region: 'south' } });
      const byDocument = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'life jackets', topK: 5, filters: { documentId: 'a' } });

      expect(south.body.results.map((result) => result.chunkId)).toEqual(['b#0']);
      expect(byDocument.body.results.map((result) => result.chunkId)).toEqual(['a#0']);
    });

    it('diversifies results with MMR', async (context) => {
      requireVector(context);
      const id = await createBase('Diverse');
      const copies = Array.from({ length: 4 }, (_, index) => ({ id: `copy${index}`, mediaType: 'text/plain', text: `Anchors hold the boat in place during storms. Copy ${index}.` }));
      await post(`/api/knowledge-bases/${id}/ingest`, { documents: [...copies, { id: 'other', mediaType: 'text/plain', text: 'Storms bring high waves; check the anchors and the sails.' }] });

      const similar = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'anchors hold boat storms', mode: 'similarity', topK: 2 });
      const diverse = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'anchors hold boat storms', mode: 'mmr', topK: 2, lambda: 0.3 });

      expect(similar.body.results.map((result) => result.documentId).every((documentId) => documentId.startsWith('copy'))).toBe(true);
      expect(diverse.body.results.map((result) => result.documentId)).toContain('other');
    });

    it('reranks with the local reranker', async (context) => {
      requireVector(context);
      const id = await createBase('Rerank');
      await post(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'manual', mediaType: 'text/markdown', text: MANUAL, }], chunking: { strategy: 'markdown', chunkSize: 120, chunkOverlap: 0 } });
      const found = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'replace the bulb when it flickers', topK: 3, rerank: true });

      expect(found.status).toBe(200);
      expect(found.body.results[0]!.text).toContain('Replace the bulb');
      expect(found.body.results[0]!.rerankScore).toBe(found.body.results[0]!.score);
      expect(found.body.results[0]!.score).toBeGreaterThanOrEqual(found.body.results[1]!.score);
    });

    it('skips unchanged, replaces changed documents', async (context) => {
      requireVector(context);
      const id = await createBase('Versions', { chunking: { strategy: 'recursive', chunkSize: 60, chunkOverlap: 0 } });
      const long = Array.from({ length: 6 }, (_, index) => `Sentence number ${index} about buoys.`).join(' ');
      const first = await post<{ documents: Array<{ status: string; chunkCount: number }> }>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'doc', mediaType: 'text/plain', text: long }] });
      const same = await post<{ documents: Array<{ status: string; chunkCount: number }> }>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'doc', mediaType: 'text/plain', text: long }] });
      const shorter = await post<{ documents: Array<{ status: string; chunkCount: number }> }>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'doc', mediaType: 'text/plain', text: 'Buoys are now red.' }] });
      const found = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'buoys', topK: 10 });
      const base = (await (await t.fetch(`/api/knowledge-bases/${id}`, { key })).json()) as { documentCount: number; chunkCount: number };

      expect(first.body.documents[0]!.chunkCount).toBeGreaterThan(1);
      expect(same.body.documents[0]!.status).toBe('unchanged');
      expect(shorter.body.documents[0]).toMatchObject({ status: 'updated', chunkCount: 1 });
      expect(found.body.results.map((result) => result.chunkId)).toEqual(['doc#0']);
      expect(base).toMatchObject({ documentCount: 1, chunkCount: 1 });
    });

    it('lists and deletes documents and bases', async (context) => {
      requireVector(context);
      const id = await createBase('Lifecycle');
      await post(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'one', name: 'One', mediaType: 'text/plain', text: 'first' }, { id: 'two', mediaType: 'text/plain', text: 'second' /* no name: the first line of plain text is its title */ }] });

      const documents = (await (await t.fetch(`/api/knowledge-bases/${id}/documents`, { key })).json()) as { items: Array<{ id: string; name: string; chunkCount: number }> };
      expect(documents.items.map((document) => [document.id, document.name, document.chunkCount])).toEqual([['one', 'One', 1], ['two', 'second', 1]]);

      expect((await t.fetch(`/api/knowledge-bases/${id}/documents/one`, { method: 'DELETE', key })).status).toBe(204);
      const left = await post<SearchBody>(`/api/knowledge-bases/${id}/search`, { query: 'first second', topK: 5 });
      expect(left.body.results.map((result) => result.documentId)).toEqual(['two']);

      const listed = (await (await t.fetch('/api/knowledge-bases', { key })).json()) as { items: Array<{ id: string }> };
      expect(listed.items.map((base) => base.id)).toContain(id);
      expect((await t.fetch(`/api/knowledge-bases/${id}`, { method: 'DELETE', key })).status).toBe(204);
      expect((await t.fetch(`/api/knowledge-bases/${id}`, { key })).status).toBe(404);
      const collections = await t.kernel.services.db.query(`select id from vector_collections where name = $1`, [id]);
      expect(collections).toEqual([]);
    });

    it('forbids a viewer to ingest', async (context) => {
      requireVector(context);
      const id = await createBase('Viewer');
      const response = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ mediaType: 'text/plain', text: 'x' }] }, viewerKey);

      expect(response.status).toBe(403);
    });

    describe('limits and bad input', () => {
      let id = '';

      beforeAll(async () => {
        if (vectorAvailable) id = await createBase('Limits', { chunking: { strategy: 'fixed', chunkSize: 50, chunkOverlap: 0 } });
      });

      it('rejects topK over 100', async (context) => {
        requireVector(context);
        const found = await post<Problem>(`/api/knowledge-bases/${id}/search`, { query: 'x', topK: 101 });

        expect(found.status).toBe(422);
        expect(found.body.errors).toContainEqual(expect.objectContaining({ path: 'body.topK', message: 'must be at most 100; ask for fewer results, or page through them with filters' }));
      });

      it('rejects too many documents', async (context) => {
        requireVector(context);
        const documents = Array.from({ length: MAX_DOCUMENTS_PER_INGEST + 1 }, () => ({ mediaType: 'text/plain', text: 'x' }));
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents });

        expect(ingested.status).toBe(422);
        expect(ingested.body.errors).toContainEqual(expect.objectContaining({ path: 'body.documents', message: `may contain at most ${MAX_DOCUMENTS_PER_INGEST} documents; send the rest in further requests` }));
      });

      it('rejects document over size limit', async (context) => {
        requireVector(context);
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'big', mediaType: 'text/plain', text: 'a'.repeat(MAX_DOCUMENT_BYTES + 1) }] });

        expect(ingested.status).toBe(422);
        expect(ingested.body.detail).toBe(`documents.0 is ${MAX_DOCUMENT_BYTES + 1} bytes; the maximum is ${MAX_DOCUMENT_BYTES} bytes (5 MiB). Split the document into smaller ones.`);
      });

      it('rejects chunk overflow, stores nothing', async (context) => {
        requireVector(context);
        const text = 'word '.repeat((MAX_CHUNKS_PER_INGEST * 50) / 5 + 100);
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ id: 'small', mediaType: 'text/plain', text: 'fits' }, { id: 'huge', mediaType: 'text/plain', text }] });
        const documents = (await (await t.fetch(`/api/knowledge-bases/${id}/documents`, { key })).json()) as { items: unknown[] };

        expect(ingested.status).toBe(422);
        expect(ingested.body.detail).toBe(`The documents make more than ${MAX_CHUNKS_PER_INGEST} chunks (limit reached at documents.1). Send fewer documents per request, or raise chunking.chunkSize.`);
        expect(documents.items).toEqual([]);
      });

      it('rejects an unsupported media type', async (context) => {
        requireVector(context);
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ mediaType: 'image/png', base64: 'iVBORw0KGgo=' }] });

        expect(ingested.status).toBe(415);
        expect(ingested.contentType).toContain('application/problem+json');
        expect(ingested.body.detail).toContain("documents.0: Media type 'image/png' is not supported");
      });

      it('rejects invalid base64', async (context) => {
        requireVector(context);
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ mediaType: 'application/pdf', base64: 'not base64!' }] });

        expect(ingested.status).toBe(422);
        expect(ingested.body.detail).toContain('documents.0.base64 is not valid base64');
      });

      it('rejects document with text and base64', async (context) => {
        requireVector(context);
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ mediaType: 'text/plain', text: 'a', base64: 'YQ==' }] });

        expect(ingested.status).toBe(422);
        expect(ingested.body.errors).toContainEqual(expect.objectContaining({ path: 'body.documents.0', message: 'must have exactly one of text or base64' }));
      });

      it('rejects a broken PDF', async (context) => {
        requireVector(context);
        const ingested = await post<Problem>(`/api/knowledge-bases/${id}/ingest`, { documents: [{ mediaType: 'application/pdf', base64: Buffer.from('hello').toString('base64') }] });

        expect(ingested.status).toBe(422);
        expect(ingested.body.code).toBe('invalid_document');
        expect(ingested.body.detail).toContain('not a PDF');
      });

      it('unknown knowledge base returns 404', async () => {
        const found = await post<Problem>('/api/knowledge-bases/kb_missing/search', { query: 'x' });

        expect(found.status).toBe(404);
        expect(found.body.detail).toBe("Knowledge base 'kb_missing' was not found.");
      });
    });
  });
});
