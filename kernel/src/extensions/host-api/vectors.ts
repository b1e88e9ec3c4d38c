import { z } from 'zod';
import { newId } from '../../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError, ValidationError } from '../../errors.js';
import { jsonObject, storableJson, storableText } from './arguments.js';
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
const embedding = z.array(z.number().finite()).min(1).max(MAX_VECTOR_DIMENSIONS);

const createOptions = z
  .object({
    name: collectionName,
    dimensions: z.number().int().min(1).max(MAX_VECTOR_DIMENSIONS),
    metric: z.enum(['cosine', 'l2', 'inner_product']).default('cosine'),
  })
  .strict();

const upsertOptions = z
  .object({
    collection: collectionName,
    items: z
      .array(
        z
          .object({
            id: itemId,
            embedding,
            content: storableText(MAX_VECTOR_CONTENT_CHARS).optional(),
            metadata: jsonObject.superRefine(storableJson(MAX_VECTOR_METADATA_BYTES)).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_VECTOR_BATCH),
  })
  .strict();

const queryOptions = z
  .object({
    collection: collectionName,
    embedding,
    topK: z.number().int().min(1).max(MAX_TOP_K).default(10),
    filter: z.record(z.string().min(1).max(128), z.union([z.string(), z.number(), z.boolean(), z.null()])).refine((filter) => Object.keys(filter).length <= 16, 'may name at most 16 metadata keys').optional(),
  })
  .strict();

const deleteOptions = z
  .object({
    collection: collectionName,
    ids: z.array(itemId).min(1).max(MAX_VECTOR_BATCH),
  })
  .strict();

interface CollectionRow {
  id: string;
  name: string;
  dimensions: number;
  metric: Metric;
}

/** Throws `vector_unavailable` when the database has no pgvector. */
async function requireVector(scope: HostCallScope): Promise<void> {
  if (await scope.services.db.hasVector()) return;
  throw new MifyError(
    'vector_unavailable',
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
  throw new ValidationError(
    `${path} has ${vector.length} dimensions, but vector collection '${collection.name}' has ${collection.dimensions}. Use the same embedding model as for the collection, or create another collection.`,
    [{ path, message: `expected ${collection.dimensions} numbers, got ${vector.length}` }],
  );
}

/** pgvector's text form of a vector, e.g. `[0.1,0.2]`; bound as a parameter and cast to `vector`. */
function vectorText(vector: number[]): string {
  return `[${vector.join(',')}]`;
}

/**
 * Name of a collection's HNSW index. Collection ids come from `newId`, so the name holds
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

async function createCollection(scope: HostCallScope, options: z.output<typeof createOptions>) {
  await requireVector(scope);
  const { db } = scope.services;

  const id = newId('vcol');
  const inserted = await db.query<CollectionRow>(
    `insert into vector_collections (id, extension_id, workspace_id, name, dimensions, metric)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (extension_id, workspace_id, name) do nothing
     returning id, name, dimensions, metric`,
    [id, scope.context.extensionId, scope.workspaceKey, options.name, options.dimensions, options.metric],
  );
  const collection = inserted[0] ?? (await findCollection(scope, options.name));
  if (collection.dimensions !== options.dimensions || collection.metric !== options.metric) {
    throw new ConflictError(
      `Vector collection '${options.name}' already exists with ${collection.dimensions} dimensions and metric ${collection.metric}. Use those, or delete it first with vectors.deleteCollection.`,
      { collection: options.name, dimensions: collection.dimensions, metric: collection.metric },
    );
  }

  let indexed = false;
  if (collection.dimensions <= MAX_HNSW_DIMENSIONS) {
    const { operatorClass } = METRICS[collection.metric];
    await db.exec(
      `create index if not exists ${hnswIndexName(collection.id)} on vector_items using hnsw (${embeddingExpression(collection.dimensions)} ${operatorClass}) ` +
        `where collection_id = ${sqlLiteral(collection.id)}`,
    );
    indexed = true;
  } else {
    scope.logger.info({ collection: collection.name, dimensions: collection.dimensions }, `vector collection has more than ${MAX_HNSW_DIMENSIONS} dimensions; queries scan it exactly without an HNSW index`);
  }

  return { name: collection.name, dimensions: collection.dimensions, metric: collection.metric, indexed, created: inserted.length > 0 };
}

async function deleteCollection(scope: HostCallScope, name: string) {
  await requireVector(scope);
  const collection = await findCollection(scope, name);
  await scope.services.db.transaction(async (tx) => {
    await tx.exec(`drop index if exists ${hnswIndexName(collection.id)}`);
    await tx.query(`delete from vector_collections where id = $1`, [collection.id]);
  });
  return { deleted: true };
}

async function upsertItems(scope: HostCallScope, options: z.output<typeof upsertOptions>) {
  await requireVector(scope);
  const collection = await findCollection(scope, options.collection);
  options.items.forEach((item, index) => checkDimensions(collection, item.embedding, `options.items.${index}.embedding`));

  // One statement for the whole batch: the items travel as one JSON array of records.
  await scope.services.db.query(
    `insert into vector_items (collection_id, id, embedding, content, metadata)
     select $1, item.id, item.embedding::vector, item.content, item.metadata
     from jsonb_to_recordset($2::jsonb) as item(id text, embedding text, content text, metadata jsonb)
     on conflict (collection_id, id)
     do update set embedding = excluded.embedding, content = excluded.content, metadata = excluded.metadata`,
    [
      collection.id,
      JSON.stringify(options.items.map((item) => ({ id: item.id, embedding: vectorText(item.embedding), content: item.content ?? null, metadata: item.metadata ?? {} }))),
    ],
  );
  return { upserted: options.items.length };
}

async function queryItems(scope: HostCallScope, options: z.output<typeof queryOptions>) {
  await requireVector(scope);
  const collection = await findCollection(scope, options.collection);
  checkDimensions(collection, options.embedding, 'options.embedding');

  const expression = embeddingExpression(collection.dimensions);
  const { operator } = METRICS[collection.metric];
  const params: unknown[] = [collection.id, vectorText(options.embedding), options.topK];
  const filters = Object.entries(options.filter ?? {}).map(([key, value]) => {
    params.push(key, JSON.stringify(value));
    return `metadata -> $${params.length - 1} = $${params.length}::jsonb`;
  });

  const rows = await scope.services.db.query<{ id: string; content: string | null; metadata: Record<string, unknown>; distance: number }>(
    `select id, content, metadata, ${expression} ${operator} $2::vector(${collection.dimensions}) as distance
     from vector_items
     where collection_id = $1${filters.map((filter) => ` and ${filter}`).join('')}
     order by ${expression} ${operator} $2::vector(${collection.dimensions})
     limit $3`,
    params,
  );
  return { matches: rows.map((row) => ({ id: row.id, distance: Number(row.distance), content: row.content, metadata: row.metadata })) };
}

async function deleteItems(scope: HostCallScope, options: z.output<typeof deleteOptions>) {
  await requireVector(scope);
  const collection = await findCollection(scope, options.collection);
  const rows = await scope.services.db.query(
    `delete from vector_items where collection_id = $1 and id in (select jsonb_array_elements_text($2::jsonb)) returning id`,
    [collection.id, JSON.stringify(options.ids)],
  );
  return { deleted: rows.length };
}

/**
 * Vector collections on tables `vector_collections` and `vector_items` (pgvector), namespaced
 * by extension and workspace. Each collection of at most `MAX_HNSW_DIMENSIONS` dimensions has
 * its own partial HNSW index for its metric. `query` returns the nearest items first, with
 * pgvector's distance: cosine distance (1 − cosine similarity), Euclidean distance, or the
 * negative inner product.
 */
export const vectorMethods: HostMethod[] = [
  defineHostMethod({
    name: 'vectors.createCollection',
    permission: 'vectors:write',
    parameters: { options: createOptions },
    target: ({ options }) => options.name,
    run: ({ options }, scope) => createCollection(scope, options),
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
    parameters: { options: upsertOptions },
    target: ({ options }) => options.collection,
    run: ({ options }, scope) => upsertItems(scope, options),
  }),
  defineHostMethod({
    name: 'vectors.query',
    permission: 'vectors:read',
    parameters: { options: queryOptions },
    target: ({ options }) => options.collection,
    run: ({ options }, scope) => queryItems(scope, options),
  }),
  defineHostMethod({
    name: 'vectors.delete',
    permission: 'vectors:write',
    parameters: { options: deleteOptions },
    target: ({ options }) => options.collection,
    run: ({ options }, scope) => deleteItems(scope, options),
  }),
];
