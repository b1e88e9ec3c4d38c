import { newId } from '../auth/tokens.js';
import { BadRequestError, ConflictError, MifyError, NotFoundError, ValidationError } from '../errors.js';
import type { GraphRunService } from '../graphs/graph-runs.js';
import { isUniqueViolation } from '../graphs/records.js';
import type { GraphService } from '../graphs/service.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import type { KernelEventStore } from '../triggers/kernel-events.js';
import { CronError, parseCron } from './cron.js';
import { firesLate, firstFireAt, nextFireAt, type ScheduleTiming } from './fire-times.js';
import type { CreateScheduleInput, UpdateScheduleInput } from './schedule-schemas.js';
import { ScheduleStore, timingOf, type FireOutcome, type ScheduleCursor, type ScheduleRecord } from './schedule-store.js';

/** Maximum schedules one graph may have. */
export const MAX_SCHEDULES_PER_GRAPH = 100;
export const DEFAULT_SCHEDULE_PAGE_SIZE = 50;
export const MAX_SCHEDULE_PAGE_SIZE = 200;

/** Start mode of the runs that schedules start. */
export const SCHEDULE_RUN_MODE = 'schedule';

const DEFAULT_INPUT = [{ json: {} }];

export interface ScheduleServiceDeps {
  db: Database;
  logger: Logger;
  graphService: Pick<GraphService, 'get'>;
  /** Resolved at each fire, because the graph run service is registered after this one may be created. */
  graphRuns: () => Pick<GraphRunService, 'start'>;
  /** Event log that receives schedule.fired and schedule.failed; without it no event is recorded. */
  events?: KernelEventStore;
}

/**
 * Schedules of graphs: create, change, list and delete them, and fire the due ones. The graph
 * is looked up in the caller's workspace first, so another workspace's graph or schedule is
 * reported as not found.
 */
export class ScheduleService {
  private readonly store: ScheduleStore;
  private readonly log: Logger;

  constructor(private readonly deps: ScheduleServiceDeps) {
    this.store = new ScheduleStore(deps.db);
    this.log = deps.logger.child({ component: 'schedules' });
  }

  /** Lists a graph's schedules, oldest first. */
  async listForGraph(workspaceId: string, graphId: string): Promise<ScheduleRecord[]> {
    await this.deps.graphService.get(workspaceId, graphId);
    return this.store.listForWorkspace(workspaceId, { graphId, limit: MAX_SCHEDULES_PER_GRAPH });
  }

