import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { createKnowledgeBaseSchema, documentRecordSchema, ingestSchema, knowledgeBaseSchema, searchResultSchema, searchSchema } from '../../knowledge/knowledge-base-schemas.js';
import { defineRoute, type RouteSpec } from '../route.js';

const knowledgeBaseParams = z.object({ id: z.string().describe('Knowledge base id') });
const documentParams = knowledgeBaseParams.extend({ documentId: z.string().describe('Document id') });

const invalid = { description: 'The body is invalid; errors names each field (type validation_failed), or a document cannot be read (invalid_document)' };
const noVector = { description: 'The PostgreSQL server has no pgvector, or the mify.rag extension is not active (type unavailable)' };

const ingestResultSchema = z.object({
  documents: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      mediaType: z.string(),
      status: z.enum(['created', 'updated', 'unchanged']),
      chunkCount: z.number().int(),
      chunkIds: z.array(z.string()),
      warnings: z.array(z.string()),
    }),
  ),
  chunkCount: z.number().int(),
});

/** Knowledge bases: create, list, get, delete; ingest documents; search. */
export function knowledgeBaseRoutes(services: () => KernelServices): RouteSpec[] {
  const knowledgeBases = () => services().knowledgeBaseService;

  return [
    defineRoute({
      method: 'post',
      path: '/api/knowledge-bases',
      operationId: 'createKnowledgeBase',
      summary: 'Create a knowledge base with its embedder (default: the local embedder of mify.rag) and chunking',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      body: createKnowledgeBaseSchema,
      responses: { 201: { description: 'Created', schema: knowledgeBaseSchema }, 409: { description: 'The name is taken, or the workspace has the most knowledge bases allowed' }, 422: invalid, 503: noVector },
      handler: async ({ principal, body }) => {
        const record = await knowledgeBases().create(principal!.workspaceId, body);
        return { status: 201, body: record, headers: { location: `/api/knowledge-bases/${record.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/knowledge-bases',
      operationId: 'listKnowledgeBases',
      summary: "List the workspace's knowledge bases, oldest first",
      tags: ['knowledge-bases'],
      auth: 'workspace',
      responses: { 200: { description: 'Every knowledge base of the workspace', schema: z.object({ items: z.array(knowledgeBaseSchema) }) } },
      handler: async ({ principal }) => ({ body: { items: await knowledgeBases().list(principal!.workspaceId) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/knowledge-bases/:id',
      operationId: 'getKnowledgeBase',
      summary: 'Get a knowledge base with its document and chunk counts',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      params: knowledgeBaseParams,
      responses: { 200: { description: 'The knowledge base', schema: knowledgeBaseSchema } },
      handler: async ({ principal, params }) => ({ body: await knowledgeBases().get(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/knowledge-bases/:id',
      operationId: 'deleteKnowledgeBase',
      summary: 'Delete a knowledge base with its documents and chunks',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      params: knowledgeBaseParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await knowledgeBases().delete(principal!.workspaceId, params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/knowledge-bases/:id/ingest',
      operationId: 'ingestKnowledgeBaseDocuments',
      summary: 'Parse, chunk, embed and store documents (text, Markdown, HTML, PDF, CSV), replacing documents with the same id',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      idempotent: true,
      params: knowledgeBaseParams,
      body: ingestSchema,
      responses: { 200: { description: 'What happened to each document, with its chunk ids', schema: ingestResultSchema }, 415: { description: 'A document has an unsupported media type' }, 422: invalid, 503: noVector },
      handler: async ({ principal, params, body }) => ({ body: await knowledgeBases().ingest(principal!.workspaceId, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/knowledge-bases/:id/search',
      operationId: 'searchKnowledgeBase',
      summary: 'Search a knowledge base by similarity, MMR or hybrid (vector and full-text) retrieval',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      access: 'read',
      params: knowledgeBaseParams,
      body: searchSchema,
      responses: { 200: { description: 'The best chunks first', schema: z.object({ query: z.string(), mode: z.string(), results: z.array(searchResultSchema) }) }, 422: invalid },
      handler: async ({ principal, params, body }) => ({ body: await knowledgeBases().search(principal!.workspaceId, params.id, body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/knowledge-bases/:id/documents',
      operationId: 'listKnowledgeBaseDocuments',
      summary: 'List the documents of a knowledge base by id',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      params: knowledgeBaseParams,
      responses: { 200: { description: 'Every document', schema: z.object({ items: z.array(documentRecordSchema) }) } },
      handler: async ({ principal, params }) => ({ body: { items: await knowledgeBases().listDocuments(principal!.workspaceId, params.id) } }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/knowledge-bases/:id/documents/:documentId',
      operationId: 'deleteKnowledgeBaseDocument',
      summary: 'Delete a document and its chunks',
      tags: ['knowledge-bases'],
      auth: 'workspace',
      params: documentParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await knowledgeBases().deleteDocument(principal!.workspaceId, params.id, params.documentId);
        return { status: 204 };
      },
    }),
  ];
}
