import { z } from 'zod';
import { newId } from '../../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError } from '../../errors.js';
import { InvalidArgumentError, jsonObject, storableJson, storableText } from './arguments.js';
import { sqlLiteral } from './collection-indexes.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum dimensions of a collection, as the `vector_collections` table allows. */
export const MAX_VECTOR_DIMENSIONS = 16_000;

/** Maximum dimensions pgvector 0.8 can index with HNSW; larger collections are searched exactly. */
export const MAX_HNSW_DIMENSIONS = 2_000;

/** Maximum items in one `vectors.upsert`, and ids in one `vectors.delete`. */
export const MAX_VECTOR_BATCH = 1_000;

/** Maximum `topK` of one `vectors.query`. */
export const MAX_TOP_K = 100;

/** Maximum size of one item's metadata, in bytes of UTF-8 JSON. */
export const MAX_VECTOR_METADATA_BYTES = 16 * 1024;

/** Maximum number of metadata keys in one query filter. */
export const MAX_FILTER_KEYS = 16;

/** Maximum length of one item's content, in characters. */
export const MAX_VECTOR_CONTENT_CHARS = 64 * 1024;

type Metric = 'cosine' | 'l2' | 'inner_product';

/** pgvector's distance operator and HNSW operator class for each metric. */
const METRICS: Record<Metric, { operator: string; operatorClass: string }> = {
  cosine: { operator: '<=>', operatorClass: 'vector_cosine_ops' },
  l2: { operator: '<->', operatorClass: 'vector_l2_ops' },
  inner_product: { operator: '<#>', operatorClass: 'vector_ip_ops' },
};

const collectionName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter and contain only letters, digits, "_", "." or "-" (64 characters at most)');
const itemId = storableText(256).min(1);
const vector = z.array(z.number().finite()).min(1).max(MAX_VECTOR_DIMENSIONS);

const createOptions = z
  .object({
    dimensions: z.number().int().min(1).max(MAX_VECTOR_DIMENSIONS),
    metric: z.enum(['cosine', 'l2', 'inner_product']).default('cosine'),
  })
  .strict();

const points = z
  .array(
    z
      .object({
        id: itemId,
        vector,
        content: storableText(MAX_VECTOR_CONTENT_CHARS).optional(),
        metadata: jsonObject.superRefine(storableJson(MAX_VECTOR_METADATA_BYTES)).optional(),
      })
      .strict(),
  )
  .min(1)
  .max(MAX_VECTOR_BATCH);

const queryOptions = z
  .object({
    vector,
    topK: z.number().int().min(1).max(MAX_TOP_K).default(10),
    /** Metadata keys and the JSON values they must equal. */
    filter: z
      .record(z.string().min(1).max(128), z.json())
      .refine((filter) => Object.keys(filter).length <= MAX_FILTER_KEYS, `may name at most ${MAX_FILTER_KEYS} metadata keys`)
      .optional(),
  })
  .strict();

const ids = z.array(itemId).min(1).max(MAX_VECTOR_BATCH);

interface CollectionRow {
  id: string;
  name: string;
  dimensions: number;
  metric: Metric;
}

/** Throws `unavailable` (503) when the database has no pgvector. */
async function requireVector(scope: HostCallScope): Promise<void> {
  if (await scope.services.db.hasVector()) return;
  throw new MifyError(
    'unavailable',
    503,
    'Vector collections need the pgvector extension on the PostgreSQL server, and this server does not have it. ' +
      'Install pgvector there and restart MIFY, which then enables it, or run MIFY without DATABASE_URL to use the embedded database, which includes pgvector.',
  );
}

async function findCollection(scope: HostCallScope, name: string): Promise<CollectionRow> {
  const rows = await scope.services.db.query<CollectionRow>(
    `select id, name, dimensions, metric from vector_collections where extension_id = $1 and workspace_id = $2 and name = $3`,
    [scope.context.extensionId, scope.workspaceKey, name],
  );
  if (!rows[0]) throw new NotFoundError('Vector collection', name);
  return rows[0];
}

