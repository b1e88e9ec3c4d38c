import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import type { StepErrorInfo } from './executor/errors.js';
import { RunStore, STEP_COLUMNS, stepRow, toJsonb, type JournalWrite, type RunEvent, type RunRecord, type StepRow, type StoredStep } from './run-store.js';
import type { RunStatus } from './types.js';

/** Saving policy of direct runs: keep every run (`all`), runs that did not succeed (`failed`), or none (`none`). */
export type DirectRunSaving = 'all' | 'failed' | 'none';

interface BufferedRun {
  record: RunRecord;
  graph: unknown;
  inputItems: unknown;
  rootRunId: string;
  parentStepKey: string | null;
}

/**
 * Holds the records of a direct run, and of the sub-workflow runs it starts, in memory
 * instead of writing them as the run goes. A direct run has no journal, so nothing needs its
 * records before it ends. Then `RunSaveQueue` writes them in one statement, or they are
 * dropped, following the run's saving policy.
 *
 * Reads are served from memory, so the run service and the recorder treat a direct run like
 * any other. Other requests do not see the run until it is saved.
 */
export class DirectRunStore extends RunStore {
  private readonly runs = new Map<string, BufferedRun>();
  private readonly steps = new Map<string, StoredStep>();
  private readonly events: Array<RunEvent & { runId: string }> = [];

  constructor(db: Database) {
    super(db);
  }

  override async createRun(
    run: Pick<RunRecord, 'id' | 'workspaceId' | 'graphId' | 'versionId' | 'parentRunId' | 'depth' | 'mode' | 'rigor' | 'input' | 'createdBy'>,
    durable: { graph: unknown; inputItems: unknown; rootRunId: string; parentStepKey: string | null },
  ): Promise<RunRecord> {
    const record: RunRecord = {
      ...run,
      status: 'queued',
      output: null,
      error: null,
      usage: {},
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      timeoutAt: null,
      cancelRequested: false,
    };
    this.runs.set(run.id, { record, graph: durable.graph, inputItems: durable.inputItems, rootRunId: durable.rootRunId, parentStepKey: durable.parentStepKey });
    return { ...record };
  }

  override async markRunning(runId: string, startedAt: Date, timeoutAt: Date | null, event: RunEvent): Promise<void> {
    const held = this.held(runId);
    held.record.status = 'running';
    held.record.startedAt = startedAt;
    held.record.timeoutAt = timeoutAt;
    this.events.push({ ...event, runId });
  }

  override async finishRun(runId: string, result: { status: RunStatus; output: unknown; error: StepErrorInfo | null; usage: Record<string, number>; finishedAt: Date }, event: RunEvent): Promise<void> {
    const held = this.held(runId);
    Object.assign(held.record, { status: result.status, output: result.output, error: result.error, usage: result.usage, finishedAt: result.finishedAt });
    this.events.push({ ...event, runId });
  }

  /** Merges step records as the SQL upsert of `RunStore.writeBatch` does. Never writes a journal: a direct run has none. */
  override async writeBatch(steps: StoredStep[], events: Array<RunEvent & { runId: string }>, _journal: JournalWrite | null = null): Promise<boolean> {
    for (const step of steps) {
      const earlier = this.steps.get(step.id);
      if (!earlier) {
        this.steps.set(step.id, { ...step });
        continue;
      }
      Object.assign(earlier, {
        status: step.status,
        finishedAt: step.finishedAt,
        durationMs: step.durationMs,
        output: step.output,
        outputItemCount: step.outputItemCount,
        error: step.error,
        usage: step.usage,
        input: step.input ?? earlier.input,
        childRunId: step.childRunId ?? earlier.childRunId,
        oversized: earlier.oversized || step.oversized,
      });
    }
    this.events.push(...events);
    return true;
  }

  override async getRun(workspaceId: string, runId: string): Promise<RunRecord | null> {
    const held = this.runs.get(runId);
    if (!held || held.record.workspaceId !== workspaceId) return null;
    return { ...held.record };
  }

  override async listSteps(runId: string): Promise<StepRow[]> {
    const rows: StepRow[] = [];
    for (const step of this.steps.values()) {
      if (step.runId === runId) rows.push({ ...step, trace: [] });
    }
    return rows.sort((a, b) => a.seq - b.seq);
  }

  override async listEvents(runId: string, afterId: number): Promise<RunEvent[]> {
    return this.events.filter((event) => event.runId === runId && event.id > afterId).map(({ id, type, data }) => ({ id, type, data }));
  }

  override async appendEvent(runId: string, type: string, data: Record<string, unknown>): Promise<RunEvent> {
    const last = this.events.reduce((highest, event) => (event.runId === runId && event.id > highest ? event.id : highest), 0);
    const event = { id: last + 1, type, data };
    this.events.push({ ...event, runId });
    return event;
  }

  override async requestCancel(runId: string): Promise<void> {
    this.held(runId).record.cancelRequested = true;
  }

