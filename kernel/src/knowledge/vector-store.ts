import { newId } from '../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError, ValidationError } from '../errors.js';
import { sqlLiteral } from '../extensions/host-api/collection-indexes.js';
import type { Logger } from '../logger.js';
import type { Database, SqlExecutor } from '../storage/database.js';
import { anyWordTsQuery, fuseByRrf, selectByMmr } from './ranking.js';

/** Maximum dimensions of a collection, as the `vector_collections` table allows. */
export const MAX_VECTOR_DIMENSIONS = 16_000;

/** Maximum dimensions pgvector 0.8 can index with HNSW; larger collections are searched exactly. */
export const MAX_HNSW_DIMENSIONS = 2_000;

/** Maximum `topK` of one query. */
export const MAX_TOP_K = 100;

/** Maximum candidates an MMR or hybrid query ranks (per list for hybrid). */
export const MAX_RETRIEVAL_CANDIDATES = 500;

/** pgvector's own `hnsw.ef_search` default. */
const PGVECTOR_EF_SEARCH = 40;

/**
 * `hnsw.ef_search` of every query, raised further when a query needs more candidates. On
 * bench/rag's 10,000 synthetic chunks, recall@10 against an exact scan was 0.39 with
 * pgvector's default of 40 and 0.60 with 100, at 3.5 and 6.7 ms median (bench/README.md).
 */
// NOTE: recall@10 on 100,000 synthetic chunks was only 0.24 at this value; per-collection
// HNSW settings (m, ef_construction, ef_search) are not configurable yet.
export const DEFAULT_EF_SEARCH = 100;

/** Maximum `hnsw.ef_search` that pgvector accepts. */
const MAX_EF_SEARCH = 1_000;

/**
 * Text search configuration of hybrid retrieval. The stored column `content_tsv` of
 * migration 20261205000000_knowledge_bases is computed with this configuration, so changing
 * it here needs a new column.
 */
export const FULL_TEXT_CONFIGURATION = 'english';

/**
 * Maximum full-text matches ranked per hybrid query. PostgreSQL ranks every row that matches,
 * and a query of common words matches most of a large collection, so matches past this many
 * (in the order the GIN index returns them) are not ranked.
 */
export const MAX_FULL_TEXT_MATCHES = 10_000;

export type VectorMetric = 'cosine' | 'l2' | 'inner_product';
export type RetrievalMode = 'similarity' | 'mmr' | 'hybrid';

/** pgvector's distance operator and HNSW operator class for each metric. */
const METRICS: Record<VectorMetric, { operator: string; operatorClass: string }> = {
  cosine: { operator: '<=>', operatorClass: 'vector_cosine_ops' },
  l2: { operator: '<->', operatorClass: 'vector_l2_ops' },
  inner_product: { operator: '<#>', operatorClass: 'vector_ip_ops' },
};

/**
 * Owner of a set of collections: an extension id (host API), or a reserved kernel namespace
 * starting with `@`. No extension id can start with `@`, because manifest ids start with a letter.
 */
export interface VectorNamespace {
  owner: string;
  /** Workspace id, or '' for calls outside a workspace. */
  workspaceKey: string;
}

export interface VectorCollection {
  id: string;
  name: string;
  dimensions: number;
  metric: VectorMetric;
  createdAt: Date;
}

