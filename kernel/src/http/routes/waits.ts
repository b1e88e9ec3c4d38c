import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { BadRequestError } from '../../errors.js';
import { itemSchema } from '../../graphs/model.js';
import { defineRoute, type RouteSpec } from '../route.js';

const waitStatusSchema = z.enum(['pending', 'approved', 'rejected', 'resumed', 'elapsed', 'expired', 'cancelled']);
const waitKindSchema = z.enum(['approval', 'timer', 'resume']);

const waitSchema = z.object({
  id: z.string(),
  runId: z.string(),
  rootRunId: z.string().describe('Top-level run; differs from runId when the wait is in a sub-workflow'),
  workspaceId: z.string(),
  graphId: z.string().nullable(),
  nodeId: z.string(),
  nodeName: z.string(),
  stepKey: z.string().describe('<nodeId>:<activation>'),
  kind: waitKindSchema.describe('approval: a reviewer approves or rejects; timer: continues at resumeAt; resume: continues when resumed'),
  status: waitStatusSchema,
  request: z.object({
    kind: waitKindSchema,
    until: z.string().optional(),
    title: z.string().optional(),
    instructions: z.string().optional(),
    items: z.array(itemSchema).optional().describe('Items to review'),
    allowEdit: z.boolean().optional().describe('Whether the reviewer may send edited items'),
    form: z.record(z.string(), z.unknown()).optional().describe('JSON Schema of extra fields the reviewer fills in'),
  }),
  resumeAt: z.date().nullable().describe('When a timer elapses, or when an approval or resume wait expires'),
  decision: z.object({ items: z.array(itemSchema).optional(), form: z.record(z.string(), z.unknown()).optional() }).nullable(),
  comment: z.string().nullable(),
  decidedBy: z.string().nullable().describe('User or API key that decided'),
  decidedAt: z.date().nullable(),
  createdAt: z.date(),
});

const waitParams = z.object({ id: z.string().describe('Wait id') });

/** Wait status that each decision of `POST /api/waits/:id/decision` sets. */
const DECISION_OUTCOMES = { approve: 'approved', reject: 'rejected', resume: 'resumed' } as const;

/** Defines the routes of human-in-the-loop waits: listing and reading the waits of runs, and deciding them to continue the runs. */
export function waitRoutes(services: () => KernelServices): RouteSpec[] {
  const runs = () => services().runService;

  return [
    defineRoute({
      method: 'get',
      path: '/api/waits',
      operationId: 'listWaits',
      summary: 'List the waits of runs in the workspace, oldest first',
      tags: ['waits'],
      auth: 'workspace',
      query: z.object({
        status: waitStatusSchema.optional().describe('Status to list; pending lists the open waits'),
        kind: waitKindSchema.optional(),
        runId: z.string().optional().describe('A run, or a top-level run with its sub-workflows'),
        graphId: z.string().optional(),
        cursor: z.string().optional().describe('nextCursor of the previous page'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: { 200: { description: 'Waits', schema: z.object({ items: z.array(waitSchema), nextCursor: z.string().nullable() }) } },
      handler: async ({ principal, query }) => {
        const rows = await runs().waits.list(principal!.workspaceId, { ...query, after: query.cursor === undefined ? undefined : decodeCursor(query.cursor), limit: query.limit + 1 });
        const items = rows.slice(0, query.limit);
        const last = items[items.length - 1];
        const nextCursor = rows.length > query.limit && last ? encodeCursor(last) : null;
        return { body: { items, nextCursor } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/waits/:id',
      operationId: 'getWait',
      summary: 'Describe a wait, with the items to review',
      tags: ['waits'],
      auth: 'workspace',
      params: waitParams,
      responses: { 200: { description: 'The wait', schema: waitSchema } },
      handler: async ({ principal, params }) => ({ body: await runs().waits.get(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/waits/:id/decision',
      operationId: 'decideWait',
      summary: 'Approve, reject or resume a pending wait',
      tags: ['waits'],
      auth: 'workspace',
      params: waitParams,
      body: z.object({
        decision: z.enum(['approve', 'reject', 'resume']),
        comment: z.string().max(10_000).optional(),
        items: z.array(itemSchema).max(10_000).optional().describe('Edited items that replace the reviewed ones'),
        form: z.record(z.string(), z.unknown()).optional().describe('Values of the approval form'),
      }),
      responses: { 200: { description: 'The decided wait', schema: waitSchema } },
      handler: async ({ principal, params, body }) => {
        const outcome = DECISION_OUTCOMES[body.decision];
        const wait = await runs().decide(principal!.workspaceId, params.id, { outcome, items: body.items, form: body.form, comment: body.comment, decidedBy: principal!.userId ?? principal!.apiKeyId });
        return { body: wait };
      },
    }),
  ];
}

/** Encodes the position after `wait` as an opaque page cursor. */
function encodeCursor(wait: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: wait.createdAt.toISOString(), id: wait.id })).toString('base64url');
}

/** @throws BadRequestError (400, `invalid_cursor`) when `cursor` was not produced by `encodeCursor`. */
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { createdAt?: unknown; id?: unknown };
    if (typeof value.createdAt === 'string' && typeof value.id === 'string' && !Number.isNaN(Date.parse(value.createdAt))) return { createdAt: new Date(value.createdAt), id: value.id };
  } catch {
    // Not base64url JSON: fall through to the error below.
  }
  throw new BadRequestError('invalid_cursor', 'Invalid cursor: it was not returned by GET /api/waits. Pass the nextCursor of the previous page unchanged.');
}
