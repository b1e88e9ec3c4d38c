import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { graphDocumentBodySchema } from '../../graphs/json-schema.js';
import { itemSchema } from '../../graphs/model.js';
import { defineRoute, type RouteSpec } from '../route.js';

const nodeResultSchema = z.object({
  nodeId: z.string(),
  nodeName: z.string(),
  status: z.enum(['ran', 'reused', 'pinned', 'skipped', 'failed']).describe('reused: its cached output stood in for it; skipped: it got no items, was not needed for the target, or was not reached'),
  dirty: z.boolean().describe('Its definition or incoming edges differ from the live version, or a node above it does; every node is dirty when none is published'),
  oversized: z.boolean().describe('Its output passed MIFY_CACHE_MAX_OUTPUT_BYTES (or MIFY_RUN_RECORD_MAX_BYTES), so it was not cached'),
  cached: z.boolean().describe('This run stored its output in the cache'),
  contentKey: z.string().nullable().describe('SHA-256 of the node definition and the keys of its inputs; null when an input cannot be known before the run'),
  notCacheable: z.string().nullable().describe('Why the output is not cached: not deterministic, pinned, disabled, trigger, loop, sub-workflow, input not known before the run'),
  itemCount: z.number().int().nullable(),
  error: z.unknown(),
});

/** Partial execution from the editor canvas and its output cache. */
export function canvasExecuteRoutes(services: () => KernelServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/canvas-execute',
      operationId: 'executeCanvas',
      summary: 'Run the canvas state of a graph, reusing the cached outputs of unchanged deterministic nodes; responds when the run has finished',
      tags: ['runs'],
      auth: 'workspace',
      idempotent: true,
      body: z.object({
        graphId: z.string().min(1).describe('The stored graph the canvas edits; its cache, live version and draft are used'),
        graph: graphDocumentBodySchema.optional().describe('The canvas state; the stored draft when left out'),
        input: z.array(itemSchema).max(100_000).optional().describe('Items for the start nodes; default one empty item'),
        pinnedData: z.record(z.string(), z.array(itemSchema)).optional().describe("Node id → items used instead of running the node, on top of the graph's own pinned data"),
        targetNodeId: z.string().optional().describe('Run only this node and the nodes it needs'),
      }),
      responses: {
        200: {
          description: 'The finished run, the status of every node and what the cache did',
          schema: z.object({
            runId: z.string(),
            run: z.looseObject({ id: z.string(), status: z.string() }),
            nodes: z.array(nodeResultSchema),
            cache: z.object({ reused: z.number().int(), stored: z.number().int(), oversized: z.number().int() }),
          }),
        },
      },
      handler: async ({ principal, body }) => ({
        body: await services().partialExecutionService.execute({
          workspaceId: principal!.workspaceId,
          graphId: body.graphId,
          ...(body.graph !== undefined ? { graph: body.graph } : {}),
          ...(body.input !== undefined ? { input: body.input } : {}),
          ...(body.pinnedData !== undefined ? { pinnedData: body.pinnedData } : {}),
          ...(body.targetNodeId !== undefined ? { targetNodeId: body.targetNodeId } : {}),
          createdBy: principal!.userId ?? principal!.apiKeyId,
        }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/canvas-execute/cache',
      operationId: 'getNodeOutputCacheUsage',
      summary: 'Size of the node-output cache of the current workspace and its limits',
      tags: ['runs'],
      auth: 'workspace',
      responses: {
        200: {
          description: 'Entries and bytes cached, with the limits in bytes',
          schema: z.object({ entries: z.number().int(), bytes: z.number().int(), maxWorkspaceBytes: z.number().int(), maxOutputBytes: z.number().int() }),
        },
      },
      handler: async ({ principal }) => {
        const cache = services().nodeOutputCache;
        return { body: { ...(await cache.usage(principal!.workspaceId)), ...cache.limits } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/canvas-execute/admin/cache-clear',
      operationId: 'clearNodeOutputCache',
      summary: 'Delete the cached node outputs of the workspace, or of one graph (workspace owners only)',
      tags: ['runs'],
      auth: 'workspace',
      access: 'manage',
      body: z.object({ graphId: z.string().min(1).optional().describe('Only this graph; every graph of the workspace when left out') }),
      responses: { 200: { description: 'How many cached outputs were deleted', schema: z.object({ deleted: z.number().int() }) } },
      handler: async ({ principal, body }) => {
        const { graphService, nodeOutputCache } = services();
        if (body.graphId !== undefined) await graphService.get(principal!.workspaceId, body.graphId);
        return { body: { deleted: await nodeOutputCache.clear(principal!.workspaceId, body.graphId) } };
      },
    }),
  ];
}
