import { createHash } from 'node:crypto';
import { newId } from '../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError, ValidationError } from '../errors.js';
import type { ExtensionHost } from '../extensions/host.js';
import type { LlmGateway } from '../llm/gateway.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import type { CreateKnowledgeBaseInput, IngestInput, SearchInput } from './knowledge-base-schemas.js';
import { EMBED_BATCH_SIZE, MAX_CHUNKS_PER_INGEST, MAX_DOCUMENT_BYTES, MAX_KNOWLEDGE_BASES_PER_WORKSPACE } from './limits.js';
import { MAX_VECTOR_DIMENSIONS, type VectorCollection, type VectorMetric, type VectorNamespace, type VectorStore } from './vector-store.js';

/** Owner of knowledge-base vector collections in `vector_collections`. The `@` prefix keeps it apart from extension ids. */
export const KNOWLEDGE_BASE_OWNER = '@knowledge-bases';

/** Id of the extension whose parse, chunk and rerank nodes process knowledge-base documents. */
export const RAG_EXTENSION_ID = 'mify.rag';

/** Caller name in the LLM gateway's logs for embeddings the kernel requests. */
const GATEWAY_CALLER = 'kernel:knowledge-bases';

/** Maximum points per upsert statement. */

const UPSERT_BATCH = 500;