function checkDimensions(collection: CollectionRow, vector: number[], path: string): void {
  if (vector.length === collection.dimensions) return;
  throw new InvalidArgumentError(
    `${path} has ${vector.length} dimensions, but vector collection '${collection.name}' has ${collection.dimensions}. Use the same embedding model as for the collection, or create another collection.`,
    [{ path, message: `expected ${collection.dimensions} numbers, got ${vector.length}` }],
  );
}

/** Returns pgvector's text form of a vector, e.g. `[0.1,0.2]`, which queries bind and cast to `vector`. */
function vectorText(vector: number[]): string {
  return `[${vector.join(',')}]`;
}

/**
 * Name of a collection's HNSW index. Collection ids come from `newId`, so the name contains
 * only `[a-z0-9_]` and stays under PostgreSQL's 63-byte limit.
 */
function hnswIndexName(collectionId: string): string {
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

async function createCollection(scope: HostCallScope, name: string, options: z.output<typeof createOptions>): Promise<void> {
  await requireVector(scope);
  const { db } = scope.services;

  const inserted = await db.query<CollectionRow>(
    `insert into vector_collections (id, extension_id, workspace_id, name, dimensions, metric)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (extension_id, workspace_id, name) do nothing
     returning id, name, dimensions, metric`,
    [newId('vcol'), scope.context.extensionId, scope.workspaceKey, name, options.dimensions, options.metric],
  );
  const collection = inserted[0] ?? (await findCollection(scope, name));
  if (collection.dimensions !== options.dimensions || collection.metric !== options.metric) {
    throw new ConflictError(
      `Vector collection '${name}' already exists with ${collection.dimensions} dimensions and metric ${collection.metric}. Use those, or delete it first with vectors.deleteCollection.`,
      { collection: name, dimensions: collection.dimensions, metric: collection.metric },
    );
  }

  if (collection.dimensions > MAX_HNSW_DIMENSIONS) {
    scope.logger.info({ collection: name, dimensions: collection.dimensions }, `vector collection has more than ${MAX_HNSW_DIMENSIONS} dimensions; queries scan it exactly, without an HNSW index`);
    return;
  }
  const { operatorClass } = METRICS[collection.metric];
  await db.exec(
    `create index if not exists ${hnswIndexName(collection.id)} on vector_items using hnsw (${embeddingExpression(collection.dimensions)} ${operatorClass}) ` +
      `where collection_id = ${sqlLiteral(collection.id)}`,
  );
}

/** Deletes a collection with its items and index; returns whether it existed. */
async function deleteCollection(scope: HostCallScope, name: string): Promise<boolean> {
  await requireVector(scope);
  const rows = await scope.services.db.query<CollectionRow>(
    `select id, name, dimensions, metric from vector_collections where extension_id = $1 and workspace_id = $2 and name = $3`,
    [scope.context.extensionId, scope.workspaceKey, name],
  );
  const collection = rows[0];
  if (collection === undefined) return false;

  await scope.services.db.transaction(async (tx) => {
    await tx.exec(`drop index if exists ${hnswIndexName(collection.id)}`);
    await tx.query(`delete from vector_collections where id = $1`, [collection.id]);
  });
  return true;
}

async function upsertPoints(scope: HostCallScope, name: string, items: z.output<typeof points>): Promise<void> {
  await requireVector(scope);
  const collection = await findCollection(scope, name);
  items.forEach((item, index) => checkDimensions(collection, item.vector, `points.${index}.vector`));

  // One statement for the whole batch: the points travel as one JSON array of records.
  await scope.services.db.query(
    `insert into vector_items (collection_id, id, embedding, content, metadata)
     select $1, point.id, point.embedding::vector, point.content, point.metadata
     from jsonb_to_recordset($2::jsonb) as point(id text, embedding text, content text, metadata jsonb)
     on conflict (collection_id, id)
     do update set embedding = excluded.embedding, content = excluded.content, metadata = excluded.metadata`,
    [
      collection.id,
      JSON.stringify(items.map((item) => ({ id: item.id, embedding: vectorText(item.vector), content: item.content ?? null, metadata: item.metadata ?? {} }))),
    ],
  );
}

/**
 * Turns pgvector's distance into a score where higher is closer: cosine similarity
 * (1 − cosine distance), the inner product (pgvector's `<#>` is its negative), and
 * 1 / (1 + distance) for Euclidean distance.
 */
function toScore(metric: Metric, distance: number): number {
  if (metric === 'cosine') return 1 - distance;
  if (metric === 'inner_product') return -distance;
  return 1 / (1 + distance);
}

async function queryPoints(scope: HostCallScope, name: string, options: z.output<typeof queryOptions>) {
  await requireVector(scope);
  const collection = await findCollection(scope, name);
  checkDimensions(collection, options.vector, 'query.vector');

  const expression = embeddingExpression(collection.dimensions);
  const { operator } = METRICS[collection.metric];
  const params: unknown[] = [collection.id, vectorText(options.vector), options.topK];
  const filters = Object.entries(options.filter ?? {}).map(([key, value]) => {
    params.push(key, JSON.stringify(value));
    return ` and metadata -> $${params.length - 1} = $${params.length}::jsonb`;
  });

  // The ORDER BY repeats the index expression exactly, so PostgreSQL can use the HNSW index.
  const rows = await scope.services.db.query<{ id: string; content: string | null; metadata: Record<string, unknown>; distance: number }>(
    `select id, content, metadata, ${expression} ${operator} $2::vector(${collection.dimensions}) as distance
     from vector_items
     where collection_id = $1${filters.join('')}
     order by ${expression} ${operator} $2::vector(${collection.dimensions})
     limit $3`,
    params,
  );
  return rows.map((row) => {
    const distance = Number(row.distance);
    return { id: row.id, score: toScore(collection.metric, distance), distance, metadata: row.metadata, ...(row.content === null ? {} : { content: row.content }) };
  });
}

/** Deletes points by id; returns how many existed. */
async function deletePoints(scope: HostCallScope, name: string, pointIds: string[]): Promise<number> {
  await requireVector(scope);
  const collection = await findCollection(scope, name);
  const rows = await scope.services.db.query(
    `delete from vector_items where collection_id = $1 and id in (select jsonb_array_elements_text($2::jsonb)) returning id`,
    [collection.id, JSON.stringify(pointIds)],
  );
  return rows.length;
}

/**
 * Vector collections on tables `vector_collections` and `vector_items` (pgvector), namespaced
 * by extension and workspace. Each collection of at most `MAX_HNSW_DIMENSIONS` dimensions has
 * its own partial HNSW index for its metric. `query` returns the closest points first, each
 * with a `score` (higher is closer, see `toScore`) and pgvector's raw `distance`.
 */
export const vectorMethods: HostMethod[] = [
  defineHostMethod({
    name: 'vectors.createCollection',
    permission: 'vectors:write',
    parameters: { name: collectionName, options: createOptions },
    target: ({ name }) => name,
    run: ({ name, options }, scope) => createCollection(scope, name, options),
  }),
  defineHostMethod({
    name: 'vectors.deleteCollection',
    permission: 'vectors:write',
    parameters: { name: collectionName },
    target: ({ name }) => name,
    run: ({ name }, scope) => deleteCollection(scope, name),
  }),
  defineHostMethod({
    name: 'vectors.upsert',
    permission: 'vectors:write',
    parameters: { collection: collectionName, points },
    target: ({ collection }) => collection,
    run: ({ collection, points: items }, scope) => upsertPoints(scope, collection, items),
  }),
  defineHostMethod({
    name: 'vectors.query',
    permission: 'vectors:read',
    parameters: { collection: collectionName, query: queryOptions },
    target: ({ collection }) => collection,
    run: ({ collection, query }, scope) => queryPoints(scope, collection, query),
  }),
  defineHostMethod({
    name: 'vectors.delete',
    permission: 'vectors:write',
    parameters: { collection: collectionName, ids },
    target: ({ collection }) => collection,
    run: ({ collection, ids: pointIds }, scope) => deletePoints(scope, collection, pointIds),
  }),
];
