import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { ValidationError } from '../../errors.js';
import { graphDocumentBodySchema } from '../../graphs/json-schema.js';
import { itemSchema } from '../../graphs/model.js';
import { validateGraph } from '../../graphs/validate.js';
import { defineRoute, type RouteSpec } from '../route.js';

/** Interval of the comment lines that keep an idle event stream open through proxies, in milliseconds. */
export const SSE_HEARTBEAT_MS = 15_000;

export const runStatusSchema = z.enum(['queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled']);

const errorSchema = z
  .object({ message: z.string(), code: z.string(), nodeId: z.string().optional(), nodeName: z.string().optional(), stack: z.string().optional().describe('Stack frames of the extension only') })
  .nullable();

const usageSchema = z.record(z.string(), z.number()).describe('tokens, inputTokens, outputTokens and costUsd (US dollars), summed over the steps');

const recordedItemsSchema = z
  .object({ items: z.array(itemSchema), itemCount: z.number().int(), truncated: z.boolean() })
  .nullable()
  .describe('Items as recorded: every item for audited runs within the record limit, else a preview of the first 20');

export const runSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  graphId: z.string().nullable(),
  versionId: z.string().nullable(),
  parentRunId: z.string().nullable(),
  depth: z.number().int().describe('0 for a top-level run, parent depth + 1 for a sub-workflow run'),
  status: runStatusSchema,
  mode: z.string().describe('manual, api, partial, subworkflow, trigger, schedule, replay, fork, …'),
  rigor: z.enum(['audited', 'experimental']),
  input: recordedItemsSchema,
  output: recordedItemsSchema,
  error: errorSchema,
  usage: usageSchema,
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  timeoutAt: z.date().nullable(),
  cancelRequested: z.boolean(),
});

