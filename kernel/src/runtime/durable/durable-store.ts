import type { SqlExecutor, Database } from '../../storage/database.js';
import type { ActivationResult } from '../executor/interpreter.js';
import { toJsonb } from '../run-store.js';
import type { ExecutableGraph, PortItems } from '../types.js';
import type { Item } from '../../graphs/model.js';

/** Key of the advisory lock that serialises admission of queued runs across kernel processes. */
const ADMISSION_LOCK = 7_270_001;

/** Run claimed by this process, with everything it needs to execute the run. */
export interface ClaimedRun {
  id: string;
  workspaceId: string;
  graphId: string | null;
  graph: ExecutableGraph;
  input: Item[];
  rigor: 'audited' | 'experimental';
  createdBy: string | null;
  mode: string;
  /** Original start time of a resumed run; null for a run that starts now. */
  startedAt: Date | null;
  timeoutAt: Date | null;
  /** Input items by step key that replace what those activations receive (set by a fork). */
  overrides: Record<string, PortItems> | null;
}

const CLAIM_COLUMNS = 'id, workspace_id, graph_id, graph, input_items, rigor, created_by, mode, started_at, timeout_at, step_overrides';

/** Converts a timestamp column, which the driver returns as a Date or a string, into a Date. */
function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

function toClaimed(row: Record<string, unknown>): ClaimedRun {
  return {
    id: row.id as string,
    workspaceId: row.workspace_id as string,
    graphId: (row.graph_id as string | null) ?? null,
    graph: row.graph as ExecutableGraph,
    input: (row.input_items as Item[] | null) ?? [],
    rigor: row.rigor as ClaimedRun['rigor'],
    createdBy: (row.created_by as string | null) ?? null,
    mode: row.mode as string,
    startedAt: toDate(row.started_at),
    timeoutAt: toDate(row.timeout_at),
    overrides: (row.step_overrides as Record<string, PortItems> | null) ?? null,
  };
}

/**
 * Database access of the embedded durable back end: claims with leases, admission within
 * concurrency limits, the step journal and suspension. Every claim locks its rows with
 * SKIP LOCKED, so several kernel processes on one database never claim the same run.
 */
export class DurableStore {
  constructor(private readonly db: Database) {}

  /**
   * Claims queued top-level runs, oldest first, while their workspace and graph are under
   * their limits of runs in progress (running, waiting or paused). A transaction-scoped
   * advisory lock lets only one process admit at a time, so the counts it reads stay correct
   * until it commits. `onlyRunId` restricts admission to one run, such as the one just started.
   */
  async admit(owner: string, leaseMs: number, options: { maxPerWorkspace: number; limit: number; onlyRunId?: string; backend?: 'embedded' | 'temporal' }): Promise<ClaimedRun[]> {
    if (options.limit <= 0) return [];
    return this.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [ADMISSION_LOCK]);

      // Read more candidates than the limit, because runs of a workspace or graph at its limit are skipped.
      const params: unknown[] = [Math.max(options.limit * 4, 50), options.backend ?? 'embedded'];
      if (options.onlyRunId) params.push(options.onlyRunId);
      const candidates = await tx.query<{ id: string; workspace_id: string; graph_id: string | null; graph_limit: string | null }>(
        `select id, workspace_id, graph_id, graph #>> '{graph,settings,maxConcurrentRuns}' as graph_limit
         from runs where status = 'queued' and backend = $2 and depth = 0 ${options.onlyRunId ? 'and id = $3' : ''}
         order by created_at, id limit $1 for update skip locked`,
        params,
      );
      if (candidates.length === 0) return [];

      const workspaces = [...new Set(candidates.map((row) => row.workspace_id))];
      const active = await tx.query<{ workspace_id: string; graph_id: string | null; count: string | number }>(
        `select workspace_id, graph_id, count(*) as count from runs
         where status in ('running', 'waiting', 'paused') and depth = 0 and workspace_id = any($1) group by workspace_id, graph_id`,
        [workspaces],
      );
      const byWorkspace = new Map<string, number>();
      const byGraph = new Map<string, number>();
      for (const row of active) {
        byWorkspace.set(row.workspace_id, (byWorkspace.get(row.workspace_id) ?? 0) + Number(row.count));
        if (row.graph_id !== null) byGraph.set(row.graph_id, (byGraph.get(row.graph_id) ?? 0) + Number(row.count));
      }

