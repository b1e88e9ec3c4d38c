import { z } from 'zod';
import { MAX_FILTER_KEYS, MAX_VECTOR_METADATA_BYTES, vectorFilter } from '../extensions/host-api/vectors.js';
import { storableJson } from '../extensions/host-api/arguments.js';
import { MAX_DOCUMENTS_PER_INGEST, MAX_QUERY_CHARS } from './limits.js';
import { MAX_RETRIEVAL_CANDIDATES, MAX_TOP_K } from './vector-store.js';

/** The local embedder of the mify.rag extension: the default, because it needs no provider. */
export const LOCAL_EMBEDDING = { provider: 'mify-local', model: 'hashed-ngrams-v1' } as const;

export const MIN_CHUNK_SIZE = 50;
export const MAX_CHUNK_SIZE = 20_000;

export const chunkingSchema = z
  .strictObject({
    strategy: z.enum(['fixed', 'recursive', 'markdown']).default('recursive').describe('fixed windows, recursive splits at paragraphs/lines/sentences/words, or markdown sections first'),
    chunkSize: z.number().int().min(MIN_CHUNK_SIZE).max(MAX_CHUNK_SIZE).default(1_000).describe(`Maximum characters per chunk, ${MIN_CHUNK_SIZE}-${MAX_CHUNK_SIZE}`),
    chunkOverlap: z.number().int().min(0).max(MAX_CHUNK_SIZE / 2).default(150).describe('Characters repeated from the previous chunk, at most half of chunkSize'),
  })
  .refine((chunking) => chunking.chunkOverlap <= chunking.chunkSize / 2, { path: ['chunkOverlap'], message: 'must be at most half of chunkSize; lower chunkOverlap or raise chunkSize' });

export const createKnowledgeBaseSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('Unique within the workspace'),
  description: z.string().max(2_000).default(''),
  embedding: z
    .strictObject({
      provider: z.string().min(1).max(100).describe('Embedding provider id; mify-local is the built-in embedder'),
      model: z.string().min(1).max(200),
      credential: z.string().min(1).max(200).optional().describe('Credential reference (id or name) for the provider'),
    })
    .default({ ...LOCAL_EMBEDDING })
    .describe('Embedder of every chunk and query; default the local hashed n-gram embedder'),
  chunking: chunkingSchema.default({ strategy: 'recursive', chunkSize: 1_000, chunkOverlap: 150 }),
  metric: z.enum(['cosine', 'l2', 'inner_product']).default('cosine'),
});
export type CreateKnowledgeBaseInput = z.output<typeof createKnowledgeBaseSchema>;

const documentSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,199}$/, 'must be 1-200 letters, digits or _ . : / @ - and start with a letter or digit')
      .optional()
      .describe('Document id; chunk ids are <id>#<position>. Default: a hash of the content'),
    name: z.string().min(1).max(500).optional(),
    mediaType: z.string().min(1).max(200).describe('text/plain, text/markdown, text/html, application/pdf or text/csv'),
    text: z.string().optional().describe('The document as text (not for PDF)'),
    base64: z.string().optional().describe('The document bytes as base64'),
    metadata: z.record(z.string(), z.json()).superRefine(storableJson(MAX_VECTOR_METADATA_BYTES / 2)).optional().describe('Copied into every chunk; filterable in search'),
  })
  .refine((document) => (document.text === undefined) !== (document.base64 === undefined), { message: 'must have exactly one of text or base64' });

export const ingestSchema = z.strictObject({
  documents: z.array(documentSchema).min(1).max(MAX_DOCUMENTS_PER_INGEST, `may contain at most ${MAX_DOCUMENTS_PER_INGEST} documents; send the rest in further requests`).describe(`1-${MAX_DOCUMENTS_PER_INGEST} documents`),
  chunking: chunkingSchema.optional().describe("Overrides the knowledge base's chunking for these documents"),
});
export type IngestInput = z.output<typeof ingestSchema>;

export const searchSchema = z.strictObject({
  query: z.string().trim().min(1).max(MAX_QUERY_CHARS),
  mode: z.enum(['similarity', 'mmr', 'hybrid']).default('similarity'),
  topK: z.number().int().min(1).max(MAX_TOP_K, `must be at most ${MAX_TOP_K}; ask for fewer results, or page through them with filters`).default(5).describe(`1-${MAX_TOP_K}`),
  filters: vectorFilter.optional().describe(`Metadata keys (such as documentId) and the JSON values they must equal, at most ${MAX_FILTER_KEYS}`),
  lambda: z.number().min(0).max(1).optional().describe('MMR trade-off: 1 relevance only, 0 diversity only; default 0.5'),
  candidates: z.number().int().min(1).max(MAX_RETRIEVAL_CANDIDATES).optional(),
  rerank: z.boolean().default(false).describe('Reorder the results with the local lexical reranker of mify.rag'),
});
export type SearchInput = z.output<typeof searchSchema>;

export const knowledgeBaseSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  description: z.string(),
  embedding: z.object({ provider: z.string(), model: z.string(), dimensions: z.number().int(), credential: z.string().optional() }),
  chunking: z.object({ strategy: z.string(), chunkSize: z.number().int(), chunkOverlap: z.number().int() }),
  metric: z.string(),
  documentCount: z.number().int(),
  chunkCount: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const documentRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  mediaType: z.string(),
  contentSha256: z.string(),
  sizeBytes: z.number().int(),
  chunkCount: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const searchResultSchema = z.object({
  chunkId: z.string(),
  documentId: z.string().nullable(),
  score: z.number().describe('Ranking score of the mode (or the rerank score when rerank is on); higher first'),
  similarity: z.number(),
  text: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  ranks: z.object({ vector: z.number().nullable(), text: z.number().nullable() }).optional(),
  rerankScore: z.number().optional(),
});