export const stepSchema = z.object({
  id: z.string(),
  seq: z.number().int().describe('Order in which the steps started, from 1'),
  nodeId: z.string(),
  nodeName: z.string(),
  nodeType: z.string(),
  typeVersion: z.number().int(),
  activation: z.number().int().describe('Activation of the node in the run, from 1; loop bodies run once per iteration'),
  attempt: z.number().int(),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped', 'cancelled', 'waiting', 'interrupted']).describe('waiting: the node asked to wait; interrupted: the kernel stopped during the step, which ran again when the run resumed'),
  pinned: z.boolean(),
  disabled: z.boolean(),
  childRunId: z.string().nullable(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  durationMs: z.number().int().nullable(),
  inputHash: z.string().nullable().describe('SHA-256 (hex) of the canonical JSON of node type, version, parameters and input items. Set on steps of audited runs only. Null in experimental runs, for skipped, pinned and disabled steps, and for steps rejected by the item count or input size limit'),
  input: z.unknown().describe('{ ports, itemCounts, truncated }'),
  output: z.unknown().describe('{ ports, itemCounts, truncated }'),
  outputItemCount: z.number().int().nullable(),
  oversized: z.boolean().describe('Input or output passed MIFY_RUN_RECORD_MAX_BYTES, so only a preview is recorded'),
  error: z.unknown(),
  idempotencyKey: z.string().describe('<run id>:<node id>:<activation>, the same for every attempt'),
  usage: z.unknown(),
  trace: z
    .array(z.object({ type: z.string(), seq: z.number().int(), at: z.string() }).catchall(z.unknown()))
    .describe('Entries the node recorded with the runs.trace host method, in order, such as the thoughts, tool calls and observations of an agent'),
});

const runParams = z.object({ id: z.string().describe('Run id') });

export function runRoutes(services: () => KernelServices): RouteSpec[] {
  const runs = () => services().runService;

  return [
    defineRoute({
      method: 'get',
      path: '/api/runs',
      operationId: 'listRuns',
      summary: 'List the runs of the current workspace, newest first',
      tags: ['runs'],
      auth: 'workspace',
      query: z.object({
        graphId: z.string().optional(),
        status: runStatusSchema.optional(),
        since: z.coerce.date().optional().describe('Runs created at or after this time (ISO 8601)'),
        until: z.coerce.date().optional().describe('Runs created before this time (ISO 8601)'),
        cursor: z.string().optional().describe('nextCursor of the previous page'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: { 200: { description: 'Runs without their input and output', schema: z.object({ items: z.array(runSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, query }) => ({ body: await runs().list(principal!.workspaceId, query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/runs',
      operationId: 'startRun',
      summary: 'Run a graph sent in the request',
      tags: ['runs'],
      auth: 'workspace',
      idempotent: true,
      body: z.object({
        graph: graphDocumentBodySchema,
        input: z.array(itemSchema).max(100_000).optional().describe('Items for the trigger nodes (or the nodes without inputs); default one empty item'),
        wait: z.boolean().default(false).describe('Respond when the run has finished instead of when it has started or been queued'),
      }),
      responses: { 201: { description: 'The run, running or queued, or finished with wait', schema: runSchema } },
      handler: async ({ principal, body }) => {
        const validation = validateGraph(body.graph, services().nodeTypes.snapshot());
        if (!validation.ok) throw new ValidationError(`The graph is invalid: ${validation.problems.map((problem) => problem.message).join(' ')}`, validation.problems.map((problem) => ({ path: `graph${problem.path.slice(1)}`, message: problem.message })));

        const run = await runs().start({
          workspaceId: principal!.workspaceId,
          graph: { id: null, versionId: null, workspaceId: principal!.workspaceId, graph: validation.graph },
          input: body.input ?? [{ json: {} }],
          mode: principal!.type === 'user' ? 'manual' : 'api',
          createdBy: principal!.userId ?? principal!.apiKeyId,
          waitForCompletion: body.wait,
        });
        return { status: 201, body: run, headers: { location: `/api/runs/${run.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/runs/:id',
      operationId: 'getRun',
      summary: 'Describe a run with its steps',
      tags: ['runs'],
      auth: 'workspace',
      params: runParams,
      responses: { 200: { description: 'The run and every step attempt in start order', schema: runSchema.extend({ steps: z.array(stepSchema) }) } },
      handler: async ({ principal, params }) => ({ body: await runs().get(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/runs/:id/cancel',
      operationId: 'cancelRun',
      summary: 'Cancel a run that has not finished',
      tags: ['runs'],
      auth: 'workspace',
      params: runParams,
      responses: { 200: { description: 'The run, cancelled (or with cancelRequested when another kernel process runs it)', schema: runSchema } },
      handler: async ({ principal, params }) => ({ body: await runs().cancel(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/runs/:id/pause',
      operationId: 'pauseRun',
      summary: 'Pause a running or waiting run',
      tags: ['runs'],
      auth: 'workspace',
      params: runParams,
      responses: { 200: { description: 'The run, paused (or still running when its current step takes longer than 10 s; it pauses after that step)', schema: runSchema } },
      handler: async ({ principal, params }) => ({ body: await runs().pause(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/runs/:id/resume',
      operationId: 'resumeRun',
      summary: 'Resume a paused run, or a run waiting on a pause node',
      tags: ['runs'],
      auth: 'workspace',
      params: runParams,
      responses: { 200: { description: 'The run, due to continue', schema: runSchema } },
      handler: async ({ principal, params }) => ({ body: await runs().resume(principal!.workspaceId, params.id, principal!.userId ?? principal!.apiKeyId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/runs/:id/events',
      operationId: 'streamRunEvents',
      summary: 'Stream the events of a run (Server-Sent Events)',
      tags: ['runs'],
      auth: 'workspace',
      params: runParams,
      responses: {
        200: {
          description:
            'Events run.started, step.started, step.progress, step.succeeded, step.failed, step.skipped, step.cancelled, step.waiting, wait.created, wait.decided, run.waiting, run.paused, run.resumed and run.finished, each with an id counting up from 1. ' +
            'step.progress carries partial output of a running step, { runId, stepId, nodeId, delta }, such as the text a streamed model writes; it is not part of the step record. ' +
            'Events already recorded come first; send Last-Event-ID to resume after an id. A comment line every 15 s keeps the stream open; it ends after run.finished.',
          contentType: 'text/event-stream',
        },
        204: { description: 'The run has finished and has no event after Last-Event-ID' },
      },
      handler: async ({ c, principal, params }) => {
        const lastEventId = Number.parseInt(c.req.header('last-event-id') ?? '0', 10);
        const controller = new AbortController();
        const events = await runs().events(principal!.workspaceId, params.id, Number.isFinite(lastEventId) && lastEventId > 0 ? lastEventId : 0, controller.signal);
        // A 204 response stops an EventSource from reconnecting after the end of a finished run.
        if (events === null) return new Response(null, { status: 204 });

        return streamSSE(c, async (stream) => {
          stream.onAbort(() => controller.abort());
          const heartbeat = setInterval(() => {
            stream.write(': heartbeat\n\n').catch(() => controller.abort());
          }, SSE_HEARTBEAT_MS);
          try {
            for await (const event of events) {
              await stream.writeSSE({ id: String(event.id), event: event.type, data: JSON.stringify(event.data) });
            }
          } finally {
            clearInterval(heartbeat);
            controller.abort();
          }
        });
      },
    }),
  ];
}