      const admitted: string[] = [];
      for (const row of candidates) {
        if (admitted.length >= options.limit) break;
        if ((byWorkspace.get(row.workspace_id) ?? 0) >= options.maxPerWorkspace) continue;
        const graphLimit = row.graph_limit === null ? null : Number(row.graph_limit);
        if (row.graph_id !== null && graphLimit !== null && (byGraph.get(row.graph_id) ?? 0) >= graphLimit) continue;
        admitted.push(row.id);
        byWorkspace.set(row.workspace_id, (byWorkspace.get(row.workspace_id) ?? 0) + 1);
        if (row.graph_id !== null) byGraph.set(row.graph_id, (byGraph.get(row.graph_id) ?? 0) + 1);
      }
      if (admitted.length === 0) return [];

      const rows = await tx.query<Record<string, unknown>>(
        `update runs set status = 'running', owner = $2, lease_until = now() + make_interval(secs => $3::double precision / 1000), wake_at = null
         where id = any($1) returning ${CLAIM_COLUMNS}`,
        [admitted, owner, leaseMs],
      );
      const order = new Map(admitted.map((id, index) => [id, index]));
      return rows.map(toClaimed).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    });
  }

  /**
   * Claims top-level runs that started before and are due to continue: running runs whose
   * owner's lease lapsed because the owner crashed or stopped, and waiting runs whose wake time
   * has come. They already count against the limits, so no admission check applies.
   */
  async claimDue(owner: string, leaseMs: number, limit: number): Promise<ClaimedRun[]> {
    if (limit <= 0) return [];
    const rows = await this.db.query<Record<string, unknown>>(
      `update runs set status = 'running', owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000), wake_at = null
       where id in (
         select id from runs
         where backend = 'embedded' and depth = 0
           and ((status = 'running' and (lease_until is null or lease_until < now())) or (status = 'waiting' and wake_at <= now()))
         order by coalesce(wake_at, lease_until, created_at) limit $3 for update skip locked)
       returning ${CLAIM_COLUMNS}`,
      [owner, leaseMs, limit],
    );
    return rows.map(toClaimed);
  }

  /**
   * Clears the leases of running runs owned by processes other than `excludeOwner`, so they
   * can be claimed at once. Safe only when no other process can use the database, as with the
   * embedded PGlite database. Returns the number of runs released.
   */
  async releaseStale(excludeOwner: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `update runs set lease_until = null where backend = 'embedded' and status = 'running' and (owner is null or owner <> $1) returning id`,
      [excludeOwner],
    );
    return rows.length;
  }

  /**
   * Extends the leases of runs this process executes. Returns the runs it still owns, with
   * their cancel and pause requests. A run missing from the result was claimed by another process.
   */
  async renewLeases(owner: string, leaseMs: number, runIds: string[]): Promise<Array<{ id: string; cancelRequested: boolean; pauseRequested: boolean }>> {
    if (runIds.length === 0) return [];
    const rows = await this.db.query<{ id: string; cancel_requested: boolean; pause_requested: boolean }>(
      `update runs set lease_until = now() + make_interval(secs => $3::double precision / 1000)
       where owner = $1 and id = any($2) and status = 'running' returning id, cancel_requested, pause_requested`,
      [owner, runIds, leaseMs],
    );
    return rows.map((row) => ({ id: row.id, cancelRequested: Boolean(row.cancel_requested), pauseRequested: Boolean(row.pause_requested) }));
  }

  /** Clears the lease of a run this process owns, so any process, this one included, can claim it at once. */
  async release(owner: string, runId: string): Promise<void> {
    await this.db.query(`update runs set lease_until = null where id = $1 and owner = $2 and status = 'running'`, [runId, owner]);
  }

  /** Loads the journal entries of a run by step key, in writing order. */
  async loadJournal(runId: string): Promise<Map<string, ActivationResult>> {
    const rows = await this.db.query<{ step_key: string; result: ActivationResult }>('select step_key, result from run_journal where run_id = $1 order by seq', [runId]);
    return new Map(rows.map((row) => [row.step_key, row.result]));
  }

  /**
   * Inserts journal entries of a run unless `owner` no longer owns it. A null `owner` skips that
   * check. Returns false when another process has claimed the run and so owns its journal.
   */
  async appendJournal(runId: string, owner: string | null, entries: Array<{ stepKey: string; seq: number; result: ActivationResult }>): Promise<boolean> {
    if (entries.length === 0) return true;
    const rows = await this.db.query<{ inserted: number }>(
      `with allowed as (select 1 from runs where id = $1 and ($2::text is null or owner = $2)),
       inserted as (
         insert into run_journal (run_id, step_key, seq, result)
         select $1, entry->>'stepKey', (entry->>'seq')::int, entry->'result' from jsonb_array_elements($3::jsonb) as entry
         where exists (select 1 from allowed)
         on conflict (run_id, step_key) do nothing returning 1)
       select (select count(*) from allowed)::int as inserted`,
      [runId, owner, toJsonb(entries)],
    );
    return Number(rows[0]?.inserted ?? 0) > 0;
  }

  /** Clears the claim of a run that has ended. */
  async finished(runId: string): Promise<void> {
    await this.db.query('update runs set owner = null, lease_until = null, wake_at = null, pause_requested = false where id = $1', [runId]);
  }

  /** Lists the journal entries of a run in writing order, for time travel. */
  async journalEntries(runId: string): Promise<Array<{ stepKey: string; seq: number; result: unknown; createdAt: Date }>> {
    const rows = await this.db.query<{ step_key: string; seq: number; result: unknown; created_at: Date | string }>('select step_key, seq, result, created_at from run_journal where run_id = $1 order by seq', [runId]);
    return rows.map((row) => ({ stepKey: row.step_key, seq: Number(row.seq), result: row.result, createdAt: new Date(row.created_at) }));
  }

  /** Loads the stored graph, input items and step overrides of a run. Returns null for a run recorded without a graph. */
  async startingPoint(runId: string): Promise<{ graph: ExecutableGraph; input: Item[]; overrides: Record<string, PortItems> | null } | null> {
    const [row] = await this.db.query<{ graph: ExecutableGraph | null; input_items: Item[] | null; step_overrides: Record<string, PortItems> | null }>('select graph, input_items, step_overrides from runs where id = $1', [runId]);
    if (!row?.graph) return null;
    return { graph: row.graph, input: row.input_items ?? [], overrides: row.step_overrides ?? null };
  }

  /** Returns the highest step sequence number, event id and journal sequence number recorded for a run. */
  async lastNumbers(runId: string): Promise<{ seq: number; eventId: number; journalSeq: number }> {
    const [row] = await this.db.query<{ seq: number | null; event_id: number | null; journal_seq: number | null }>(
      `select (select max(seq) from run_steps where run_id = $1) as seq, (select max(seq) from run_events where run_id = $1) as event_id,
              (select max(seq) from run_journal where run_id = $1) as journal_seq`,
      [runId],
    );
    return { seq: Number(row?.seq ?? 0), eventId: Number(row?.event_id ?? 0), journalSeq: Number(row?.journal_seq ?? 0) };
  }

  /** Marks as interrupted the steps that a stopped process left `running`. The resumed run executes them again. */
  async interruptSteps(runId: string): Promise<void> {
    await this.db.query(
      `update run_steps set status = 'interrupted', finished_at = now(), error = $2::jsonb where run_id = $1 and status = 'running'`,
      [runId, toJsonb({ message: 'the kernel stopped during this step, so the step ran again when the run resumed', code: 'step_interrupted' })],
    );
  }

  /**
   * Parks a run this process executes and stores `event` with it. A `waiting` run is due at
   * `wakeAt` or after a decision, and a `paused` run when it is resumed. The run keeps its
   * place against the concurrency limits. Returns false when this process no longer owns the run.
   */
  async suspend(runId: string, owner: string, status: 'waiting' | 'paused', wakeAt: Date | null, event: { id: number; type: string; data: Record<string, unknown> }): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `with updated as (
         update runs set status = $3, owner = null, lease_until = null, wake_at = $4, pause_requested = false
         where id = $1 and owner = $2 and status = 'running' returning id),
       event as (insert into run_events (run_id, seq, type, data) select $1, $5, $6, $7::jsonb where exists (select 1 from updated))
       select id from updated`,
      [runId, owner, status, wakeAt, event.id, event.type, toJsonb(event.data)],
    );
    return rows.length > 0;
  }

  /** Makes a waiting run due now, for example after a decision. Returns false when the run is not waiting. */
  async wake(runId: string): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(`update runs set wake_at = now() where id = $1 and status = 'waiting' returning id`, [runId]);
    return rows.length > 0;
  }

  /**
   * Sets `pause_requested` on a running run, or pauses a waiting one at once. Returns the run's
   * new status, or null when the run is neither running nor waiting.
   */
  async requestPause(runId: string): Promise<string | null> {
    const [row] = await this.db.query<{ status: string }>(
      `update runs set pause_requested = (status = 'running'), status = case when status = 'waiting' then 'paused' else status end
       where id = $1 and status in ('running', 'waiting') returning status`,
      [runId],
    );
    return row?.status ?? null;
  }

  /** Turns a paused run back into a waiting run that is due now. Returns false when the run was not paused. */
  async resume(runId: string): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(`update runs set status = 'waiting', wake_at = now(), pause_requested = false where id = $1 and status = 'paused' returning id`, [runId]);
    return rows.length > 0;
  }

  /**
   * Cancels a run that no process executes, with its sub-workflow runs and open waits, and
   * stores the event that `eventFor` builds. Such a run is queued, waiting, paused, or running
   * with a lapsed lease. `onlyQueued` restricts this to queued runs. Returns false when a
   * process owns the run, which must then cancel it itself.
   */
  async cancelIdle(runId: string, error: Record<string, unknown>, eventFor: (lastEventId: number) => { id: number; type: string; data: Record<string, unknown> }, options: { onlyQueued?: boolean } = {}): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      let idle = `(status in ('queued', 'waiting', 'paused') or (status = 'running' and (lease_until is null or lease_until < now())))`;
      if (options.onlyQueued) idle = `status = 'queued'`;
      const [run] = await tx.query<{ status: string }>(`select status from runs where id = $1 and ${idle} for update`, [runId]);
      if (!run) return false;
      await cancelTree(tx, runId, error);
      const [last] = await tx.query<{ seq: number | null }>('select max(seq) as seq from run_events where run_id = $1', [runId]);
      const event = eventFor(Number(last?.seq ?? 0));
      await tx.query('insert into run_events (run_id, seq, type, data) values ($1, $2, $3, $4::jsonb)', [runId, event.id, event.type, toJsonb(event.data)]);
      return true;
    });
  }

  /** Finds the sub-workflow run that a parent's step started before. Returns null when there is none. */
  async findChild(parentRunId: string, parentStepKey: string): Promise<ClaimedRun & { status: string } | null> {
    const [row] = await this.db.query<Record<string, unknown>>(`select ${CLAIM_COLUMNS}, status from runs where parent_run_id = $1 and parent_step_key = $2`, [parentRunId, parentStepKey]);
    return row ? { ...toClaimed(row), status: row.status as string } : null;
  }

  /** Marks a sub-workflow run as waiting or running again. Its top-level run owns the claim for both. */
  async setChildStatus(runId: string, status: 'waiting' | 'running'): Promise<void> {
    await this.db.query(`update runs set status = $2 where id = $1 and status in ('running', 'waiting')`, [runId, status]);
  }

  /** Loads the stored start and timeout times of a run. */
  async timing(runId: string): Promise<{ startedAt: Date | null; timeoutAt: Date | null }> {
    const [row] = await this.db.query<{ started_at: Date | string | null; timeout_at: Date | string | null }>('select started_at, timeout_at from runs where id = $1', [runId]);
    return { startedAt: toDate(row?.started_at), timeoutAt: toDate(row?.timeout_at) };
  }
}

/** Cancels a run, its unfinished sub-workflow runs and their open waits, inside `tx`. */
async function cancelTree(tx: SqlExecutor, runId: string, error: Record<string, unknown>): Promise<void> {
  await tx.query(
    `with recursive tree as (select id from runs where id = $1 union all select runs.id from runs join tree on runs.parent_run_id = tree.id),
     waits as (update run_waits set status = 'cancelled', decided_at = now() where run_id in (select id from tree) and status = 'pending')
     update runs set status = 'cancelled', finished_at = now(), error = $2::jsonb, owner = null, lease_until = null, wake_at = null
     where id in (select id from tree) and status not in ('succeeded', 'failed', 'cancelled')`,
    [runId, toJsonb(error)],
  );
}
