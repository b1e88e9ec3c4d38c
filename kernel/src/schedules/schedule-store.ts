import type { Item } from '../graphs/model.js';
import { toJsonb } from '../runtime/run-store.js';
import type { Database, SqlExecutor } from '../storage/database.js';
import type { CatchUpPolicy, ScheduleTiming } from './fire-times.js';

/** A schedule as stored and as the API returns it. */
export interface ScheduleRecord {
  id: string;
  workspaceId: string;
  graphId: string;
  name: string;
  kind: 'interval' | 'cron';
  /** Set for interval schedules. */
  intervalMs: number | null;
  /** Set for cron schedules. */
  cron: string | null;
  /** IANA time zone of a cron schedule. */
  timezone: string | null;
  input: Item[];
  version: 'live' | 'draft';
  enabled: boolean;
  /** What the schedule does with due times missed while no process polled it. */
  catchUp: CatchUpPolicy;
  /** Null while disabled. */
  nextFireAt: Date | null;
  lastFiredAt: Date | null;
  lastRunId: string | null;
  /** Error of the last fire if it started no run; null after a fire that started one. */
  lastError: { code: string; message: string; at: string } | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns a new or changed schedule writes. */
export interface ScheduleFields {
  name: string;
  timing: ScheduleTiming;
  input: Item[];
  version: 'live' | 'draft';
  enabled: boolean;
  catchUp: CatchUpPolicy;
  nextFireAt: Date | null;
}

/** Outcome of one fire: the run it started, or why it started none. */
export type FireOutcome = { runId: string } | { error: { code: string; message: string } };

const COLUMNS = `id, workspace_id, graph_id, name, kind, interval_ms, cron, timezone, input, version, enabled, catch_up, next_fire_at,
  last_fired_at, last_run_id, last_error, created_by, created_at, updated_at`;

const toDate = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string | Date));

function toRecord(row: Record<string, unknown>): ScheduleRecord {
  return {
    id: row.id as string,
    workspaceId: row.workspace_id as string,
    graphId: row.graph_id as string,
    name: row.name as string,
    kind: row.kind as ScheduleRecord['kind'],
    intervalMs: row.interval_ms === null ? null : Number(row.interval_ms),
    cron: (row.cron as string | null) ?? null,
    timezone: (row.timezone as string | null) ?? null,
    input: row.input as Item[],
    version: row.version as ScheduleRecord['version'],
    enabled: Boolean(row.enabled),
    catchUp: row.catch_up as CatchUpPolicy,
    nextFireAt: toDate(row.next_fire_at),
    lastFiredAt: toDate(row.last_fired_at),
    lastRunId: (row.last_run_id as string | null) ?? null,
    lastError: (row.last_error as ScheduleRecord['lastError']) ?? null,
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: toDate(row.created_at)!,
    updatedAt: toDate(row.updated_at)!,
  };
}

/** Returns the stored timing of a schedule. */
export function timingOf(record: Pick<ScheduleRecord, 'kind' | 'intervalMs' | 'cron' | 'timezone'>): ScheduleTiming {
  return record.kind === 'interval' ? { kind: 'interval', intervalMs: record.intervalMs! } : { kind: 'cron', cron: record.cron!, timezone: record.timezone! };
}

function timingColumns(timing: ScheduleTiming): [number | null, string | null, string | null] {
  return timing.kind === 'interval' ? [timing.intervalMs, null, null] : [null, timing.cron, timing.timezone];
}

/** Position in the workspace list of schedules, oldest first. */
export interface ScheduleCursor {
  createdAt: Date;
  id: string;
}

/**
 * SQL of schedules. Every statement filters by workspace, except the claim of due schedules,
 * which the ticker runs for all workspaces.
 */
export class ScheduleStore {
  constructor(private readonly db: Database) {}