export interface KnowledgeBase {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  embedding: { provider: string; model: string; dimensions: number; credential?: string };
  chunking: { strategy: string; chunkSize: number; chunkOverlap: number };
  metric: VectorMetric;
  documentCount: number;
  chunkCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface KnowledgeBaseDocument {
  id: string;
  name: string;
  mediaType: string;
  contentSha256: string;
  sizeBytes: number;
  chunkCount: number;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface IngestedDocument {
  id: string;
  name: string;
  mediaType: string;
  /** `unchanged`: same content and chunking as stored, so nothing was re-embedded. */
  status: 'created' | 'updated' | 'unchanged';
  chunkCount: number;
  chunkIds: string[];
  warnings: string[];
}

export interface SearchResult {
  chunkId: string;
  documentId: string | null;
  score: number;
  similarity: number;
  text: string;
  metadata: Record<string, unknown>;
  ranks?: { vector: number | null; text: number | null };
  rerankScore?: number;
}

interface KnowledgeBaseRow {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  embedding: KnowledgeBase['embedding'];
  chunking: KnowledgeBase['chunking'];
  metric: VectorMetric;
  collection_id: string;
  created_at: Date;
  updated_at: Date;
  document_count?: string | number;
  chunk_count?: string | number;
}

interface DocumentRow {
  id: string;
  name: string;
  media_type: string;
  content_sha256: string;
  size_bytes: number;
  chunk_count: number;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

interface ChunkItem {
  chunkId: string;
  documentId: string;
  position: number;
  text: string;
  headings: string[];
}

function toKnowledgeBase(row: KnowledgeBaseRow): KnowledgeBase {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    description: row.description,
    embedding: row.embedding,
    chunking: row.chunking,
    metric: row.metric,
    documentCount: Number(row.document_count ?? 0),
    chunkCount: Number(row.chunk_count ?? 0),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toDocument(row: DocumentRow): KnowledgeBaseDocument {
  return {
    id: row.id,
    name: row.name,
    mediaType: row.media_type,
    contentSha256: row.content_sha256,
    sizeBytes: Number(row.size_bytes),
    chunkCount: Number(row.chunk_count),
    metadata: row.metadata,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

const SELECT_KNOWLEDGE_BASE = `select kb.*,
  (select count(*) from knowledge_base_documents d where d.knowledge_base_id = kb.id) as document_count,
  (select coalesce(sum(d.chunk_count), 0) from knowledge_base_documents d where d.knowledge_base_id = kb.id) as chunk_count
  from knowledge_bases kb`;

/**
 * Knowledge bases: documents of a workspace parsed and chunked by the mify.rag extension's
 * nodes, embedded through the LLM gateway (by default with mify.rag's local embedder), and
 * stored as points of one vector collection per knowledge base. Every query is scoped by
 * workspace.
 */
export class KnowledgeBaseService {
  constructor(
    private readonly deps: {
      db: Database;
      logger: Logger;
      vectors: VectorStore;
      gateway: () => Pick<LlmGateway, 'call'>;
      extensionHost: () => Pick<ExtensionHost, 'invoke'>;
    },
  ) {}

  private namespace(workspaceId: string): VectorNamespace {
    return { owner: KNOWLEDGE_BASE_OWNER, workspaceKey: workspaceId };
  }

  async create(workspaceId: string, input: CreateKnowledgeBaseInput): Promise<KnowledgeBase> {
    await this.deps.vectors.requireVector();
    const existing = await this.deps.db.query<{ count: string | number }>(`select count(*) as count from knowledge_bases where workspace_id = $1`, [workspaceId]);
    if (Number(existing[0]?.count ?? 0) >= MAX_KNOWLEDGE_BASES_PER_WORKSPACE) {
      throw new ConflictError(`The workspace has ${MAX_KNOWLEDGE_BASES_PER_WORKSPACE} knowledge bases, the maximum allowed. Delete one you no longer need first.`, { limit: MAX_KNOWLEDGE_BASES_PER_WORKSPACE });
    }
    const duplicate = await this.deps.db.query(`select id from knowledge_bases where workspace_id = $1 and name = $2`, [workspaceId, input.name]);
    if (duplicate.length > 0) throw new ConflictError(`A knowledge base named '${input.name}' already exists in this workspace. Choose another name, or ingest into the existing one.`, { name: input.name });

    // A probe embedding checks provider and model now and gives the collection's dimensions.
    const [probe] = await this.embed(workspaceId, input.embedding, ['dimension probe']);
    const dimensions = probe!.length;
    if (dimensions < 1 || dimensions > MAX_VECTOR_DIMENSIONS) {
      throw new ValidationError(`Model '${input.embedding.model}' returns ${dimensions} dimensions, but vector collections support 1 to ${MAX_VECTOR_DIMENSIONS}. Choose another model.`, [{ path: 'embedding.model', message: `returns ${dimensions} dimensions` }]);
    }

    const id = newId('kb');
    const embedding = { ...input.embedding, dimensions };
    await this.deps.db.transaction(async (tx) => {
      const collection = await this.deps.vectors.createCollection(this.namespace(workspaceId), id, { dimensions, metric: input.metric }, tx);
      await tx.query(
        `insert into knowledge_bases (id, workspace_id, name, description, embedding, chunking, metric, collection_id) values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8)`,
        [id, workspaceId, input.name, input.description, JSON.stringify(embedding), JSON.stringify(input.chunking), input.metric, collection.id],
      );
    });
    this.deps.logger.info({ workspaceId, knowledgeBaseId: id, provider: embedding.provider, model: embedding.model, dimensions }, 'knowledge base created');
    return this.get(workspaceId, id);
  }

  async list(workspaceId: string): Promise<KnowledgeBase[]> {
    const rows = await this.deps.db.query<KnowledgeBaseRow>(`${SELECT_KNOWLEDGE_BASE} where kb.workspace_id = $1 order by kb.created_at, kb.id`, [workspaceId]);
    return rows.map(toKnowledgeBase);
  }

  async get(workspaceId: string, id: string): Promise<KnowledgeBase> {
    return toKnowledgeBase(await this.findRow(workspaceId, id));
  }

  private async findRow(workspaceId: string, id: string): Promise<KnowledgeBaseRow> {
    const rows = await this.deps.db.query<KnowledgeBaseRow>(`${SELECT_KNOWLEDGE_BASE} where kb.workspace_id = $1 and kb.id = $2`, [workspaceId, id]);
    if (!rows[0]) throw new NotFoundError('Knowledge base', id);
    return rows[0];
  }

  private async collection(workspaceId: string, id: string): Promise<VectorCollection> {
    return this.deps.vectors.findCollection(this.namespace(workspaceId), id);
  }

  /** Deletes a knowledge base with its documents, chunks and index. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.findRow(workspaceId, id);
    const collection = await this.collection(workspaceId, id).catch(() => null);
    await this.deps.db.transaction(async (tx) => {
      if (collection) await this.deps.vectors.deleteCollection(collection, tx);
      await tx.query(`delete from knowledge_bases where workspace_id = $1 and id = $2`, [workspaceId, id]);
    });
    this.deps.logger.info({ workspaceId, knowledgeBaseId: id }, 'knowledge base deleted');
  }

  async listDocuments(workspaceId: string, id: string): Promise<KnowledgeBaseDocument[]> {
    await this.findRow(workspaceId, id);
    const rows = await this.deps.db.query<DocumentRow>(`select * from knowledge_base_documents where knowledge_base_id = $1 order by id`, [id]);
    return rows.map(toDocument);
  }

  /** Deletes one document and its chunks. */
  async deleteDocument(workspaceId: string, id: string, documentId: string): Promise<void> {
    await this.findRow(workspaceId, id);
    const collection = await this.collection(workspaceId, id);
    await this.deps.db.transaction(async (tx) => {
      const deleted = await tx.query(`delete from knowledge_base_documents where knowledge_base_id = $1 and id = $2 returning id`, [id, documentId]);
      if (deleted.length === 0) throw new NotFoundError('Document', documentId);
      await this.deps.vectors.deletePointsWhere(collection, 'documentId', documentId, tx);
    });
  }

  /**
   * Parses, chunks, embeds and stores documents. A document whose id exists is replaced (its
   * old chunks deleted), unless its content and chunking are unchanged. All documents are
   * parsed and chunked before anything is stored, so a bad document or the chunk limit
   * rejects the whole request and changes nothing.
   */
  async ingest(workspaceId: string, id: string, input: IngestInput): Promise<{ documents: IngestedDocument[]; chunkCount: number }> {
    const knowledgeBase = toKnowledgeBase(await this.findRow(workspaceId, id));
    const collection = await this.collection(workspaceId, id);
    const chunking = input.chunking ?? knowledgeBase.chunking;

    const prepared: Array<{ document: IngestInput['documents'][number]; documentId: string; sha256: string; size: number; name: string; mediaType: string; chunks: ChunkItem[]; warnings: string[]; unchanged: boolean }> = [];
    let total = 0;
    for (const [index, document] of input.documents.entries()) {
      const bytes = document.base64 !== undefined ? decodeBase64Strict(document.base64, `documents.${index}.base64`) : Buffer.from(document.text!, 'utf8');
      if (bytes.length > MAX_DOCUMENT_BYTES) {
        throw new ValidationError(`documents.${index} is ${bytes.length} bytes; the maximum is ${MAX_DOCUMENT_BYTES} bytes (${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB). Split the document into smaller ones.`, [
          { path: `documents.${index}`, message: `is ${bytes.length} bytes; maximum ${MAX_DOCUMENT_BYTES}` },
        ]);
      }
      const sha256 = createHash('sha256').update(bytes).update(JSON.stringify(chunking)).digest('hex');
      const documentId = document.id ?? `doc-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}`;
      const stored = await this.deps.db.query<{ content_sha256: string; chunk_count: number; name: string; media_type: string }>(
        `select content_sha256, chunk_count, name, media_type from knowledge_base_documents where knowledge_base_id = $1 and id = $2`,
        [id, documentId],
      );
      if (stored[0]?.content_sha256 === sha256) {
        prepared.push({ document, documentId, sha256, size: bytes.length, name: stored[0].name, mediaType: stored[0].media_type, chunks: [], warnings: [], unchanged: true });
        continue;
      }

      const parsed = await this.parse(workspaceId, index, documentId, document);
      const chunks = await this.chunk(workspaceId, parsed, chunking);
      total += chunks.length;
      if (total > MAX_CHUNKS_PER_INGEST) {
        throw new ValidationError(`The documents make more than ${MAX_CHUNKS_PER_INGEST} chunks (limit reached at documents.${index}). Send fewer documents per request, or raise chunking.chunkSize.`, [
          { path: `documents.${index}`, message: `the request passes ${MAX_CHUNKS_PER_INGEST} chunks` },
        ]);
      }
      prepared.push({ document, documentId, sha256, size: bytes.length, name: document.name ?? (parsed.name as string), mediaType: parsed.mediaType as string, chunks, warnings: (parsed.warnings as string[]) ?? [], unchanged: false });
    }

    const results: IngestedDocument[] = [];
    for (const entry of prepared) {
      if (entry.unchanged) {
        const chunkCount = (await this.deps.db.query<{ chunk_count: number }>(`select chunk_count from knowledge_base_documents where knowledge_base_id = $1 and id = $2`, [id, entry.documentId]))[0]!.chunk_count;
        results.push({ id: entry.documentId, name: entry.name, mediaType: entry.mediaType, status: 'unchanged', chunkCount, chunkIds: Array.from({ length: chunkCount }, (_, position) => `${entry.documentId}#${position}`), warnings: [] });
        continue;
      }

      const vectors = await this.embed(workspaceId, knowledgeBase.embedding, entry.chunks.map((chunk) => chunk.text));
      const metadata = entry.document.metadata ?? {};
      const points = entry.chunks.map((chunk, position) => ({
        id: chunk.chunkId,
        vector: vectors[position]!,
        content: chunk.text,
        metadata: { ...metadata, documentId: entry.documentId, position: chunk.position, name: entry.name, ...(chunk.headings.length > 0 ? { headings: chunk.headings } : {}) },
      }));
      const existed = await this.deps.db.transaction(async (tx) => {
        await this.deps.vectors.deletePointsWhere(collection, 'documentId', entry.documentId, tx);
        for (let start = 0; start < points.length; start += UPSERT_BATCH) await this.deps.vectors.upsert(collection, points.slice(start, start + UPSERT_BATCH), tx);
        const rows = await tx.query<{ inserted: boolean }>(
          `insert into knowledge_base_documents (knowledge_base_id, id, name, media_type, content_sha256, size_bytes, chunk_count, metadata)
           values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           on conflict (knowledge_base_id, id) do update set name = excluded.name, media_type = excluded.media_type, content_sha256 = excluded.content_sha256,
             size_bytes = excluded.size_bytes, chunk_count = excluded.chunk_count, metadata = excluded.metadata, updated_at = now()
           returning (xmax = 0) as inserted`,
          [id, entry.documentId, entry.name, entry.mediaType, entry.sha256, entry.size, points.length, JSON.stringify(metadata)],
        );
        await tx.query(`update knowledge_bases set updated_at = now() where id = $1`, [id]);
        return rows[0]?.inserted === false;
      });
      results.push({ id: entry.documentId, name: entry.name, mediaType: entry.mediaType, status: existed ? 'updated' : 'created', chunkCount: points.length, chunkIds: points.map((point) => point.id), warnings: entry.warnings });
    }

    this.deps.logger.info({ workspaceId, knowledgeBaseId: id, documents: results.length, chunks: total }, 'knowledge base ingest');
    return { documents: results, chunkCount: results.reduce((sum, document) => sum + document.chunkCount, 0) };
  }

  /** Searches a knowledge base: embeds the query with the base's embedder, then retrieves by `mode`. */
  async search(workspaceId: string, id: string, input: SearchInput): Promise<{ query: string; mode: string; results: SearchResult[] }> {
    const knowledgeBase = toKnowledgeBase(await this.findRow(workspaceId, id));
    const collection = await this.collection(workspaceId, id);
    const [vector] = await this.embed(workspaceId, knowledgeBase.embedding, [input.query]);

    const matches = await this.deps.vectors.query(collection, {
      vector: vector!,
      topK: input.topK,
      mode: input.mode,
      text: input.query,
      filter: input.filters,
      lambda: input.lambda,
      candidates: input.candidates,
    });
    let results: SearchResult[] = matches.map((match) => ({
      chunkId: match.id,
      documentId: typeof match.metadata.documentId === 'string' ? match.metadata.documentId : null,
      score: match.score,
      similarity: match.similarity,
      text: match.content ?? '',
      metadata: match.metadata,
      ...(match.ranks ? { ranks: match.ranks } : {}),
    }));
    if (input.rerank && results.length > 1) results = await this.rerank(workspaceId, input.query, results);
    return { query: input.query, mode: input.mode, results };
  }

  private async rerank(workspaceId: string, query: string, results: SearchResult[]): Promise<SearchResult[]> {
    const output = await this.runNode(workspaceId, 'mify.rag.rerank', [{ json: { query, chunks: results } }], { method: 'local' });
    const chunks = (output[0]?.chunks ?? []) as Array<SearchResult & { rerankScore: number; retrievalRank: number }>;
    return chunks.map(({ retrievalRank: _rank, ...chunk }) => ({ ...chunk, score: chunk.rerankScore }));
  }

  private async parse(workspaceId: string, index: number, documentId: string, document: IngestInput['documents'][number]): Promise<Record<string, unknown>> {
    const item = { json: { documentId, mediaType: document.mediaType, ...(document.name ? { name: document.name } : {}), ...(document.text !== undefined ? { text: document.text } : { base64: document.base64 }) } };
    const [parsed] = await this.runNode(workspaceId, 'mify.rag.parse', [item], { onError: 'report', mediaType: 'auto' });
    const error = parsed?.error as { code: string; message: string } | undefined;
    if (error) {
      const status = error.code === 'unsupported' ? 415 : 422;
      throw new MifyError(error.code === 'unsupported' ? 'unsupported_media_type' : 'invalid_document', status, `documents.${index}: ${error.message}`, { errors: [{ path: `documents.${index}`, message: error.message }] });
    }
    return parsed!;
  }

  private async chunk(workspaceId: string, parsed: Record<string, unknown>, chunking: KnowledgeBase['chunking']): Promise<ChunkItem[]> {
    const output = await this.runNode(workspaceId, 'mify.rag.chunk', [{ json: parsed }], chunking as unknown as Record<string, unknown>);
    return output as unknown as ChunkItem[];
  }

  /** Runs a node of mify.rag outside a graph and returns its items' JSON. */
  private async runNode(workspaceId: string, type: string, items: Array<{ json: Record<string, unknown> }>, parameters: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
    let output: unknown;
    try {
      output = await this.deps.extensionHost().invoke(RAG_EXTENSION_ID, { kind: 'node', name: type, input: { items, ports: { main: items }, parameters, node: { id: 'knowledge-base', name: 'Knowledge base', type, typeVersion: 1, parameters } } }, { workspaceId });
    } catch (error) {
      if (error instanceof MifyError && (error.code === 'not_found' || error.code === 'extension_inactive')) {
        throw new MifyError('unavailable', 503, `Knowledge bases need the extension ${RAG_EXTENSION_ID}, which is not active: ${error.message} Install or enable it (npx mify ext enable ${RAG_EXTENSION_ID}).`);
      }
      throw error;
    }
    const result = output as { items?: Array<{ json: Record<string, unknown> }> };
    return (result.items ?? []).map((item) => item.json);
  }

  private async embed(workspaceId: string, embedding: { provider: string; model: string; credential?: string | undefined }, texts: string[]): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += EMBED_BATCH_SIZE) {
      const input = texts.slice(start, start + EMBED_BATCH_SIZE);
      const response = (await this.deps.gateway().call(
        'embed',
        { provider: embedding.provider, model: embedding.model, input, ...(embedding.credential ? { credential: embedding.credential } : {}) },
        { workspaceId, callerExtensionId: GATEWAY_CALLER },
      )) as { vectors: number[][] };
      if (response.vectors.length !== input.length) {
        throw new MifyError('invalid_provider_response', 502, `Provider '${embedding.provider}' returned ${response.vectors.length} vectors for ${input.length} texts.`, { provider: embedding.provider });
      }
      vectors.push(...response.vectors);
    }
    return vectors;
  }
}

/** Decodes base64 and rejects text that is not base64, which Buffer.from would silently skip. */
export function decodeBase64Strict(text: string, path: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1) {
    throw new ValidationError(`${path} is not valid base64. Encode the document bytes as base64, or send text documents in the text field.`, [{ path, message: 'is not valid base64' }]);
  }
  return Buffer.from(clean, 'base64');
}
