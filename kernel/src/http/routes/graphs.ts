import { z } from 'zod';
import type { Principal } from '../../auth/identity.js';
import type { KernelServices } from '../../container.js';
import { graphDocumentBodySchema } from '../../graphs/json-schema.js';
import { createGraphSchema, endpointAuthSchema, graphMetadataPatchSchema, scheduleHintSchema } from '../../graphs/metadata.js';
import { graphEdgeSchema, mifyGraphSchema } from '../../graphs/model.js';
import type { GraphActor } from '../../graphs/records.js';
import { defineRoute, type RouteSpec } from '../route.js';

const liveVersionSchema = z.object({ id: z.string(), number: z.number().int(), publishedAt: z.date() }).describe('The published version with the latest publishedAt');

const graphSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  slug: z.string().nullable(),
  tags: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()),
  endpointAuth: endpointAuthSchema,
  scheduleHints: z.array(scheduleHintSchema),
  draftUpdatedAt: z.date(),
  createdBy: z.string().nullable().describe('Id of the user or API key that created the graph'),
  createdAt: z.date(),
  updatedAt: z.date(),
  liveVersion: liveVersionSchema.nullable(),
});
const graphSchema = graphSummarySchema.extend({ draft: mifyGraphSchema });

const versionInfoSchema = z.object({
  id: z.string(),
  graphId: z.string(),
  number: z.number().int(),
  status: z.enum(['published', 'archived']),
  live: z.boolean(),
  definitionHash: z.string().describe('SHA-256 of the definition as canonical JSON, hex'),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  publishedAt: z.date(),
  archivedAt: z.date().nullable(),
});
const versionSchema = versionInfoSchema.extend({ definition: mifyGraphSchema });

const graphProblemSchema = z.object({
  code: z.string(),
  path: z.string().describe('JSON path, such as $.nodes[2].parameters.url'),
  message: z.string(),
  nodeId: z.string().optional(),
  nodeName: z.string().optional(),
  edgeIndex: z.number().int().optional(),
  parameter: z.string().optional(),
});

const valueChangeSchema = z.object({
  path: z.string(),
  kind: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  textDelta: z.string().optional().describe('diff-match-patch patch text (patch_toText) for long strings'),
});
const diffNodeSchema = z.object({ id: z.string(), name: z.string(), type: z.string(), typeVersion: z.number().int() });
const diffSideSchema = z.object({ ref: z.string(), versionId: z.string().nullable(), number: z.number().int().nullable() });
const diffSchema = z.object({
  from: diffSideSchema,
  to: diffSideSchema,
  nodes: z.object({ added: z.array(diffNodeSchema), removed: z.array(diffNodeSchema), changed: z.array(diffNodeSchema.extend({ changes: z.array(valueChangeSchema) })) }),
  edges: z.object({ added: z.array(graphEdgeSchema), removed: z.array(graphEdgeSchema) }),
  settings: z.array(valueChangeSchema),
  annotations: z.array(valueChangeSchema).describe('Changes of pinned data and sticky notes'),
  summary: z.record(z.string(), z.number().int()),
});

