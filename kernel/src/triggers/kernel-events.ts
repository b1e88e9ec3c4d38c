import { toJsonb } from '../runtime/run-store.js';
import type { Database, SqlExecutor } from '../storage/database.js';

/** Types of kernel events that event triggers and schedule notifications react to. */
export const KERNEL_EVENT_TYPES = ['run.finished', 'run.waiting', 'schedule.fired', 'schedule.failed'] as const;
export type KernelEventType = (typeof KERNEL_EVENT_TYPES)[number];

/** One kernel event as stored in `kernel_events`. */
export interface KernelEvent {
  /** Deterministic per source, such as `run.finished:<run id>`, so recording twice stores one event. */
  id: string;
  workspaceId: string;
  type: KernelEventType;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** How far back each poll looks for finished runs and new approval waits, in minutes. */
const INGEST_WINDOW_MINUTES = 10;
/** Dispatched events are kept this long, in hours, so the ingest window never records them again. */
const RETENTION_HOURS = 24;

/**
 * The kernel event log in table `kernel_events`. Run events come from the run records
 * (`run_events` of type run.finished, `run_waits` of kind approval), so every run counts
 * whichever process or back end finished it; schedule events are recorded by the
 * schedule service.
 */
export class KernelEventStore {
  constructor(private readonly db: Database) {}

  /** Records an event; a second call with the same id has no effect. */
  async record(executor: SqlExecutor, event: Omit<KernelEvent, 'createdAt'>): Promise<void> {
    await executor.query(`insert into kernel_events (id, workspace_id, type, data) values ($1, $2, $3, $4::jsonb) on conflict (id) do nothing`, [event.id, event.workspaceId, event.type, toJsonb(event.data)]);
  }

  /**
   * Copies top-level runs that finished, and approval waits created, within the last
   * minutes into the event log. Sub-workflow runs are left out: their parent reports.
   */
  async ingestRunEvents(): Promise<void> {
    await this.db.query(
      `insert into kernel_events (id, workspace_id, type, data, created_at)
       select 'run.finished:' || r.id, r.workspace_id, 'run.finished',
         jsonb_build_object('runId', r.id, 'graphId', r.graph_id, 'status', r.status, 'mode', r.mode, 'error', r.error, 'finishedAt', e.created_at),
         e.created_at
       from run_events e join runs r on r.id = e.run_id
       where e.type = 'run.finished' and e.created_at > now() - make_interval(mins => $1) and r.depth = 0
       on conflict (id) do nothing`,
      [INGEST_WINDOW_MINUTES],
    );
    await this.db.query(
      `insert into kernel_events (id, workspace_id, type, data, created_at)
       select 'run.waiting:' || w.id, w.workspace_id, 'run.waiting',
         jsonb_build_object('runId', w.root_run_id, 'waitId', w.id, 'graphId', r.graph_id, 'nodeName', w.node_name, 'title', w.request->>'title'),
         w.created_at
       from run_waits w join runs r on r.id = w.root_run_id
       where w.kind = 'approval' and w.created_at > now() - make_interval(mins => $1)
       on conflict (id) do nothing`,
      [INGEST_WINDOW_MINUTES],
    );
  }

  /**
   * Claims up to `limit` undispatched events, oldest first, hands them to `dispatch` as one
   * batch and marks them dispatched in one statement. On PostgreSQL the claim holds the rows'
   * locks until the marks commit and other processes skip locked rows, so each event is
   * dispatched once. `dispatch` handles each event's failures itself; when it throws, no
   * event of the batch is marked and the next poll dispatches them again.
   *
   * NOTE: a process that dies after `dispatch` started a run and before the commit leaves
   * the batch undispatched; its next dispatch finds the run in `trigger_deliveries` and
   * starts no second one, but a notification may be sent twice (receivers deduplicate
   * by the delivery id).
   */
  async dispatchPending(limit: number, dispatch: (events: KernelEvent[]) => Promise<void>): Promise<number> {
    const claim = async (tx: SqlExecutor) => {
      const rows = await tx.query<Record<string, unknown>>(
        `select id, workspace_id, type, data, created_at from kernel_events where dispatched_at is null
         order by created_at, id limit $1 for update skip locked`,
        [limit],
      );
      if (rows.length === 0) return 0;

      await dispatch(rows.map((row) => ({ id: row.id as string, workspaceId: row.workspace_id as string, type: row.type as KernelEventType, data: row.data as Record<string, unknown>, createdAt: new Date(row.created_at as string) })));
      await tx.query(`update kernel_events set dispatched_at = now() where id = any($1::text[])`, [rows.map((row) => row.id)]);
      return rows.length;
    };

    if (this.db.kind === 'postgres') return this.db.transaction(claim);
    return claim(this.db);
  }

  /** Deletes dispatched events older than the retention time; returns how many. */
  async purge(): Promise<number> {
    const rows = await this.db.query(`delete from kernel_events where dispatched_at is not null and created_at < now() - make_interval(hours => $1) returning id`, [RETENTION_HOURS]);
    return rows.length;
  }
}