  /** Lists a workspace's schedules oldest first, after `cursor` when given. */
  async listForWorkspace(workspaceId: string, filter: { graphId?: string | undefined; enabled?: boolean | undefined; cursor?: ScheduleCursor | undefined; limit: number }): Promise<ScheduleRecord[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = [`workspace_id = ${param(workspaceId)}`];
    if (filter.graphId !== undefined) conditions.push(`graph_id = ${param(filter.graphId)}`);
    if (filter.enabled !== undefined) conditions.push(`enabled = ${param(filter.enabled)}`);
    if (filter.cursor !== undefined) conditions.push(`(created_at, id) > (${param(filter.cursor.createdAt)}, ${param(filter.cursor.id)})`);

    const rows = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from schedules where ${conditions.join(' and ')} order by created_at, id limit ${param(filter.limit)}`, params);
    return rows.map(toRecord);
  }

  async countForGraph(workspaceId: string, graphId: string): Promise<number> {
    const [row] = await this.db.query<{ count: string | number }>('select count(*) as count from schedules where workspace_id = $1 and graph_id = $2', [workspaceId, graphId]);
    return Number(row?.count ?? 0);
  }

  async get(workspaceId: string, graphId: string, id: string): Promise<ScheduleRecord | null> {
    const [row] = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from schedules where workspace_id = $1 and graph_id = $2 and id = $3`, [workspaceId, graphId, id]);
    return row ? toRecord(row) : null;
  }

  /** Inserts a schedule; returns null when the graph already has one of that name. */
  async insert(id: string, workspaceId: string, graphId: string, createdBy: string | null, fields: ScheduleFields): Promise<ScheduleRecord | null> {
    const rows = await this.db.query<Record<string, unknown>>(
      `insert into schedules (id, workspace_id, graph_id, name, kind, interval_ms, cron, timezone, input, version, enabled, next_fire_at, created_by, catch_up)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)
       on conflict (graph_id, name) do nothing returning ${COLUMNS}`,
      [id, workspaceId, graphId, fields.name, fields.timing.kind, ...timingColumns(fields.timing), toJsonb(fields.input), fields.version, fields.enabled, fields.nextFireAt, createdBy, fields.catchUp],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Replaces the editable fields of a schedule. Returns null when it does not exist, and
   * throws the database's unique violation when the new name is taken.
   */
  async update(workspaceId: string, graphId: string, id: string, fields: ScheduleFields): Promise<ScheduleRecord | null> {
    const [row] = await this.db.query<Record<string, unknown>>(
      `update schedules set name = $4, kind = $5, interval_ms = $6, cron = $7, timezone = $8, input = $9::jsonb, version = $10, enabled = $11,
         next_fire_at = $12, catch_up = $13, updated_at = now()
       where workspace_id = $1 and graph_id = $2 and id = $3 returning ${COLUMNS}`,
      [workspaceId, graphId, id, fields.name, fields.timing.kind, ...timingColumns(fields.timing), toJsonb(fields.input), fields.version, fields.enabled, fields.nextFireAt, fields.catchUp],
    );
    return row ? toRecord(row) : null;
  }

  async delete(workspaceId: string, graphId: string, id: string): Promise<boolean> {
    const rows = await this.db.query('delete from schedules where workspace_id = $1 and graph_id = $2 and id = $3 returning id', [workspaceId, graphId, id]);
    return rows.length > 0;
  }

  /**
   * Claims up to `limit` enabled schedules that are due, oldest due time first, and calls
   * `fire` for each. Stores each outcome with the next due time that `next` computes from the
   * database clock. When `next` returns null, the schedule stays enabled without a due time.
   * Returns how many schedules fired.
   *
   * On PostgreSQL the claim, the fires and the new due times form one transaction that holds
   * the schedules' row locks, and other processes skip locked rows (SKIP LOCKED). A due time
   * therefore fires once across all processes. `fire` starts the run through its own
   * connection, so the run is stored even when this transaction later rolls back.
   *
   * NOTE: when a process dies after `fire` stored a run and before the commit, the due time
   * stays and fires again: a crash in that window of a few milliseconds starts a second run.
   *
   * On the embedded database (PGlite) the statements run without a transaction: it has one
   * connection, whose transaction lock would block the queries `fire` makes, and only one
   * process can open it. The update keeps a due time that an edit changed meanwhile.
   */
  async fireDue(limit: number, fire: (schedule: ScheduleRecord, now: Date) => Promise<FireOutcome>, next: (schedule: ScheduleRecord, now: Date) => Date | null): Promise<number> {
    const claim = async (tx: SqlExecutor) => {
      const rows = await tx.query<Record<string, unknown>>(
        `select ${COLUMNS}, now() as db_now from schedules where enabled and next_fire_at <= now()
         order by next_fire_at, id limit $1 for update skip locked`,
        [limit],
      );
      for (const row of rows) {
        const schedule = toRecord(row);
        const now = toDate(row.db_now)!;
        const outcome = await fire(schedule, now);
        const runId = 'runId' in outcome ? outcome.runId : null;
        const error = 'error' in outcome ? { ...outcome.error, at: now.toISOString() } : null;
        await tx.query(
          `update schedules set next_fire_at = case when updated_at = $2 then $3 else next_fire_at end,
             last_fired_at = $4, last_run_id = coalesce($5, last_run_id), last_error = $6::jsonb
           where id = $1`,
          [schedule.id, schedule.updatedAt, next(schedule, now), now, runId, error === null ? null : toJsonb(error)],
        );
      }
      return rows.length;
    };

    if (this.db.kind === 'postgres') return this.db.transaction(claim);
    return claim(this.db);
  }
}