export interface VectorPointInput {
  id: string;
  vector: number[];
  content?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface VectorQuery {
  vector: number[];
  topK: number;
  /** Metadata keys and the JSON values they must equal. */
  filter?: Record<string, unknown> | undefined;
  /** Default `similarity`. */
  mode?: RetrievalMode | undefined;
  /** Query text for the full-text half of `hybrid`. */
  text?: string | undefined;
  /** MMR trade-off from 0 (diverse) to 1 (relevant); default 0.5. */
  lambda?: number | undefined;
  /**
   * Candidates that MMR re-ranks, or that each list of `hybrid` contains. Default
   * max(4 × topK, 40), capped at MAX_RETRIEVAL_CANDIDATES.
   */
  candidates?: number | undefined;
}

export interface VectorQueryMatch {
  id: string;
  /** Ranking score of the mode: similarity, the MMR score, or the reciprocal-rank-fusion score of `hybrid`. Higher ranks first. */
  score: number;
  /** Similarity to the query vector (see `toScore`), whatever the mode. */
  similarity: number;
  /** pgvector's raw distance to the query vector. */
  distance: number;
  metadata: Record<string, unknown>;
  content?: string;
  /** `hybrid` only: 1-based rank in the vector list and in the full-text list, null where absent. */
  ranks?: { vector: number | null; text: number | null };
}

interface CollectionRow {
  id: string;
  name: string;
  dimensions: number;
  metric: VectorMetric;
  created_at: Date;
}

interface MatchRow {
  id: string;
  content: string | null;
  metadata: Record<string, unknown>;
  distance: number;
  embedding?: string;
}

const COLLECTION_COLUMNS = 'id, name, dimensions, metric, created_at';

function toCollection(row: CollectionRow): VectorCollection {
  return { id: row.id, name: row.name, dimensions: Number(row.dimensions), metric: row.metric, createdAt: new Date(row.created_at) };
}

/** Returns pgvector's text form of a vector, e.g. `[0.1,0.2]`, which queries bind and cast to `vector`. */
function vectorText(vector: readonly number[]): string {
  return `[${vector.join(',')}]`;
}

/**
 * Name of a collection's HNSW index. Collection ids come from `newId`, so the name contains
 * only `[a-z0-9_]` and stays under PostgreSQL's 63-byte limit.
 */
export function hnswIndexName(collectionId: string): string {
  return `vector_items_hnsw_${collectionId.replace(/^vcol_/, '')}`;
}

/**
 * SQL for one collection's embeddings, cast to its fixed dimension. The HNSW index is built
 * on this very expression, so a query must use the same text for PostgreSQL to use it.
 */
function embeddingExpression(dimensions: number): string {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_VECTOR_DIMENSIONS) throw new Error(`invalid dimensions ${dimensions}`);
  return `(embedding::vector(${dimensions}))`;
}

/**
 * Turns pgvector's distance into a score where higher is closer: cosine similarity
 * (1 − cosine distance), the inner product (pgvector's `<#>` is its negative), and
 * 1 / (1 + distance) for Euclidean distance.
 */
export function toScore(metric: VectorMetric, distance: number): number {
  if (metric === 'cosine') return 1 - distance;
  if (metric === 'inner_product') return -distance;
  return 1 / (1 + distance);
}

function checkDimensions(collection: VectorCollection, vector: readonly number[], path: string): void {
  if (vector.length === collection.dimensions) return;
  throw new ValidationError(
    `${path} has ${vector.length} dimensions, but vector collection '${collection.name}' has ${collection.dimensions}. Use the same embedding model as for the collection, or create another collection.`,
    [{ path, message: `expected ${collection.dimensions} numbers, got ${vector.length}` }],
  );
}

/**
 * Vector collections on tables `vector_collections` and `vector_items` (pgvector), each
 * namespaced by owner and workspace. Each collection of at most `MAX_HNSW_DIMENSIONS`
 * dimensions has its own partial HNSW index for its metric. The host API (`vectors.*`), the
 * vector-store API and knowledge bases all store through this class.
 */
export class VectorStore {
  private iterativeScan: Promise<boolean> | null = null;

  constructor(private readonly deps: { db: Database; logger: Logger }) {}

  hasVector(): Promise<boolean> {
    return this.deps.db.hasVector();
  }

  /** Throws `unavailable` (503) when the database has no pgvector. */
  async requireVector(): Promise<void> {
    if (await this.deps.db.hasVector()) return;
    throw new MifyError(
      'unavailable',
      503,
      'Vector collections need the pgvector extension on the PostgreSQL server, and this server does not have it. ' +
        'Install pgvector there and restart MIFY, which then enables it, or run MIFY without DATABASE_URL to use the embedded database, which includes pgvector.',
    );
  }

