import { z } from 'zod';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import type { GraphActor } from '../graphs/records.js';
import type { GraphService } from '../graphs/service.js';
import type { Item } from '../graphs/model.js';
import type { Logger } from '../logger.js';
import type { RunService } from '../runtime/run-service.js';
import type { Database } from '../storage/database.js';
import { getStarterTemplate } from '../templates/starter-templates.js';
import { createScheduleSchema } from './schedule-schemas.js';
import type { ScheduleService } from './schedule-service.js';
import type { ScheduleRecord } from './schedule-store.js';
import { notificationInputSchema, type NotificationRecord, type ScheduleNotificationService } from './schedule-notifications.js';

export const DEFAULT_EXECUTIONS_PAGE_SIZE = 50;
export const MAX_EXECUTIONS_PAGE_SIZE = 200;

export const fromTemplateSchema = z.strictObject({
  templateId: z.string().min(1).describe('Id of a starter template, such as daily-digest (GET /api/home/templates lists them)'),
  graphName: z.string().trim().min(1).max(200).optional().describe("Name of the new graph; default the template's name"),
  schedule: createScheduleSchema.extend({ name: createScheduleSchema.shape.name.default('Schedule') }).omit({ version: true }),
  notifications: z.array(notificationInputSchema).max(10).default([]).describe('URLs that receive signed POSTs about the schedule; each secret is returned once'),
});
export type FromTemplateInput = z.output<typeof fromTemplateSchema>;

/** A run a schedule started, as the executions API lists it. */
export interface ScheduleExecution {
  runId: string;
  dueAt: Date;
  status: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: { message: string; code?: string } | null;
}

/** A pending approval of a run a schedule started. */
export interface WaitingApproval {
  waitId: string;
  runId: string;
  nodeName: string;
  title: string | null;
  items: Item[];
  createdAt: Date;
}

export interface HomeScheduleDeps {
  db: Database;
  logger: Logger;
  graphService: Pick<GraphService, 'create' | 'publish' | 'get'>;
  scheduleService: Pick<ScheduleService, 'create' | 'get'>;
  notifications: Pick<ScheduleNotificationService, 'create'>;
  runService: () => Pick<RunService, 'decide'>;
}

/**
 * Schedules as the home page uses them: one call creates a graph from a starter template,
 * publishes it and schedules it; then its executions and the approvals its runs wait for
 * are read and decided by schedule id alone.
 */
export class HomeScheduleService {
  constructor(private readonly deps: HomeScheduleDeps) {}

  /** Creates the graph, publishes it, creates the schedule of its live version and the notification URLs. */
  async fromTemplate(workspaceId: string, actor: GraphActor, input: FromTemplateInput): Promise<{ graph: { id: string; name: string; versionNumber: number }; schedule: ScheduleRecord; notifications: Array<NotificationRecord & { secret: string }> }> {
    const template = getStarterTemplate(input.templateId);
    const graph = await this.deps.graphService.create(workspaceId, actor, { name: input.graphName ?? template.name, description: template.description, tags: [`template:${template.id}`], definition: template.graph });
    const { version } = await this.deps.graphService.publish(workspaceId, graph.id, actor);
    const schedule = await this.deps.scheduleService.create(workspaceId, graph.id, actor.id, { ...input.schedule, version: 'live' });

    const notifications: Array<NotificationRecord & { secret: string }> = [];
    for (const notification of input.notifications) notifications.push(await this.deps.notifications.create(workspaceId, schedule.id, notification));
    this.deps.logger.info({ workspaceId, graphId: graph.id, scheduleId: schedule.id, templateId: template.id }, 'scheduled graph created from a starter template');
    return { graph: { id: graph.id, name: graph.name, versionNumber: version.number }, schedule, notifications };
  }

  /** @throws NotFoundError for a schedule of another workspace. */
  async schedule(workspaceId: string, scheduleId: string): Promise<ScheduleRecord> {
    const [row] = await this.deps.db.query<{ graph_id: string }>(`select graph_id from schedules where id = $1 and workspace_id = $2`, [scheduleId, workspaceId]);
    if (!row) throw new NotFoundError('Schedule', scheduleId);
    return this.deps.scheduleService.get(workspaceId, row.graph_id, scheduleId);
  }

