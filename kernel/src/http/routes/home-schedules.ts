import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { itemSchema } from '../../graphs/model.js';
import { fromTemplateSchema, MAX_EXECUTIONS_PAGE_SIZE } from '../../schedules/home-schedules.js';
import { NOTIFICATION_EVENTS, notificationInputSchema } from '../../schedules/schedule-notifications.js';
import { listStarterTemplates } from '../../templates/starter-templates.js';
import { defineRoute, type RouteSpec } from '../route.js';

const scheduleParams = z.object({ id: z.string().describe('Schedule id') });

const notificationSchema = z.object({
  id: z.string(),
  scheduleId: z.string(),
  url: z.string(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  createdAt: z.date(),
});
const createdNotificationSchema = notificationSchema.extend({
  secret: z.string().describe('HMAC-SHA256 signing secret; shown only in this response'),
});

const executionSchema = z.object({
  runId: z.string(),
  dueAt: z.date().describe('Due time the schedule fired for'),
  status: z.string().describe('Run status, or deleted for a run deleted since'),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  error: z.object({ message: z.string(), code: z.string().optional() }).nullable(),
});

const waitingSchema = z.object({
  waitId: z.string(),
  runId: z.string(),
  nodeName: z.string(),
  title: z.string().nullable(),
  items: z.array(itemSchema).describe('Items to review'),
  createdAt: z.date(),
});

const templateSchema = z.object({ id: z.string(), name: z.string(), description: z.string(), estimatedTokens: z.number().int(), inputExample: z.record(z.string(), z.unknown()) });

/** The home page's schedule API: schedules from starter templates, their executions, approvals and notification URLs. */
export function homeScheduleRoutes(services: () => KernelServices): RouteSpec[] {
  const home = () => services().homeScheduleService;
  const notifications = () => services().scheduleNotificationService;

  return [
    defineRoute({
      method: 'get',
      path: '/api/home/templates',
      operationId: 'listStarterTemplates',
      summary: 'List the starter templates that from-template and the public demo runner use',
      tags: ['schedules'],
      auth: 'public',
      responses: { 200: { description: 'Starter templates', schema: z.object({ items: z.array(templateSchema) }) } },
      handler: () => ({ body: { items: listStarterTemplates().map(({ graph: _graph, ...template }) => template) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/home/schedules/from-template',
      operationId: 'createScheduleFromTemplate',
      summary: 'Create a graph from a starter template, publish it and schedule its live version',
      tags: ['schedules'],
      auth: 'workspace',
      idempotent: true,
      body: fromTemplateSchema,
      responses: {
        201: {
          description: 'The graph, the schedule and the notification URLs with their secrets',
          schema: z.object({ graph: z.object({ id: z.string(), name: z.string(), versionNumber: z.number().int() }), schedule: z.record(z.string(), z.unknown()), notifications: z.array(createdNotificationSchema) }),
        },
        404: { description: 'No starter template has that id (type template_not_found)' },
        422: { description: 'The body is invalid; errors names each field' },
      },
      handler: async ({ principal, body }) => {
        const actor = principal!.userId ? { type: 'user' as const, id: principal!.userId } : { type: 'api_key' as const, id: principal!.apiKeyId! };
        const created = await home().fromTemplate(principal!.workspaceId, actor, body);
        return { status: 201, body: created, headers: { location: `/api/graphs/${created.graph.id}/schedules/${created.schedule.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/home/schedules/:id/waiting',
      operationId: 'listScheduleWaiting',
      summary: "List the approvals that the schedule's runs wait for, oldest first",
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      responses: { 200: { description: 'Pending approvals', schema: z.object({ items: z.array(waitingSchema) }) } },
      handler: async ({ principal, params }) => ({ body: { items: await home().waiting(principal!.workspaceId, params.id) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/home/schedules/:id/approve',
      operationId: 'approveScheduleWait',
      summary: "Approve the pending approval of the schedule's run: the one waitId names, or the only one",
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      body: z.strictObject({
        waitId: z.string().optional().describe('Needed when several runs wait'),
        comment: z.string().max(10_000).optional(),
        items: z.array(itemSchema).max(10_000).optional().describe('Edited items that replace the reviewed ones'),
      }),
      responses: {
        200: { description: 'The decided wait', schema: z.record(z.string(), z.unknown()) },
        409: { description: 'Nothing waits, or several runs wait and waitId is missing' },
      },
      handler: async ({ principal, params, body }) => ({ body: await home().approve(principal!.workspaceId, params.id, body, principal!.userId ?? principal!.apiKeyId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/home/schedules/:id/executions',
      operationId: 'listScheduleExecutions',
      summary: 'List the runs the schedule started, newest first',
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      query: z.object({
        cursor: z.string().optional().describe('nextCursor of the previous page'),
        limit: z.coerce.number().int().min(1).max(MAX_EXECUTIONS_PAGE_SIZE).optional().describe(`Page size, 1-${MAX_EXECUTIONS_PAGE_SIZE}; default 50`),
      }),
      responses: { 200: { description: 'A page of runs', schema: z.object({ items: z.array(executionSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, params, query }) => ({ body: await home().executions(principal!.workspaceId, params.id, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/home/schedules/:id/notifications',
      operationId: 'listScheduleNotifications',
      summary: "List the schedule's notification URLs (without secrets)",
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      responses: { 200: { description: 'Notification URLs', schema: z.object({ items: z.array(notificationSchema) }) } },
      handler: async ({ principal, params }) => {
        await home().schedule(principal!.workspaceId, params.id);
        return { body: { items: await notifications().list(principal!.workspaceId, params.id) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/home/schedules/:id/notifications',
      operationId: 'createScheduleNotification',
      summary: 'Add a URL that receives signed POSTs about the schedule; the secret is returned once',
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams,
      body: notificationInputSchema,
      responses: { 201: { description: 'Created, with its secret', schema: createdNotificationSchema }, 409: { description: 'The schedule has the most notification URLs allowed' } },
      handler: async ({ principal, params, body }) => {
        await home().schedule(principal!.workspaceId, params.id);
        return { status: 201, body: await notifications().create(principal!.workspaceId, params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/home/schedules/:id/notifications/:notificationId',
      operationId: 'deleteScheduleNotification',
      summary: 'Remove a notification URL; queued deliveries to it are dropped',
      tags: ['schedules'],
      auth: 'workspace',
      params: scheduleParams.extend({ notificationId: z.string() }),
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await notifications().delete(principal!.workspaceId, params.id, params.notificationId);
        return { status: 204 };
      },
    }),
  ];
}