  /**
   * Creates a collection and its HNSW index, or returns the existing one of that name when it
   * has the same settings. Throws `conflict` when it exists with other settings.
   */
  async createCollection(namespace: VectorNamespace, name: string, options: { dimensions: number; metric: VectorMetric }, executor: SqlExecutor = this.deps.db): Promise<VectorCollection> {
    await this.requireVector();

    const inserted = await executor.query<CollectionRow>(
      `insert into vector_collections (id, extension_id, workspace_id, name, dimensions, metric)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (extension_id, workspace_id, name) do nothing
       returning ${COLLECTION_COLUMNS}`,
      [newId('vcol'), namespace.owner, namespace.workspaceKey, name, options.dimensions, options.metric],
    );
    const collection = inserted[0] ? toCollection(inserted[0]) : await this.findCollection(namespace, name, executor);
    if (collection.dimensions !== options.dimensions || collection.metric !== options.metric) {
      throw new ConflictError(
        `Vector collection '${name}' already exists with ${collection.dimensions} dimensions and metric ${collection.metric}. Use those, or delete it first.`,
        { collection: name, dimensions: collection.dimensions, metric: collection.metric },
      );
    }

    if (collection.dimensions > MAX_HNSW_DIMENSIONS) {
      this.deps.logger.info({ collection: name, owner: namespace.owner, dimensions: collection.dimensions }, `vector collection has more than ${MAX_HNSW_DIMENSIONS} dimensions; queries scan it exactly, without an HNSW index`);
      return collection;
    }
    const { operatorClass } = METRICS[collection.metric];
    await executor.exec(
      `create index if not exists ${hnswIndexName(collection.id)} on vector_items using hnsw (${embeddingExpression(collection.dimensions)} ${operatorClass}) ` +
        `where collection_id = ${sqlLiteral(collection.id)}`,
    );
    return collection;
  }

  /** Returns the named collection of the namespace; throws `not_found` when there is none. */
  async findCollection(namespace: VectorNamespace, name: string, executor: SqlExecutor = this.deps.db): Promise<VectorCollection> {
    const rows = await executor.query<CollectionRow>(`select ${COLLECTION_COLUMNS} from vector_collections where extension_id = $1 and workspace_id = $2 and name = $3`, [
      namespace.owner,
      namespace.workspaceKey,
      name,
    ]);
    if (!rows[0]) throw new NotFoundError('Vector collection', name);
    return toCollection(rows[0]);
  }

  /** Returns a collection of the namespace by id; throws `not_found` when there is none. */
  async getCollection(namespace: VectorNamespace, id: string): Promise<VectorCollection> {
    const rows = await this.deps.db.query<CollectionRow>(`select ${COLLECTION_COLUMNS} from vector_collections where extension_id = $1 and workspace_id = $2 and id = $3`, [
      namespace.owner,
      namespace.workspaceKey,
      id,
    ]);
    if (!rows[0]) throw new NotFoundError('Vector store', id);
    return toCollection(rows[0]);
  }

  /** Lists the namespace's collections by name, each with its number of points. */
  async listCollections(namespace: VectorNamespace): Promise<Array<VectorCollection & { count: number }>> {
    const rows = await this.deps.db.query<CollectionRow & { count: string | number }>(
      `select c.id, c.name, c.dimensions, c.metric, c.created_at,
              (select count(*) from vector_items i where i.collection_id = c.id) as count
       from vector_collections c where c.extension_id = $1 and c.workspace_id = $2 order by c.name`,
      [namespace.owner, namespace.workspaceKey],
    );
    return rows.map((row) => ({ ...toCollection(row), count: Number(row.count) }));
  }

  /** Counts the points in a collection. */

  async countPoints(collection: VectorCollection): Promise<number> {
    const rows = await this.deps.db.query<{ count: string | number }>(`select count(*) as count from vector_items where collection_id = $1`, [collection.id]);
    return Number(rows[0]?.count ?? 0);
  }

  /** Deletes a collection with its points and index. */
  async deleteCollection(collection: VectorCollection, executor?: SqlExecutor): Promise<void> {
    await this.requireVector();
    const run = async (tx: SqlExecutor) => {
      await tx.exec(`drop index if exists ${hnswIndexName(collection.id)}`);
      await tx.query(`delete from vector_collections where id = $1`, [collection.id]);
    };
    if (executor) await run(executor);
    else await this.deps.db.transaction(run);
  }