const graphParams = z.object({ id: z.string().describe('Graph id') });
const versionRef = z.string().min(1).describe('Version id, or version number');
const pageQuery = {
  cursor: z.string().optional().describe('nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

function actorOf(principal: Principal): GraphActor {
  if (principal.type === 'api_key' && principal.apiKeyId) return { type: 'api_key', id: principal.apiKeyId };
  return { type: 'user', id: principal.userId ?? 'unknown' };
}

/** Graph CRUD, the draft, versions (publish, archive, restore) and diffs. */
export function graphRoutes(services: () => KernelServices): RouteSpec[] {
  const graphs = () => services().graphService;

  return [
    defineRoute({
      method: 'get',
      path: '/api/graphs',
      operationId: 'listGraphs',
      summary: 'List the graphs of the current workspace, newest first',
      tags: ['graphs'],
      auth: 'workspace',
      query: z.object({ ...pageQuery, tag: z.string().optional().describe('Only graphs with this tag'), q: z.string().max(200).optional().describe('Text to find in the name or description, ignoring case') }),
      responses: { 200: { description: 'One page of graphs, without their drafts', schema: z.object({ items: z.array(graphSummarySchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, query }) => ({ body: await graphs().list(principal!.workspaceId, query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs',
      operationId: 'createGraph',
      summary: 'Create a graph; its definition, when given, is validated like a saved draft',
      tags: ['graphs'],
      auth: 'workspace',
      idempotent: true,
      body: createGraphSchema,
      responses: { 201: { description: 'Created', schema: graphSchema } },
      handler: async ({ principal, body }) => ({ status: 201, body: await graphs().create(principal!.workspaceId, actorOf(principal!), body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id',
      operationId: 'getGraph',
      summary: 'Read a graph with its draft',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams,
      responses: { 200: { description: 'Graph', schema: graphSchema } },
      handler: async ({ principal, params }) => ({ body: await graphs().get(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'put',
      path: '/api/graphs/:id',
      operationId: 'updateGraph',
      summary: 'Change metadata: name, description, slug, tags, settings (merged), endpointAuth, scheduleHints; other fields are rejected',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams,
      body: graphMetadataPatchSchema,
      responses: { 200: { description: 'Updated', schema: graphSchema } },
      handler: async ({ principal, params, body }) => ({ body: await graphs().updateMetadata(principal!.workspaceId, params.id, body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/graphs/:id',
      operationId: 'deleteGraph',
      summary: 'Delete a graph and all its versions',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await graphs().delete(principal!.workspaceId, params.id, actorOf(principal!));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/graphs/:id/definition',
      operationId: 'saveGraphDraft',
      summary: 'Replace the draft with a graph document; a 422 lists every problem found',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams,
      body: graphDocumentBodySchema,
      responses: { 200: { description: 'Saved', schema: graphSchema } },
      handler: async ({ principal, params, body }) => ({ body: await graphs().saveDraft(principal!.workspaceId, params.id, body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/validation',
      operationId: 'validateGraphDraft',
      summary: 'Check the stored draft against the node types installed now',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams,
      responses: { 200: { description: 'Every problem found; none when ok', schema: z.object({ ok: z.boolean(), problems: z.array(graphProblemSchema) }) } },
      handler: async ({ principal, params }) => ({ body: await graphs().validateDraft(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/versions',
      operationId: 'listGraphVersions',
      summary: 'List the versions of a graph, highest number first, without their definitions',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams,
      query: z.object(pageQuery),
      responses: { 200: { description: 'One page of versions', schema: z.object({ items: z.array(versionInfoSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, params, query }) => ({ body: await graphs().listVersions(principal!.workspaceId, params.id, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/versions/:versionId',
      operationId: 'getGraphVersion',
      summary: 'Read one version with its definition',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams.extend({ versionId: versionRef }),
      responses: { 200: { description: 'Version', schema: versionSchema } },
      handler: async ({ principal, params }) => ({ body: await graphs().getVersion(principal!.workspaceId, params.id, params.versionId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/publish',
      operationId: 'publishGraph',
      summary: 'Validate the draft and publish it as a new immutable version, which becomes live; an unchanged draft returns its existing version',
      tags: ['graphs'],
      auth: 'workspace',
      idempotent: true,
      params: graphParams,
      responses: {
        201: { description: 'A new version was published', schema: versionInfoSchema },
        200: { description: 'The draft equals an existing version, which is returned and made live', schema: versionInfoSchema },
      },
      handler: async ({ principal, params }) => {
        const { version, created } = await graphs().publish(principal!.workspaceId, params.id, actorOf(principal!));
        return { status: created ? 201 : 200, body: version };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/archive',
      operationId: 'archiveGraphVersion',
      summary: 'Archive the live version, or the version named by versionId; the previously published version becomes live',
      tags: ['graphs'],
      auth: 'workspace',
      idempotent: true,
      params: graphParams,
      query: z.object({ versionId: versionRef.optional() }),
      responses: { 200: { description: 'The archived version and the version live now', schema: z.object({ archived: versionInfoSchema, live: versionInfoSchema.nullable() }) } },
      handler: async ({ principal, params, query }) => ({ body: await graphs().archive(principal!.workspaceId, params.id, actorOf(principal!), query.versionId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/draft-from/:versionId',
      operationId: 'restoreGraphDraft',
      summary: "Replace the draft with a version's definition",
      tags: ['graphs'],
      auth: 'workspace',
      idempotent: true,
      params: graphParams.extend({ versionId: versionRef }),
      responses: { 200: { description: 'The graph with its new draft', schema: graphSchema } },
      handler: async ({ principal, params }) => ({ body: await graphs().draftFromVersion(principal!.workspaceId, params.id, params.versionId, actorOf(principal!)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/versions/:from/diff/:to',
      operationId: 'diffGraphVersions',
      summary: 'Compare two versions structurally: nodes by id with parameter changes, edges, settings; long strings get a text delta',
      tags: ['graphs'],
      auth: 'workspace',
      params: graphParams.extend({ from: versionRef.describe('Version id or number, or draft'), to: versionRef.describe('Version id or number, or draft') }),
      responses: { 200: { description: 'Structural diff from the first to the second', schema: diffSchema } },
      handler: async ({ principal, params }) => ({ body: await graphs().diff(principal!.workspaceId, params.id, params.from, params.to) }),
    }),
  ];
}