  /** Rows for `RunSaveQueue`: runs parents first, then their steps and events. */
  rows(): { runs: Array<Record<string, unknown>>; steps: StoredStep[]; events: Array<RunEvent & { runId: string }> } {
    const runs = [...this.runs.values()]
      .sort((a, b) => a.record.depth - b.record.depth)
      .map((held) => ({
        id: held.record.id,
        workspace_id: held.record.workspaceId,
        graph_id: held.record.graphId,
        version_id: held.record.versionId,
        parent_run_id: held.record.parentRunId,
        depth: held.record.depth,
        status: held.record.status,
        mode: held.record.mode,
        rigor: held.record.rigor,
        input: held.record.input,
        output: held.record.output,
        error: held.record.error,
        usage: held.record.usage,
        created_by: held.record.createdBy,
        created_at: held.record.createdAt.toISOString(),
        started_at: held.record.startedAt?.toISOString() ?? null,
        finished_at: held.record.finishedAt?.toISOString() ?? null,
        timeout_at: held.record.timeoutAt?.toISOString() ?? null,
        cancel_requested: held.record.cancelRequested,
        backend: 'direct',
        graph: held.graph,
        input_items: held.inputItems,
        root_run_id: held.rootRunId,
        parent_step_key: held.parentStepKey,
      }));
    return { runs, steps: [...this.steps.values()], events: this.events };
  }

  private held(runId: string): BufferedRun {
    const held = this.runs.get(runId);
    if (!held) throw new Error(`Run '${runId}' not found in this direct run store; its records belong to another store.`);
    return held;
  }
}

/** Maximum number of direct runs written by one statement; the rest wait for the next one. */
const MAX_RUNS_PER_SAVE = 200;

/**
 * Writes the records of finished direct runs. A save is written once the event loop has run
 * the callbacks that were ready with it (`setImmediate`), and saves that arrive while a
 * statement is running are written by the next one. So under load the runs that end close
 * together share one statement instead of each paying its fixed cost: on PGlite about 1.8 ms of
 * CPU for one run alone, 0.9 ms per run for 8 together (`bench/probes/save-cost.mjs`). A lone
 * save waits only for that turn of the event loop.
 */
export class RunSaveQueue {
  private pending: Array<{ store: DirectRunStore; resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing = false;
  private scheduled: NodeJS.Immediate | null = null;

  constructor(private readonly deps: { db: Database; logger: Logger }) {}

  /** Resolves once the records of `store` are stored; rejects when their statement failed. */
  save(store: DirectRunStore): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ store, resolve, reject });
      if (this.writing || this.scheduled) return;
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        if (!this.writing) void this.drain();
      });
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_RUNS_PER_SAVE);
        try {
          await this.write(batch.map((entry) => entry.store));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          this.deps.logger.error({ err: error, runs: batch.length }, 'could not save the records of direct runs');
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(stores: DirectRunStore[]): Promise<void> {
    const runs: Array<Record<string, unknown>> = [];
    const steps: Array<Record<string, unknown>> = [];
    const events: Array<Record<string, unknown>> = [];
    for (const store of stores) {
      const rows = store.rows();
      runs.push(...rows.runs);
      for (const step of rows.steps) steps.push(stepRow(step));
      for (const event of rows.events) events.push({ run_id: event.runId, seq: event.id, type: event.type, data: event.data });
    }
    // Foreign keys are checked at the end of the statement, so steps, events and child runs may name runs inserted beside them.
    await this.deps.db.query(
      `with saved_runs as (
         insert into runs (${RUN_SAVE_COLUMNS.join(', ')})
         select ${RUN_SAVE_COLUMNS.join(', ')} from jsonb_populate_recordset(null::runs, $1::jsonb)),
       saved_steps as (
         insert into run_steps (${STEP_COLUMNS.join(', ')})
         select ${STEP_COLUMNS.join(', ')} from jsonb_populate_recordset(null::run_steps, $2::jsonb)),
       saved_events as (
         insert into run_events (run_id, seq, type, data)
         select run_id, seq, type, data from jsonb_populate_recordset(null::run_events, $3::jsonb))
       select 1`,
      [toJsonb(runs), toJsonb(steps), toJsonb(events)],
    );
  }
}

const RUN_SAVE_COLUMNS = [
  'id', 'workspace_id', 'graph_id', 'version_id', 'parent_run_id', 'depth', 'status', 'mode', 'rigor', 'input', 'output', 'error', 'usage',
  'created_by', 'created_at', 'started_at', 'finished_at', 'timeout_at', 'cancel_requested', 'backend', 'graph', 'input_items', 'root_run_id', 'parent_step_key',
];

/** Tells whether a direct run that ended with `status` keeps its records under `saving`. */
export function keepsRecords(saving: DirectRunSaving, status: RunStatus): boolean {
  if (saving === 'all') return true;
  if (saving === 'none') return false;
  return status !== 'succeeded';
}
