import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { itemSchema } from '../../graphs/model.js';
import { catchUpSchema, createScheduleSchema, updateScheduleSchema } from '../../schedules/schedule-schemas.js';
import { MAX_SCHEDULE_PAGE_SIZE } from '../../schedules/schedule-service.js';
import { defineRoute, type RouteSpec } from '../route.js';

const scheduleSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  graphId: z.string(),
  name: z.string(),
  kind: z.enum(['interval', 'cron']),
  intervalMs: z.number().int().nullable().describe('Time between fires in milliseconds; null for cron schedules'),
  cron: z.string().nullable(),
  timezone: z.string().nullable().describe('IANA time zone of a cron schedule'),
  input: z.array(itemSchema),
  version: z.enum(['live', 'draft']),
  enabled: z.boolean(),
  catchUp: catchUpSchema,
  nextFireAt: z.date().nullable().describe('Next due time; null while disabled'),
  lastFiredAt: z.date().nullable(),
  lastRunId: z.string().nullable().describe('Run started by the last fire that started one'),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable().describe('Why the last fire started no run, such as no_live_version; null after a fire that started one'),
  createdBy: z.string().nullable().describe('User or API key whose runs the schedule starts'),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const graphParams = z.object({ id: z.string().describe('Graph id') });
const scheduleParams = graphParams.extend({ scheduleId: z.string().describe('Schedule id') });

const invalid = { description: 'The body is invalid; errors names each field (type validation_failed)' };

/** Schedules that start runs of a graph, and the list of a workspace's schedules. */
export function scheduleRoutes(services: () => KernelServices): RouteSpec[] {
  const schedules = () => services().scheduleService;

  return [
    defineRoute({
      method: 'get',
      path: '/api/schedules',
      operationId: 'listSchedules',
      summary: "List the workspace's schedules, oldest first",
      tags: ['schedules'],
      auth: 'workspace',
      query: z.object({
        graphId: z.string().optional().describe('Only schedules of this graph'),
        enabled: z.enum(['true', 'false']).optional().describe('Only enabled (true) or disabled (false) schedules'),
        cursor: z.string().optional().describe('nextCursor of the previous page'),
        limit: z.coerce.number().int().min(1).max(MAX_SCHEDULE_PAGE_SIZE).optional().describe(`Page size, 1-${MAX_SCHEDULE_PAGE_SIZE}; default 50`),
      }),
      responses: { 200: { description: 'A page of schedules', schema: z.object({ items: z.array(scheduleSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, query }) => ({
        body: await schedules().listForWorkspace(principal!.workspaceId, { graphId: query.graphId, enabled: query.enabled === undefined ? undefined : query.enabled === 'true', cursor: query.cursor, limit: query.limit }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/schedules',
      operationId: 'listGraphSchedules',
      summary: 'List the schedules of a graph, oldest first',
      tags: ['schedules'],
      auth: 'workspace',
      params: graphParams,
      responses: { 200: { description: 'Every schedule of the graph', schema: z.object({ items: z.array(scheduleSchema) }) } },
      handler: async ({ principal, params }) => ({ body: { items: await schedules().listForGraph(principal!.workspaceId, params.id) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/graphs/:id/schedules',
      operationId: 'createSchedule',
      summary: 'Create a schedule that starts runs of the graph every intervalMs (at least 1000) or at the times a cron expression names',
      tags: ['schedules'],
      auth: 'workspace',
      idempotent: true,
      params: graphParams,
      body: createScheduleSchema,
      responses: {
        201: { description: 'Created', schema: scheduleSchema },
        409: { description: 'The graph has a schedule of that name, or the most schedules allowed' },
        422: invalid,
      },
      handler: async ({ principal, params, body }) => {
        const record = await schedules().create(principal!.workspaceId, params.id, principal!.userId ?? principal!.apiKeyId, body);
        return { status: 201, body: record, headers: { location: `/api/graphs/${params.id}/schedules/${record.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/schedules/:scheduleId',
      operationId: 'getSchedule',
      summary: 'Get a schedule',
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      responses: { 200: { description: 'The schedule', schema: scheduleSchema } },
      handler: async ({ principal, params }) => ({ body: await schedules().get(principal!.workspaceId, params.id, params.scheduleId) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/graphs/:id/schedules/:scheduleId',
      operationId: 'updateSchedule',
      summary: 'Change a schedule; a new timing or enabling sets the next due time from now',
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      body: updateScheduleSchema,
      responses: {
        200: { description: 'The changed schedule', schema: scheduleSchema },
        409: { description: 'The graph has another schedule of that name' },
        422: invalid,
      },
      handler: async ({ principal, params, body }) => ({ body: await schedules().update(principal!.workspaceId, params.id, params.scheduleId, body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/graphs/:id/schedules/:scheduleId',
      operationId: 'deleteSchedule',
      summary: 'Delete a schedule; runs it started are kept',
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await schedules().delete(principal!.workspaceId, params.id, params.scheduleId);
        return { status: 204 };
      },
    }),
  ];
}
