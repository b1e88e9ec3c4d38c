import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { writePdf } from './support/pdf-writer.js';

/** The extension folder, holding mify.extension.json and the built dist/index.js (pnpm run build). */
const FOLDER = fileURLToPath(new URL('..', import.meta.url));

const GUIDE = `# Widget guide

Widgets are small reusable parts.

## Installing

Run the installer with --global to install widgets for every user. The installer needs network access.

## Configuring

Set WIDGET_COLOR to change the colour. The default colour is blue.

## Removing

Run the uninstaller; it keeps your configuration files.
`;

/** The nodes in the production isolate sandbox, with the real host API over PGlite with pgvector. */
describe('rag nodes in the sandbox', () => {
  let harness: TestHarness;

  beforeAll(async () => {
    harness = await createTestHarness({ folder: FOLDER });
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function ingest(collection: string, documents: Array<{ json: Record<string, unknown> }>, chunkSize = 120) {
    const parsed = (await harness.runNode('mify.rag.parse', { items: documents })).main!;
    const chunks = (await harness.runNode('mify.rag.chunk', { items: parsed, parameters: { strategy: 'markdown', chunkSize, chunkOverlap: 0 } })).main!;
    const embedded = (await harness.runNode('mify.rag.embed', { items: chunks })).main!;
    const stored = (await harness.runNode('mify.rag.store', { items: embedded, parameters: { collection } })).main!;
    return { parsed, chunks, embedded, stored };
  }

  it('parses, chunks, embeds and stores', async () => {
    const { chunks, embedded, stored } = await ingest('guide', [{ json: { documentId: 'guide', mediaType: 'text/markdown', text: GUIDE } }]);

    expect(chunks.map((chunk) => chunk.json.chunkId)).toEqual(chunks.map((_, position) => `guide#${position}`));
    expect(chunks.find((chunk) => String(chunk.json.text).includes('WIDGET_COLOR'))!.json.headings).toEqual(['Widget guide', 'Configuring']);
    expect((embedded[0]!.json.embedding as number[]).length).toBe(512);
    expect(stored[0]!.json).toMatchObject({ collection: 'guide', stored: chunks.length, deleted: 0, dimensions: 512, documents: ['guide'] });
  });

  it('retrieves the right section by each mode', async () => {
    for (const mode of ['similarity', 'mmr', 'hybrid']) {
      const [item] = (await harness.runNode('mify.rag.retrieve', { items: [{ json: { query: 'How do I change the colour of widgets?' } }], parameters: { collection: 'guide', mode, topK: 2 } })).main!;
      const chunks = item!.json.chunks as Array<{ chunkId: string; text: string; documentId: string }>;

      expect(chunks[0]!.text, mode).toContain('WIDGET_COLOR');
      expect(chunks[0]!.documentId, mode).toBe('guide');
    }
  });

  it('reports ranks in hybrid mode', async () => {
    const [item] = (await harness.runNode('mify.rag.retrieve', { items: [{ json: { query: 'uninstaller configuration files' } }], parameters: { collection: 'guide', mode: 'hybrid', topK: 3 } })).main!;
    const first = (item!.json.chunks as Array<{ ranks: { vector: number | null; text: number | null }; text: string }>)[0]!;

    expect(first.text).toContain('uninstaller');
    expect(first.ranks.text).toBe(1);
  });

  it('replaces a shorter new version without stale chunks', async () => {
    const long = { json: { documentId: 'notes', mediaType: 'text/plain', text: Array.from({ length: 8 }, (_, index) => `Note number ${index} says something.`).join('\n\n') } };
    const first = await ingest('notes', [long], 60);
    const second = await ingest('notes', [{ json: { documentId: 'notes', mediaType: 'text/plain', text: 'Only one short note now.' } }], 60);

    expect(first.chunks.length).toBeGreaterThan(2);
    expect(second.stored[0]!.json.deleted).toBe(first.chunks.length - 1);
    const [item] = (await harness.runNode('mify.rag.retrieve', { items: [{ json: { query: 'note' } }], parameters: { collection: 'notes', topK: 10 } })).main!;
    expect(item!.json.chunkIds).toEqual(['notes#0']);
  });

  it('filters by metadata', async () => {
    await ingest('mixed', [
      { json: { documentId: 'en', mediaType: 'text/plain', text: 'Install the widget with the installer.', metadata: { lang: 'en' } } },
      { json: { documentId: 'de', mediaType: 'text/plain', text: 'Install the widget with the installer, auf Deutsch.', metadata: { lang: 'de' } } },
    ]);
    const [item] = (await harness.runNode('mify.rag.retrieve', { items: [{ json: { query: 'install widget' } }], parameters: { collection: 'mixed', topK: 5, filter: { lang: 'de' } } })).main!;

    expect(item!.json.chunkIds).toEqual(['de#0']);
  });

  it('reranks and answers with chunk ids', async () => {
    const retrieved = (await harness.runNode('mify.rag.retrieve', { items: [{ json: { query: 'Does the uninstaller keep configuration files?' } }], parameters: { collection: 'guide', topK: 4 } })).main!;
    const reranked = (await harness.runNode('mify.rag.rerank', { items: retrieved, parameters: { topN: 2 } })).main!;
    const [answer] = (await harness.runNode('mify.rag.answer', { items: reranked, parameters: { maxSentences: 1 } })).main!;
    const removing = (reranked[0]!.json.chunks as Array<{ chunkId: string; text: string; rerankScore: number }>)[0]!;

    expect((reranked[0]!.json.chunks as unknown[]).length).toBe(2);
    expect(removing.text).toContain('uninstaller');
    expect(answer!.json.answer).toBe('Run the uninstaller; it keeps your configuration files.');
    expect(answer!.json.chunkIds).toEqual([removing.chunkId]);
  });

  it('parses a PDF from a binary property', async () => {
    const pdf = writePdf([{ content: 'BT /F1 12 Tf 72 720 Td (Quarterly report) Tj 0 -14 Td (Revenue grew.) Tj ET' }], { compress: true });
    const [item] = (await harness.runNode('mify.rag.parse', { items: [{ json: {}, binary: { data: { mimeType: 'application/pdf', fileName: 'report.pdf', data: Buffer.from(pdf).toString('base64') } } }] })).main!;

    expect(item!.json).toMatchObject({ mediaType: 'application/pdf', name: 'report.pdf', text: 'Quarterly report\nRevenue grew.', pageCount: 1 });
    expect(item!.json.documentId).toMatch(/^doc-[0-9a-f]{16}$/);
  });

  it('parses CSV into rows', async () => {
    const [item] = (await harness.runNode('mify.rag.parse', { items: [{ json: { mediaType: 'text/csv', text: 'city,country\nLisbon,Portugal\nOslo,Norway' } }] })).main!;

    expect(item!.json.rows).toEqual([{ city: 'Lisbon', country: 'Portugal' }, { city: 'Oslo', country: 'Norway' }]);
    expect(item!.json.text).toBe('city: Lisbon; country: Portugal\ncity: Oslo; country: Norway');
  });

  it('reports an unreadable document when asked', async () => {
    const [item] = (await harness.runNode('mify.rag.parse', { items: [{ json: { documentId: 'bad', mediaType: 'application/pdf', base64: Buffer.from('not a pdf').toString('base64') } }], parameters: { onError: 'report' } })).main!;

    expect(item!.json).toEqual({ documentId: 'bad', error: { code: 'invalid_argument', message: expect.stringContaining('not a PDF') } });
  });

  it('fails the step for an unsupported media type', async () => {
    await expect(harness.runNode('mify.rag.parse', { items: [{ json: { mediaType: 'image/png', text: 'x' } }] })).rejects.toThrow(/Media type 'image\/png' is not supported/);
  });

  it('names the missing query field', async () => {
    await expect(harness.runNode('mify.rag.retrieve', { items: [{ json: { question: 'x' } }], parameters: { collection: 'guide' } })).rejects.toThrow("Item 0 has no field 'query'. Set parameter 'queryField' to the field that contains the text.");
  });

  it('rejects an unknown local model', async () => {
    await expect(harness.runNode('mify.rag.embed', { items: [{ json: { text: 'x' } }], parameters: { model: 'bigger' } })).rejects.toThrow("Provider 'mify-local' has only the model 'hashed-ngrams-v1', not 'bigger'.");
  });
});
