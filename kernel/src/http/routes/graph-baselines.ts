import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { actorOf } from './graph-runs.js';

const baselineSchema = z.object({
  graphId: z.string(),
  runId: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  nodes: z.array(z.object({ nodeId: z.string(), nodeName: z.string(), itemCount: z.number().int(), truncated: z.boolean().describe('Only a preview of the output was recorded, so only the preview is compared') })),
});

const comparisonSchema = z.object({
  id: z.string(),
  runId: z.string(),
  baselineRunId: z.string(),
  runStatus: z.enum(['succeeded', 'failed']),
  createdAt: z.date(),
  identical: z.boolean().describe('Every node has status same'),
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      nodeName: z.string(),
      status: z.enum(['same', 'changed', 'missing', 'added']).describe('missing: only the baseline has an output for the node; added: only the run has one'),
      changedPaths: z.array(z.string()).optional().describe('First 10 JSON paths that differ, such as $.main[0].json.total'),
      truncated: z.boolean().optional(),
    }),
  ),
});

const graphParams = z.object({ id: z.string().describe('Graph id') });

/** Baselines of graphs and the comparison of later runs with them. */
export function graphBaselineRoutes(services: () => KernelServices): RouteSpec[] {
  const baselines = () => services().baselineService;

  return [
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/baseline',
      operationId: 'setGraphBaseline',
      summary: 'Make a succeeded run of the graph its baseline; every node output of that run is kept, and later runs started through the graph run routes are compared with it (by other kernel processes that share no pub/sub, within 1 s)',
      tags: ['runs'],
      auth: 'workspace',
      params: graphParams,
      body: z.object({ runId: z.string().min(1) }),
      responses: { 200: { description: 'The baseline', schema: baselineSchema }, 409: { description: 'The run belongs to another graph or did not succeed' } },
      handler: async ({ principal, params, body }) => ({ body: await baselines().setBaseline(principal!.workspaceId, params.id, body.runId, actorOf(principal!)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/baseline',
      operationId: 'getGraphBaseline',
      summary: 'Read the baseline of a graph',
      tags: ['runs'],
      auth: 'workspace',
      params: graphParams,
      responses: { 200: { description: 'The baseline', schema: baselineSchema }, 404: { description: 'The graph has no baseline' } },
      handler: async ({ principal, params }) => ({ body: await baselines().getBaseline(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/graphs/:id/baseline',
      operationId: 'deleteGraphBaseline',
      summary: 'Remove the baseline of a graph; the comparison history stays',
      tags: ['runs'],
      auth: 'workspace',
      params: graphParams,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ principal, params }) => {
        await baselines().deleteBaseline(principal!.workspaceId, params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/comparison-history',
      operationId: 'listGraphRunComparisons',
      summary: 'List the comparisons of finished runs with the baseline, newest first',
      tags: ['runs'],
      auth: 'workspace',
      params: graphParams,
      query: z.object({ cursor: z.string().optional().describe('nextCursor of the previous page'), limit: z.coerce.number().int().min(1).max(200).default(50) }),
      responses: { 200: { description: 'One page of comparisons', schema: z.object({ items: z.array(comparisonSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, params, query }) => ({ body: await baselines().history(principal!.workspaceId, params.id, query) }),
    }),
  ];
}