  /** Lists the pending approvals of the schedule's runs, oldest first. */
  async waiting(workspaceId: string, scheduleId: string): Promise<WaitingApproval[]> {
    await this.schedule(workspaceId, scheduleId);
    const rows = await this.deps.db.query<{ id: string; root_run_id: string; node_name: string; request: { title?: string; items?: Item[] }; created_at: string }>(
      `select w.id, w.root_run_id, w.node_name, w.request, w.created_at from run_waits w
       join schedule_runs s on s.run_id = w.root_run_id
       where s.schedule_id = $1 and w.workspace_id = $2 and w.kind = 'approval' and w.status = 'pending'
       order by w.created_at, w.id limit 500`,
      [scheduleId, workspaceId],
    );
    return rows.map((row) => ({ waitId: row.id, runId: row.root_run_id, nodeName: row.node_name, title: row.request.title ?? null, items: row.request.items ?? [], createdAt: new Date(row.created_at) }));
  }

  /**
   * Approves a pending approval of the schedule's runs: the one named by `waitId`, or the
   * only one there is.
   *
   * @throws ConflictError when nothing waits, or several approvals wait and no `waitId` says which.
   */
  async approve(workspaceId: string, scheduleId: string, decision: { waitId?: string | undefined; comment?: string | undefined; items?: Item[] | undefined }, decidedBy: string | null) {
    const pending = await this.waiting(workspaceId, scheduleId);
    let waitId = decision.waitId;
    if (waitId === undefined) {
      if (pending.length === 0) throw new ConflictError(`No run of schedule '${scheduleId}' waits for an approval.`, { scheduleId });
      if (pending.length > 1) throw new ConflictError(`${pending.length} runs of schedule '${scheduleId}' wait for an approval; send waitId, one of ${pending.map((wait) => wait.waitId).join(', ')}.`, { scheduleId, waitIds: pending.map((wait) => wait.waitId) });
      waitId = pending[0]!.waitId;
    } else if (!pending.some((wait) => wait.waitId === waitId)) {
      throw new NotFoundError('Pending approval of this schedule', waitId);
    }
    return this.deps.runService().decide(workspaceId, waitId, { outcome: 'approved', items: decision.items, comment: decision.comment, decidedBy });
  }

  /** Lists the runs the schedule started, newest first, a page at a time. */
  async executions(workspaceId: string, scheduleId: string, query: { cursor?: string | undefined; limit?: number | undefined }): Promise<{ items: ScheduleExecution[]; nextCursor: string | null }> {
    await this.schedule(workspaceId, scheduleId);
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_EXECUTIONS_PAGE_SIZE, 1), MAX_EXECUTIONS_PAGE_SIZE);
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const rows = await this.deps.db.query<{ run_id: string; due_at: string; created_at: string; status: string | null; started_at: string | null; finished_at: string | null; error: { message: string; code?: string } | null }>(
      `select s.run_id, s.due_at, s.created_at, r.status, r.started_at, r.finished_at, r.error
       from schedule_runs s left join runs r on r.id = s.run_id
       where s.schedule_id = $1 and s.workspace_id = $2
         and ($3::timestamptz is null or (s.created_at, s.run_id) < ($3::timestamptz, $4::text))
       order by s.created_at desc, s.run_id desc limit $5`,
      [scheduleId, workspaceId, after?.createdAt ?? null, after?.runId ?? '', limit + 1],
    );
    const toDate = (value: string | null) => (value === null ? null : new Date(value));
    const items = rows.slice(0, limit).map((row) => ({
      runId: row.run_id,
      dueAt: new Date(row.due_at),
      // A run deleted since it was started is listed as deleted.
      status: row.status ?? 'deleted',
      createdAt: new Date(row.created_at),
      startedAt: toDate(row.started_at),
      finishedAt: toDate(row.finished_at),
      error: row.error ? { message: row.error.message, ...(row.error.code ? { code: row.error.code } : {}) } : null,
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify({ createdAt: last.createdAt.toISOString(), runId: last.runId })).toString('base64url') : null };
  }
}

/** @throws BadRequestError for a cursor that `executions` did not return. */
function decodeCursor(cursor: string): { createdAt: string; runId: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { createdAt?: unknown; runId?: unknown };
    if (typeof value.createdAt === 'string' && !Number.isNaN(Date.parse(value.createdAt)) && typeof value.runId === 'string') return { createdAt: value.createdAt, runId: value.runId };
  } catch {
    // Reported below.
  }
  throw new BadRequestError('invalid_cursor', `The cursor '${cursor.slice(0, 100)}' was not returned by GET /api/home/schedules/:id/executions; pass the nextCursor of the previous page unchanged.`);
}
