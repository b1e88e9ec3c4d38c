import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { vectorCollectionName, vectorCollectionOptions, vectorPoints, vectorQueryOptions } from '../../extensions/host-api/vectors.js';
import { storableText } from '../../extensions/host-api/arguments.js';
import { MAX_VECTORS_PER_REQUEST } from '../../knowledge/limits.js';
import { defineRoute, type RouteSpec } from '../route.js';

const storeParams = z.object({ id: z.string().describe('Vector store id') });

const storeSchema = z.object({
  id: z.string(),
  name: z.string(),
  dimensions: z.number().int(),
  metric: z.enum(['cosine', 'l2', 'inner_product']),
  count: z.number().int().describe('Vectors stored'),
  createdAt: z.date(),
});

const matchSchema = z.object({
  id: z.string(),
  score: z.number().describe('Ranking score of the mode; higher first'),
  similarity: z.number(),
  distance: z.number(),
  metadata: z.record(z.string(), z.unknown()),
  content: z.string().optional(),
  ranks: z.object({ vector: z.number().nullable(), text: z.number().nullable() }).optional(),
});

const invalid = { description: 'The body is invalid; errors names each field (type validation_failed)' };
const noVector = { description: 'The PostgreSQL server has no pgvector (type unavailable)' };

/** Vector stores: collections of vectors a workspace computes itself, with an HNSW index each. */
export function vectorStoreRoutes(services: () => KernelServices): RouteSpec[] {
  const stores = () => services().vectorStoreService;

  return [
    defineRoute({
      method: 'post',
      path: '/api/vector-stores',
      operationId: 'createVectorStore',
      summary: 'Create a vector store of fixed dimensions (1-16000; HNSW-indexed up to 2000)',
      tags: ['vector-stores'],
      auth: 'workspace',
      body: vectorCollectionOptions.extend({ name: vectorCollectionName }),
      responses: { 201: { description: 'Created', schema: storeSchema }, 409: { description: 'The name is taken, or the workspace has the most vector stores allowed' }, 422: invalid, 503: noVector },
      handler: async ({ principal, body }) => {
        const record = await stores().create(principal!.workspaceId, body);
        return { status: 201, body: record, headers: { location: `/api/vector-stores/${record.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/vector-stores',
      operationId: 'listVectorStores',
      summary: "List the workspace's vector stores by name",
      tags: ['vector-stores'],
      auth: 'workspace',
      responses: { 200: { description: 'Every vector store', schema: z.object({ items: z.array(storeSchema) }) }, 503: noVector },
      handler: async ({ principal }) => ({ body: { items: await stores().list(principal!.workspaceId) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/vector-stores/:id',
      operationId: 'getVectorStore',
      summary: 'Get a vector store with its vector count',
      tags: ['vector-stores'],
      auth: 'workspace',
      params: storeParams,
      responses: { 200: { description: 'The vector store', schema: storeSchema } },
      handler: async ({ principal, params }) => ({ body: await stores().get(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/vector-stores/:id',
      operationId: 'deleteVectorStore',
      summary: 'Delete a vector store with its vectors',
      tags: ['vector-stores'],
      auth: 'workspace',
      params: storeParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await stores().delete(principal!.workspaceId, params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/vector-stores/:id/vectors',
      operationId: 'upsertVectors',
      summary: `Insert or replace vectors by id, 1-${MAX_VECTORS_PER_REQUEST} per request`,
      tags: ['vector-stores'],
      auth: 'workspace',
      params: storeParams,
      body: z.strictObject({ vectors: vectorPoints }),
      responses: { 200: { description: 'Stored', schema: z.object({ upserted: z.number().int() }) }, 422: invalid },
      handler: async ({ principal, params, body }) => ({ body: await stores().upsert(principal!.workspaceId, params.id, body.vectors) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/vector-stores/:id/vectors/delete',
      operationId: 'deleteVectors',
      summary: `Delete vectors by id, 1-${MAX_VECTORS_PER_REQUEST} per request`,
      tags: ['vector-stores'],
      auth: 'workspace',
      params: storeParams,
      body: z.strictObject({ ids: z.array(storableText(256).min(1)).min(1).max(MAX_VECTORS_PER_REQUEST) }),
      responses: { 200: { description: 'How many existed and were deleted', schema: z.object({ deleted: z.number().int() }) }, 422: invalid },
      handler: async ({ principal, params, body }) => ({ body: await stores().deleteVectors(principal!.workspaceId, params.id, body.ids) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/vector-stores/:id/query',
      operationId: 'queryVectorStore',
      summary: 'Return the best vectors for a query vector by similarity, MMR or hybrid (with text) retrieval',
      tags: ['vector-stores'],
      auth: 'workspace',
      access: 'read',
      params: storeParams,
      body: vectorQueryOptions,
      responses: { 200: { description: 'Best first', schema: z.object({ matches: z.array(matchSchema) }) }, 422: invalid },
      handler: async ({ principal, params, body }) => ({ body: { matches: await stores().query(principal!.workspaceId, params.id, body) } }),
    }),
  ];
}