  /** Inserts or replaces points by id in one statement. Throws `validation_failed` for a vector of the wrong dimension. */
  async upsert(collection: VectorCollection, points: readonly VectorPointInput[], executor: SqlExecutor = this.deps.db): Promise<void> {
    await this.requireVector();
    points.forEach((point, index) => checkDimensions(collection, point.vector, `points.${index}.vector`));
    if (points.length === 0) return;

    // The points travel as one JSON array of records.
    await executor.query(
      `insert into vector_items (collection_id, id, embedding, content, metadata)
       select $1, point.id, point.embedding::vector, point.content, point.metadata
       from jsonb_to_recordset($2::jsonb) as point(id text, embedding text, content text, metadata jsonb)
       on conflict (collection_id, id)
       do update set embedding = excluded.embedding, content = excluded.content, metadata = excluded.metadata`,
      [collection.id, JSON.stringify(points.map((point) => ({ id: point.id, embedding: vectorText(point.vector), content: point.content ?? null, metadata: point.metadata ?? {} })))],
    );
  }

  /** Deletes points by id; returns how many existed. */
  async deletePoints(collection: VectorCollection, ids: readonly string[]): Promise<number> {
    await this.requireVector();
    const rows = await this.deps.db.query(`delete from vector_items where collection_id = $1 and id in (select jsonb_array_elements_text($2::jsonb)) returning id`, [
      collection.id,
      JSON.stringify(ids),
    ]);
    return rows.length;
  }

  /** Deletes the points whose metadata `key` equals `value`; returns how many. */
  async deletePointsWhere(collection: VectorCollection, key: string, value: unknown, executor: SqlExecutor = this.deps.db): Promise<number> {
    await this.requireVector();
    const rows = await executor.query(`delete from vector_items where collection_id = $1 and metadata -> $2 = $3::jsonb returning id`, [collection.id, key, JSON.stringify(value)]);
    return rows.length;
  }

  /**
   * Returns up to `topK` points for a query vector, best first:
   * - `similarity`: nearest neighbours through the HNSW index;
   * - `mmr`: `candidates` nearest neighbours re-ranked by maximal marginal relevance;
   * - `hybrid`: `candidates` nearest neighbours and `candidates` full-text matches of `text`
   *   (any of its words, PostgreSQL `english` configuration, at most MAX_FULL_TEXT_MATCHES ranked)
   *   fused by reciprocal rank.
   */
  async query(collection: VectorCollection, query: VectorQuery): Promise<VectorQueryMatch[]> {
    await this.requireVector();
    checkDimensions(collection, query.vector, 'query.vector');
    const mode = query.mode ?? 'similarity';
    const candidates = Math.min(MAX_RETRIEVAL_CANDIDATES, Math.max(query.candidates ?? Math.max(query.topK * 4, 40), query.topK));

    if (mode === 'similarity') {
      const rows = await this.nearest(collection, query, query.topK, false);
      return rows.map((row) => this.toMatch(collection, row, null));
    }

    if (mode === 'mmr') {
      const rows = await this.nearest(collection, query, candidates, true);
      const scored = rows.map((row) => ({ row, relevance: toScore(collection.metric, Number(row.distance)), vector: JSON.parse(row.embedding!) as number[] }));
      return selectByMmr(scored, query.topK, query.lambda ?? 0.5).map(({ index, score }) => ({ ...this.toMatch(collection, scored[index]!.row, null), score }));
    }

    if (query.text === undefined || query.text.trim() === '') {
      throw new ValidationError('Hybrid retrieval needs query text for its full-text half. Send `text`, or use mode "similarity".', [{ path: 'query.text', message: 'required when mode is "hybrid"' }]);
    }
    const [vectorRows, textRows] = await Promise.all([this.nearest(collection, query, candidates, false), this.fullText(collection, query, query.text, candidates)]);
    const rowsById = new Map<string, MatchRow>();
    for (const row of [...vectorRows, ...textRows]) if (!rowsById.has(row.id)) rowsById.set(row.id, row);
    const fused = fuseByRrf([vectorRows.map((row) => row.id), textRows.map((row) => row.id)]).slice(0, query.topK);
    return fused.map(({ id, score, ranks }) => ({ ...this.toMatch(collection, rowsById.get(id)!, { vector: ranks[0] ?? null, text: ranks[1] ?? null }), score }));
  }

  private toMatch(collection: VectorCollection, row: MatchRow, ranks: VectorQueryMatch['ranks'] | null): VectorQueryMatch {
    const distance = Number(row.distance);
    const similarity = toScore(collection.metric, distance);
    return {
      id: row.id,
      score: similarity,
      similarity,
      distance,
      metadata: row.metadata,
      ...(row.content === null ? {} : { content: row.content }),
      ...(ranks ? { ranks } : {}),
    };
  }

