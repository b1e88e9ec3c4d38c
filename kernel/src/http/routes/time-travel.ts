import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { itemSchema } from '../../graphs/model.js';
import { TimeTravelService } from '../../runtime/durable/time-travel.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { runSchema, runStatusSchema, stepSchema } from './runs.js';

const eventSchema = z.object({ id: z.number().int(), type: z.string(), data: z.record(z.string(), z.unknown()) });
const journalSchema = z.object({ stepKey: z.string(), seq: z.number().int(), createdAt: z.date(), result: z.unknown().describe('The activation result: { kind: output, ports, usage?, state? } or { kind: skipped }') });
const branchResultSchema = z.object({
  run: runSchema,
  sourceRunId: z.string(),
  fromStepKey: z.string().describe('Step key of the first step that runs again'),
  reusedSteps: z.number().int().describe('Activations taken from the source run instead of running again'),
});
const pointer = {
  runId: z.string().describe('Source run to go back into'),
  stepKey: z.string().optional().describe('<nodeId>:<activation> of the step to start from'),
  seq: z.number().int().min(1).optional().describe('Sequence number of the step in the run, used when stepKey is absent'),
  wait: z.boolean().default(false).describe('Whether to respond only after the new run has finished'),
};

/**
 * Defines the time-travel routes: run history, replay, fork and run search. The routes are the
 * same on every run back end, but only the durable ones keep a journal for replay and fork to reuse.
 */
export function timeTravelRoutes(services: () => KernelServices): RouteSpec[] {
  const runs = () => services().runService;
  const travel = () => new TimeTravelService(runs());

  return [
    defineRoute({
      method: 'get',
      path: '/api/temporal-time-travel/history/:runId',
      operationId: 'getRunHistory',
      summary: 'Get the full history of a run: events, step attempts and journal',
      tags: ['time travel'],
      auth: 'workspace',
      params: z.object({ runId: z.string() }),
      responses: { 200: { description: 'The run with every event, step attempt and journal entry, in order', schema: z.object({ run: runSchema, events: z.array(eventSchema), steps: z.array(stepSchema), journal: z.array(journalSchema) }) } },
      handler: async ({ principal, params }) => ({ body: await runs().history(principal!.workspaceId, params.runId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/temporal-time-travel/replay',
      operationId: 'replayRun',
      summary: 'Re-execute a run from a chosen step',
      tags: ['time travel'],
      auth: 'workspace',
      idempotent: true,
      body: z.object(pointer),
      responses: { 201: { description: 'The new run', schema: branchResultSchema } },
      handler: async ({ principal, body }) => {
        const result = await travel().replay(principal!.workspaceId, body.runId, { stepKey: body.stepKey, seq: body.seq }, principal!.userId ?? principal!.apiKeyId, body.wait);
        return { status: 201, body: result, headers: { location: `/api/runs/${result.run.id}` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/temporal-time-travel/fork',
      operationId: 'forkRun',
      summary: 'Start a new run from a step of another, with new input for that step',
      tags: ['time travel'],
      auth: 'workspace',
      idempotent: true,
      body: z.object({
        ...pointer,
        input: z.array(itemSchema).max(100_000).optional().describe("Items for the step's first input port"),
        ports: z.record(z.string(), z.array(itemSchema)).optional().describe('Items by input port name'),
      }),
      responses: { 201: { description: 'The new run (mode fork)', schema: branchResultSchema } },
      handler: async ({ principal, body }) => {
        const result = await travel().fork(principal!.workspaceId, body.runId, { stepKey: body.stepKey, seq: body.seq }, { input: body.input, ports: body.ports }, principal!.userId ?? principal!.apiKeyId, body.wait);
        return { status: 201, body: result, headers: { location: `/api/runs/${result.run.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/temporal-time-travel/runs',
      operationId: 'listTimeTravelRuns',
      summary: 'Find runs by graph, user, status and time',
      tags: ['time travel'],
      auth: 'workspace',
      query: z.object({
        graphId: z.string().optional(),
        userId: z.string().optional().describe('User or API key that started the run'),
        status: runStatusSchema.optional(),
        since: z.coerce.date().optional(),
        until: z.coerce.date().optional(),
        cursor: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: { 200: { description: 'Runs, newest first', schema: z.object({ items: z.array(runSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, query }) => {
        const { userId, ...rest } = query;
        return { body: await runs().list(principal!.workspaceId, { ...rest, createdBy: userId }) };
      },
    }),
  ];
}
