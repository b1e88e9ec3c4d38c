import { z } from 'zod';
import type { Principal } from '../../auth/identity.js';
import type { KernelServices } from '../../container.js';
import type { VersionSelector } from '../../graphs/graph-runs.js';
import { itemSchema } from '../../graphs/model.js';
import type { GraphActor } from '../../graphs/records.js';
import { defineRoute, type RouteSpec } from '../route.js';

const runRecordSchema = z.looseObject({ id: z.string(), status: z.string() }).describe('The run as GET /api/runs/:id returns it, without steps');

const inputSchema = z.array(itemSchema).max(100_000);

const versionSelectorSchema = z
  .union([z.number().int().min(1), z.literal('live'), z.literal('draft')])
  .default('live')
  .describe('Definition to run: a version number, "live" (the published version, the default for API callers) or "draft" (what the studio\'s Run button sends)');

/** The same choice as a query parameter: `live`, `draft` or a version number. */
const versionQuerySchema = z
  .string()
  .regex(/^(live|draft|[1-9]\d{0,9})$/, 'expected live, draft or a version number')
  .default('live')
  .transform((value): VersionSelector => (value === 'live' || value === 'draft' ? value : Number(value)));

const templateSchema = z.object({
  id: z.string(),
  graphId: z.string(),
  name: z.string(),
  input: z.array(itemSchema),
  createdBy: z.string().nullable().describe('Id of the user or API key that saved the template'),
  createdAt: z.date(),
});

const graphParams = z.object({ id: z.string().describe('Graph id') });
const templateParams = graphParams.extend({ tid: z.string().describe('Run template id') });

export function actorOf(principal: Principal): GraphActor {
  if (principal.type === 'api_key' && principal.apiKeyId) return { type: 'api_key', id: principal.apiKeyId };
  return { type: 'user', id: principal.userId ?? 'unknown' };
}

/** `manual` for a signed-in user, `api` for an API key. */
function modeOf(principal: Principal): string {
  return principal.type === 'user' ? 'manual' : 'api';
}

/** Runs of stored graphs and their run templates (saved inputs). */
export function graphRunRoutes(services: () => KernelServices): RouteSpec[] {
  const graphRuns = () => services().graphRunService;
  const templates = () => services().runTemplateService;

  return [
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/runs',
      operationId: 'runGraph',
      summary: 'Run a stored graph: its live version by default, or the draft or a numbered version; the definition is validated first',
      tags: ['runs'],
      auth: 'workspace',
      idempotent: true,
      params: graphParams,
      body: z.object({
        input: inputSchema.optional().describe('Items for the trigger nodes (or the nodes without inputs); default one empty item'),
        version: versionSelectorSchema,
        wait: z.boolean().default(false).describe('Respond when the run has finished, with its output'),
      }),
      responses: {
        201: { description: 'The run, running or queued', schema: runRecordSchema },
        200: { description: 'The finished run with its output (wait: true)', schema: runRecordSchema },
        409: { description: 'version is "live" and the graph has no published version (type no_live_version)' },
        422: { description: 'The chosen definition has problems; errors lists every one' },
      },
      handler: async ({ principal, params, body }) => {
        const run = await graphRuns().start({ workspaceId: principal!.workspaceId, graphId: params.id, version: body.version, input: body.input ?? [{ json: {} }], mode: modeOf(principal!), createdBy: principal!.userId ?? principal!.apiKeyId, wait: body.wait });
        return { status: body.wait ? 200 : 201, body: run, headers: { location: `/api/runs/${run.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/run-templates',
      operationId: 'listRunTemplates',
      summary: 'List the run templates (saved inputs) of a graph, oldest first',
      tags: ['runs'],
      auth: 'workspace',
      params: graphParams,
      responses: { 200: { description: 'Every template of the graph', schema: z.object({ items: z.array(templateSchema) }) } },
      handler: async ({ principal, params }) => ({ body: { items: await templates().list(principal!.workspaceId, params.id) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/run-templates',
      operationId: 'createRunTemplate',
      summary: 'Save an input under a name to run the graph with later',
      tags: ['runs'],
      auth: 'workspace',
      idempotent: true,
      params: graphParams,
      body: z.object({ name: z.string().trim().min(1).max(200), input: inputSchema.default([{ json: {} }]) }),
      responses: { 201: { description: 'Created', schema: templateSchema }, 409: { description: 'The graph has a template of that name' } },
      handler: async ({ principal, params, body }) => ({ status: 201, body: await templates().create(principal!.workspaceId, params.id, actorOf(principal!), body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/graphs/:id/run-templates/:tid',
      operationId: 'deleteRunTemplate',
      summary: 'Delete a run template',
      tags: ['runs'],
      auth: 'workspace',
      params: templateParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await templates().delete(principal!.workspaceId, params.id, params.tid);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/run-templates/:tid/execute',
      operationId: 'executeRunTemplate',
      summary: "Run the graph with a template's input: the live version, or the one named by ?version=",
      tags: ['runs'],
      auth: 'workspace',
      idempotent: true,
      params: templateParams,
      query: z.object({
        version: versionQuerySchema.describe('live (default), draft, or a version number'),
        wait: z.enum(['true', 'false']).default('false').describe('Respond when the run has finished'),
      }),
      responses: {
        201: { description: 'The run, running or queued', schema: runRecordSchema },
        200: { description: 'The finished run with its output (wait=true)', schema: runRecordSchema },
        409: { description: 'The live version is asked for and none is published (type no_live_version)' },
      },
      handler: async ({ principal, params, query }) => {
        const template = await templates().get(principal!.workspaceId, params.id, params.tid);
        const wait = query.wait === 'true';
        const run = await graphRuns().start({ workspaceId: principal!.workspaceId, graphId: params.id, version: query.version, input: template.input, mode: modeOf(principal!), createdBy: principal!.userId ?? principal!.apiKeyId, wait });
        return { status: wait ? 200 : 201, body: run, headers: { location: `/api/runs/${run.id}` } };
      },
    }),
  ];
}