  /** Builds ` and metadata -> $n = $m::jsonb` clauses, appending their values to `params`. */
  private filterClauses(filter: Record<string, unknown> | undefined, params: unknown[]): string {
    return Object.entries(filter ?? {})
      .map(([key, value]) => {
        params.push(key, JSON.stringify(value));
        return ` and metadata -> $${params.length - 1} = $${params.length}::jsonb`;
      })
      .join('');
  }

  /**
   * Finds nearest neighbours through the HNSW index. `hnsw.ef_search` is raised to the number
   * of rows requested. With a filter, pgvector 0.8's iterative scan keeps searching until
   * enough rows pass it, instead of returning fewer than requested.
   */
  private async nearest(collection: VectorCollection, query: VectorQuery, limit: number, withEmbedding: boolean): Promise<MatchRow[]> {
    const expression = embeddingExpression(collection.dimensions);
    const { operator } = METRICS[collection.metric];
    const params: unknown[] = [collection.id, vectorText(query.vector), limit];
    const filters = this.filterClauses(query.filter, params);
    const hasFilter = filters !== '';

    // The ORDER BY repeats the index expression exactly, so PostgreSQL can use the HNSW index.
    const sql = `select id, content, metadata, ${expression} ${operator} $2::vector(${collection.dimensions}) as distance${withEmbedding ? ', embedding::text as embedding' : ''}
       from vector_items
       where collection_id = $1${filters}
       order by ${expression} ${operator} $2::vector(${collection.dimensions})
       limit $3`;
    const efSearch = Math.min(MAX_EF_SEARCH, Math.max(DEFAULT_EF_SEARCH, limit));
    const iterative = hasFilter && (await this.supportsIterativeScan());
    if (efSearch === PGVECTOR_EF_SEARCH && !iterative) return this.deps.db.query<MatchRow>(sql, params);

    return this.deps.db.transaction(async (tx) => {
      await tx.exec(`set local hnsw.ef_search = ${efSearch}${iterative ? `; set local hnsw.iterative_scan = relaxed_order` : ''}`);
      const rows = await tx.query<MatchRow>(sql, params);
      // relaxed_order may return rows slightly out of order.
      return iterative ? rows.sort((a, b) => Number(a.distance) - Number(b.distance)) : rows;
    });
  }

  /** Finds full-text matches of any word of `text`, best `ts_rank` first, through the GIN index on content. */

  private async fullText(collection: VectorCollection, query: VectorQuery, text: string, limit: number): Promise<MatchRow[]> {
    const tsQuery = anyWordTsQuery(text);
    if (tsQuery === null) return [];
    const expression = embeddingExpression(collection.dimensions);
    const { operator } = METRICS[collection.metric];
    const params: unknown[] = [collection.id, vectorText(query.vector), limit, tsQuery];
    const filters = this.filterClauses(query.filter, params);

    // Ranking is bounded to MAX_FULL_TEXT_MATCHES rows; the distance is computed for the returned rows only.
    return this.deps.db.query<MatchRow>(
      `select id, content, metadata, ${expression} ${operator} $2::vector(${collection.dimensions}) as distance
       from vector_items
       where collection_id = $1 and id in (
         select id from (
           select id, content_tsv from vector_items
           where collection_id = $1 and content_tsv @@ to_tsquery('${FULL_TEXT_CONFIGURATION}', $4)${filters}
           limit ${MAX_FULL_TEXT_MATCHES}
         ) matches
         order by ts_rank(content_tsv, to_tsquery('${FULL_TEXT_CONFIGURATION}', $4)) desc, id
         limit $3
       )
       order by ts_rank(content_tsv, to_tsquery('${FULL_TEXT_CONFIGURATION}', $4)) desc, id`,
      params,
    );
  }

  /** Checks whether the server's pgvector has iterative index scans (0.8.0 and later), once per store. */
  private supportsIterativeScan(): Promise<boolean> {
    this.iterativeScan ??= this.deps.db
      .query<{ extversion: string }>(`select extversion from pg_extension where extname = 'vector'`)
      .then((rows) => {
        const [major = 0, minor = 0] = (rows[0]?.extversion ?? '0.0').split('.').map(Number);
        return major > 0 || minor >= 8;
      });
    return this.iterativeScan;
  }
}