  /** Lists a workspace's schedules oldest first, a page at a time. */
  async listForWorkspace(workspaceId: string, query: { graphId?: string | undefined; enabled?: boolean | undefined; cursor?: string | undefined; limit?: number | undefined }): Promise<{ items: ScheduleRecord[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_SCHEDULE_PAGE_SIZE, 1), MAX_SCHEDULE_PAGE_SIZE);
    const cursor = query.cursor === undefined ? undefined : decodeScheduleCursor(query.cursor);
    const rows = await this.store.listForWorkspace(workspaceId, { graphId: query.graphId, enabled: query.enabled, cursor, limit: limit + 1 });

    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeScheduleCursor(last) : null };
  }

  /** @throws NotFoundError for a graph or schedule of another workspace. */
  async get(workspaceId: string, graphId: string, scheduleId: string): Promise<ScheduleRecord> {
    await this.deps.graphService.get(workspaceId, graphId);
    const record = await this.store.get(workspaceId, graphId, scheduleId);
    if (!record) throw new NotFoundError('Schedule', scheduleId);
    return record;
  }

  /**
   * Creates a schedule of a graph. An enabled schedule first fires one interval from now, or
   * at the next time its cron expression names.
   *
   * @throws ValidationError naming a timing field that is missing or does not fit `kind`;
   * ConflictError when the name is taken or the graph has the most schedules allowed.
   */
  async create(workspaceId: string, graphId: string, createdBy: string | null, input: CreateScheduleInput): Promise<ScheduleRecord> {
    await this.deps.graphService.get(workspaceId, graphId);
    const timing = resolveTiming(input);
    if ((await this.store.countForGraph(workspaceId, graphId)) >= MAX_SCHEDULES_PER_GRAPH) {
      throw new ConflictError(`Graph '${graphId}' already has ${MAX_SCHEDULES_PER_GRAPH} schedules, the maximum allowed; delete one first.`
, { graphId });
    }

    const enabled = input.enabled;
    const record = await this.store.insert(newId('sched'), workspaceId, graphId, createdBy, {
      name: input.name,
      timing,
      input: input.input ?? DEFAULT_INPUT,
      version: input.version,
      enabled,
      catchUp: input.catchUp,
      nextFireAt: enabled ? firstFireAt(timing, new Date()) : null,
    });
    if (!record) throw nameTaken(graphId, input.name);

    this.log.info({ workspaceId, graphId, scheduleId: record.id, kind: record.kind, nextFireAt: record.nextFireAt }, 'schedule created');
    return record;
  }

  /**
   * Changes a schedule. A new timing, or enabling a disabled schedule, sets the next due time
   * from now; disabling clears it.
   */
  async update(workspaceId: string, graphId: string, scheduleId: string, patch: UpdateScheduleInput): Promise<ScheduleRecord> {
    const current = await this.get(workspaceId, graphId, scheduleId);
    const kind = patch.kind ?? current.kind;
    // Switching the kind drops the old kind's timing fields; otherwise unsent fields keep their values.
    const keep = kind === current.kind;
    const timing = resolveTiming({
      kind,
      intervalMs: patch.intervalMs ?? (keep ? (current.intervalMs ?? undefined) : undefined),
      cron: patch.cron ?? (keep ? (current.cron ?? undefined) : undefined),
      timezone: patch.timezone ?? (keep ? (current.timezone ?? undefined) : undefined),
    });
    const timingChanged = JSON.stringify(timing) !== JSON.stringify(timingOf(current));
    const enabled = patch.enabled ?? current.enabled;

    let next: Date | null = null;
    if (enabled) next = timingChanged || !current.enabled || current.nextFireAt === null ? firstFireAt(timing, new Date()) : current.nextFireAt;

    let record: ScheduleRecord | null;
    try {
      record = await this.store.update(workspaceId, graphId, scheduleId, { name: patch.name ?? current.name, timing, input: patch.input ?? current.input, version: patch.version ?? current.version, enabled, catchUp: patch.catchUp ?? current.catchUp, nextFireAt: next });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(graphId, patch.name ?? current.name);
      throw error;
    }
    if (!record) throw new NotFoundError('Schedule', scheduleId);

    this.log.info({ workspaceId, graphId, scheduleId, enabled, nextFireAt: next }, 'schedule updated');
    return record;
  }

  async delete(workspaceId: string, graphId: string, scheduleId: string): Promise<void> {
    await this.deps.graphService.get(workspaceId, graphId);
    if (!(await this.store.delete(workspaceId, graphId, scheduleId))) throw new NotFoundError('Schedule', scheduleId);
    this.log.info({ workspaceId, graphId, scheduleId }, 'schedule deleted');
  }

  /**
   * Fires up to `limit` due schedules of all workspaces: one run each, however many due times
   * a schedule missed. Returns how many fired.
   */
  async fireDue(limit: number): Promise<number> {
    return this.store.fireDue(
      limit,
      (schedule, now) => this.fire(schedule, now),
      (schedule, now) => this.nextAfterFire(schedule, now),
    );
  }

  /** Starts one run of a due schedule as its creator; a failure is returned, not thrown, so the schedule still advances. */
  private async fire(schedule: ScheduleRecord, now: Date): Promise<FireOutcome> {
    // TODO: an overlap policy; every fire queues a run even while earlier runs of the schedule are queued or in progress.
    const ids = { workspaceId: schedule.workspaceId, graphId: schedule.graphId, scheduleId: schedule.id };
    const dueAt = schedule.nextFireAt ?? now;
    if (firesLate(schedule.catchUp, dueAt, now)) {
      const lateSeconds = Math.round((now.getTime() - dueAt.getTime()) / 1000);
      this.log.info({ ...ids, dueAt, lateSeconds }, 'schedule skipped a missed due time');
      return {
        error: {
          code: 'missed_due_time',
          message: `The due time ${dueAt.toISOString()} was missed by ${lateSeconds} s (no kernel process was polling), and the schedule's catch-up policy is "skip"; set catchUp to "latest" or "all" to run missed due times.`,
        },
      };
    }
    try {
      const run = await this.deps.graphRuns().start({
        workspaceId: schedule.workspaceId,
        graphId: schedule.graphId,
        version: schedule.version,
        input: schedule.input,
        mode: SCHEDULE_RUN_MODE,
        createdBy: schedule.createdBy,
        wait: false,
      });
      this.log.info({ ...ids, runId: run.id, status: run.status, dueAt: schedule.nextFireAt }, 'schedule fired');
      await this.recordFire(schedule, dueAt, run.id);
      return { runId: run.id };
    } catch (error) {
      if (error instanceof MifyError && error.status < 500) {
        this.log.warn({ ...ids, code: error.code, err: error }, 'schedule fired but could not start a run');
        return this.failed(schedule, dueAt, { code: error.code, message: error.message });
      }
      this.log.error({ ...ids, err: error }, 'schedule fired but starting its run failed');
      return this.failed(schedule, dueAt, { code: error instanceof MifyError ? error.code : 'internal_error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * Links the run to the schedule and due time (the executions API reads the link) and
   * records a schedule.fired event. A failure is logged and does not undo the fire.
   *
   * NOTE: the run is stored before the link, so a process that dies between the two leaves
   * a run of mode `schedule` that the schedule's executions do not list.
   */
  private async recordFire(schedule: ScheduleRecord, dueAt: Date, runId: string): Promise<void> {
    try {
      await this.deps.db.query(`insert into schedule_runs (run_id, schedule_id, workspace_id, due_at) values ($1, $2, $3, $4) on conflict do nothing`, [runId, schedule.id, schedule.workspaceId, dueAt]);
      await this.deps.events?.record(this.deps.db, { id: `schedule.fired:${schedule.id}:${dueAt.toISOString()}`, workspaceId: schedule.workspaceId, type: 'schedule.fired', data: { scheduleId: schedule.id, graphId: schedule.graphId, runId, dueAt: dueAt.toISOString() } });
    } catch (error) {
      this.log.error({ workspaceId: schedule.workspaceId, scheduleId: schedule.id, runId, err: error }, 'could not record the run of a schedule fire');
    }
  }

  /** Records a schedule.failed event for a fire that started no run, and returns the fire's outcome. */
  private async failed(schedule: ScheduleRecord, dueAt: Date, error: { code: string; message: string }): Promise<FireOutcome> {
    await this.deps.events
      ?.record(this.deps.db, { id: `schedule.failed:${schedule.id}:${dueAt.toISOString()}`, workspaceId: schedule.workspaceId, type: 'schedule.failed', data: { scheduleId: schedule.id, graphId: schedule.graphId, runId: null, dueAt: dueAt.toISOString(), error } })
      .catch((recordError: unknown) => this.log.error({ workspaceId: schedule.workspaceId, scheduleId: schedule.id, err: recordError }, 'could not record a schedule.failed event'));
    return { error };
  }

  private nextAfterFire(schedule: ScheduleRecord, now: Date): Date | null {
    try {
      return nextFireAt(timingOf(schedule), schedule.nextFireAt ?? now, now, schedule.catchUp);
    } catch (error) {
      this.log.error({ workspaceId: schedule.workspaceId, scheduleId: schedule.id, err: error }, 'schedule has no further due time; it stays enabled but will not fire until its timing is changed');
      return null;
    }
  }
}

/**
 * Checks the timing fields against `kind` and returns the timing.
 *
 * @throws ValidationError naming each field that is missing or does not belong to `kind`.
 */
function resolveTiming(fields: { kind: 'interval' | 'cron'; intervalMs?: number | undefined; cron?: string | undefined; timezone?: string | undefined }): ScheduleTiming {
  const problems: Array<{ path: string; message: string }> = [];
  const misplaced = (field: string, belongsTo: string) => problems.push({ path: field, message: `${field} applies to ${belongsTo} schedules only; remove it, or set kind to "${belongsTo}"` });

  if (fields.kind === 'interval') {
    if (fields.intervalMs === undefined) problems.push({ path: 'intervalMs', message: 'intervalMs is required for kind "interval": the time between runs in milliseconds, at least 1000' });
    if (fields.cron !== undefined) misplaced('cron', 'cron');
    if (fields.timezone !== undefined) misplaced('timezone', 'cron');
  } else {
    if (fields.cron === undefined) problems.push({ path: 'cron', message: 'cron is required for kind "cron": five fields such as "0 9 * * MON-FRI"' });
    if (fields.intervalMs !== undefined) misplaced('intervalMs', 'interval');
  }
  if (fields.cron !== undefined && problems.length === 0) {
    try {
      parseCron(fields.cron);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      problems.push({ path: 'cron', message: error.message });
    }
  }
  if (problems.length > 0) throw new ValidationError(`The schedule is invalid: ${problems.map((problem) => problem.message).join('; ')}.`, problems);

  if (fields.kind === 'interval') return { kind: 'interval', intervalMs: fields.intervalMs! };
  return { kind: 'cron', cron: fields.cron!.trim(), timezone: fields.timezone ?? 'UTC' };
}

function nameTaken(graphId: string, name: string): ConflictError {
  return new ConflictError(`Graph '${graphId}' already has a schedule named '${name}'; choose another name or change that schedule.`, { name });
}

function encodeScheduleCursor(record: ScheduleCursor): string {
  return Buffer.from(JSON.stringify({ createdAt: record.createdAt.toISOString(), id: record.id }), 'utf8').toString('base64url');
}

/** @throws BadRequestError for a string that `encodeScheduleCursor` did not make. */
function decodeScheduleCursor(cursor: string): ScheduleCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { createdAt?: unknown; id?: unknown };
    const createdAt = typeof value.createdAt === 'string' ? new Date(value.createdAt) : null;
    if (createdAt && !Number.isNaN(createdAt.getTime()) && typeof value.id === 'string') return { createdAt, id: value.id };
  } catch {
    // Reported below.
  }
  throw new BadRequestError('invalid_cursor', `The cursor '${cursor.slice(0, 100)}' is not one returned by GET /api/schedules; pass the nextCursor of the previous page unchanged.`);
}
