import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { MAX_RETRIEVAL_CANDIDATES, MAX_TOP_K, MAX_VECTOR_DIMENSIONS, VectorStore, type VectorNamespace } from '../../knowledge/vector-store.js';
import type { Database } from '../../storage/database.js';
import { InvalidArgumentError, jsonObject, storableJson, storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

export { MAX_HNSW_DIMENSIONS, MAX_RETRIEVAL_CANDIDATES, MAX_TOP_K, MAX_VECTOR_DIMENSIONS } from '../../knowledge/vector-store.js';

/** Maximum items in one `vectors.upsert`, and ids in one `vectors.delete`. */
export const MAX_VECTOR_BATCH = 1_000;

/** Maximum size of one item's metadata, in bytes of UTF-8 JSON. */
export const MAX_VECTOR_METADATA_BYTES = 16 * 1024;

/** Maximum number of metadata keys in one query filter. */
export const MAX_FILTER_KEYS = 16;

/** Maximum length of one item's content, in characters. */
export const MAX_VECTOR_CONTENT_CHARS = 64 * 1024;

/** Maximum length of the query text of a hybrid query, in characters. */
export const MAX_QUERY_TEXT_CHARS = 4_096;

export const vectorCollectionName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter and contain only letters, digits, "_", "." or "-" (64 characters at most)');
const itemId = storableText(256).min(1);
const vector = z.array(z.number().finite()).min(1).max(MAX_VECTOR_DIMENSIONS);

export const vectorCollectionOptions = z
  .object({
    dimensions: z.number().int().min(1).max(MAX_VECTOR_DIMENSIONS),
    metric: z.enum(['cosine', 'l2', 'inner_product']).default('cosine'),
  })
  .strict();

export const vectorPoints = z
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

/** Metadata keys and the JSON values they must equal. */
export const vectorFilter = z
  .record(z.string().min(1).max(128), z.json())
  .refine((filter) => Object.keys(filter).length <= MAX_FILTER_KEYS, `may name at most ${MAX_FILTER_KEYS} metadata keys`);

export const vectorQueryOptions = z
  .object({
    vector,
    topK: z.number().int().min(1).max(MAX_TOP_K).default(10),
    filter: vectorFilter.optional(),
    mode: z.enum(['similarity', 'mmr', 'hybrid']).default('similarity'),
    text: storableText(MAX_QUERY_TEXT_CHARS).optional(),
    lambda: z.number().min(0).max(1).optional(),
    candidates: z.number().int().min(1).max(MAX_RETRIEVAL_CANDIDATES).optional(),
  })
  .strict()
  .refine((query) => query.mode !== 'hybrid' || (query.text !== undefined && query.text.trim() !== ''), { path: ['text'], message: 'is required when mode is "hybrid": the words to search for with full-text search' });

const ids = z.array(itemId).min(1).max(MAX_VECTOR_BATCH);

const stores = new WeakMap<Database, VectorStore>();

/** Returns the vector store of the call's database, shared by calls so it checks pgvector's version once. */

function vectorStore(scope: HostCallScope): VectorStore {
  let store = stores.get(scope.services.db);
  if (!store) {
    store = new VectorStore({ db: scope.services.db, logger: scope.services.logger });
    stores.set(scope.services.db, store);
  }
  return store;
}

function namespace(scope: HostCallScope): VectorNamespace {
  return { owner: scope.context.extensionId, workspaceKey: scope.workspaceKey };
}

/** Reports the store's validation errors with the host API's `invalid_argument` code. */
async function asHostCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationError && !(error instanceof InvalidArgumentError)) {
      throw new InvalidArgumentError(error.message, (error.details?.errors as Array<{ path: string; message: string }> | undefined) ?? []);
    }
    throw error;
  }
}

/**
 * Vector collections namespaced by extension and workspace, stored by `VectorStore`. Each
 * collection of at most `MAX_HNSW_DIMENSIONS` dimensions has its own partial HNSW index for
 * its metric. `query` returns the best points first, each with a `score` (higher ranks first),
 * its `similarity` and pgvector's raw `distance`. `VectorStore.query` describes the modes
 * `mmr` and `hybrid`.
 */
export const vectorMethods: HostMethod[] = [
  defineHostMethod({
    name: 'vectors.createCollection',
    permission: 'vectors:write',
    parameters: { name: vectorCollectionName, options: vectorCollectionOptions },
    target: ({ name }) => name,
    run: async ({ name, options }, scope) => {
      await vectorStore(scope).createCollection(namespace(scope), name, options);
    },
  }),
  defineHostMethod({
    name: 'vectors.deleteCollection',
    permission: 'vectors:write',
    parameters: { name: vectorCollectionName },
    target: ({ name }) => name,
    run: async ({ name }, scope) => {
      const store = vectorStore(scope);
      await store.requireVector();
      const collection = await store.findCollection(namespace(scope), name).catch(() => null);
      if (!collection) return false;
      await store.deleteCollection(collection);
      return true;
    },
  }),
  defineHostMethod({
    name: 'vectors.upsert',
    permission: 'vectors:write',
    parameters: { collection: vectorCollectionName, points: vectorPoints },
    target: ({ collection }) => collection,
    run: ({ collection, points }, scope) =>
      asHostCall(async () => {
        const store = vectorStore(scope);
        await store.requireVector();
        await store.upsert(await store.findCollection(namespace(scope), collection), points);
      }),
  }),
  defineHostMethod({
    name: 'vectors.query',
    permission: 'vectors:read',
    parameters: { collection: vectorCollectionName, query: vectorQueryOptions },
    target: ({ collection }) => collection,
    run: ({ collection, query }, scope) =>
      asHostCall(async () => {
        const store = vectorStore(scope);
        await store.requireVector();
        return store.query(await store.findCollection(namespace(scope), collection), query);
      }),
  }),
  defineHostMethod({
    name: 'vectors.delete',
    permission: 'vectors:write',
    parameters: { collection: vectorCollectionName, ids },
    target: ({ collection }) => collection,
    run: async ({ collection, ids: pointIds }, scope) => {
      const store = vectorStore(scope);
      await store.requireVector();
      return store.deletePoints(await store.findCollection(namespace(scope), collection), pointIds);
    },
  }),
];
