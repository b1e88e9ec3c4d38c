import { BadRequestError } from '../errors.js';
import type { Database } from '../storage/database.js';
import type { StepRecord } from './executor/context.js';
import type { StepErrorInfo } from './executor/errors.js';
import type { RunStatus } from './types.js';

/** A run as stored, in API form. */
export interface RunRecord {
  id: string;
  workspaceId: string;
  graphId: string | null;
  versionId: string | null;
  parentRunId: string | null;
  depth: number;
  status: RunStatus;
  mode: string;
  rigor: 'audited' | 'experimental';
  input: unknown;
  output: unknown;
  error: StepErrorInfo | null;
  usage: Record<string, number>;
  createdBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  timeoutAt: Date | null;
  cancelRequested: boolean;
}

/** A step attempt as stored, in API form. */
export interface StepRow {
  id: string;
  seq: number;
  nodeId: string;
  nodeName: string;
  nodeType: string;
  typeVersion: number;
  activation: number;
  attempt: number;
  status: StepRecord['status'];
  pinned: boolean;
  disabled: boolean;
  childRunId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  inputHash: string | null;
  input: unknown;
  output: unknown;
  outputItemCount: number | null;
  oversized: boolean;
  error: unknown;
  idempotencyKey: string;
  usage: unknown;
  /** Entries the node stored with `runs.trace`, in order, each with its `seq` and `at`; empty when it stored none. */
  trace: Array<Record<string, unknown>>;
}

/** One entry of a run's event history; `id` is the SSE event id. */
export interface RunEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

export interface RunListFilter {
  graphId?: string | undefined;
  status?: RunStatus | undefined;
  createdBy?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

const RUN_COLUMNS = `id, workspace_id, graph_id, version_id, parent_run_id, depth, status, mode, rigor, input, output, error, usage,
  created_by, created_at, started_at, finished_at, timeout_at, cancel_requested`;
const RUN_SUMMARY_COLUMNS = RUN_COLUMNS.replace('input, output,', 'null as input, null as output,');

/** Serialises a value for a jsonb parameter. PostgreSQL rejects `\u0000` in jsonb text, so NUL characters become U+FFFD. */
export function toJsonb(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const json = JSON.stringify(value);
  if (!json.includes('\\u0000')) return json;
  return JSON.stringify(value, (_key, member: unknown) => (typeof member === 'string' ? member.replaceAll('\u0000', '\uFFFD') : member));
}

/**
 * Reads and writes runs, steps and run events with SQL. Every read of a run takes the
 * workspace id, so one workspace cannot see another's runs.
 */
export class RunStore {
  constructor(private readonly db: Database) {}

  /**
   * Inserts a queued run together with the data a durable back end needs to execute or resume
   * it, in one statement, so no process can claim a run whose graph is not stored yet.

   */
  async createRun(
    run: Pick<RunRecord, 'id' | 'workspaceId' | 'graphId' | 'versionId' | 'parentRunId' | 'depth' | 'mode' | 'rigor' | 'input' | 'createdBy'>,
    durable: { backend: string; graph: unknown; inputItems: unknown; rootRunId: string; parentStepKey: string | null; journal?: Array<{ stepKey: string; seq: number; result: unknown }>; overrides?: Record<string, unknown> | null },
  ): Promise<RunRecord> {
    const [row] = await this.db.query<Record<string, unknown>>(
      `with created as (
         insert into runs (id, workspace_id, graph_id, version_id, parent_run_id, depth, status, mode, rigor, input, created_by, backend, graph, input_items, root_run_id, parent_step_key, step_overrides)
         values ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9::jsonb, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $17::jsonb) returning ${RUN_COLUMNS}),
       journal as (
         insert into run_journal (run_id, step_key, seq, result)
         select $1, entry->>'stepKey', (entry->>'seq')::int, entry->'result' from jsonb_array_elements(coalesce($16::jsonb, '[]'::jsonb)) as entry)
       select * from created`,
      [run.id, run.workspaceId, run.graphId, run.versionId, run.parentRunId, run.depth, run.mode, run.rigor, toJsonb(run.input), run.createdBy,
        durable.backend, toJsonb(durable.graph), toJsonb(durable.inputItems), durable.rootRunId, durable.parentStepKey, toJsonb(durable.journal ?? []), toJsonb(durable.overrides ?? null)],
    );
    return toRunRecord(row!);
  }

  async markRunning(runId: string, startedAt: Date, timeoutAt: Date | null, event: RunEvent): Promise<void> {
    await this.db.query(
      `with updated as (update runs set status = 'running', started_at = $2, timeout_at = $3 where id = $1)
       insert into run_events (run_id, seq, type, data) values ($1, $4, $5, $6::jsonb)`,
      [runId, startedAt, timeoutAt, event.id, event.type, toJsonb(event.data)],
    );
  }

  async finishRun(runId: string, result: { status: RunStatus; output: unknown; error: StepErrorInfo | null; usage: Record<string, number>; finishedAt: Date }, event: RunEvent): Promise<void> {
    await this.db.query(
      `with updated as (update runs set status = $2, output = $3::jsonb, error = $4::jsonb, usage = $5::jsonb, finished_at = $6 where id = $1)
       insert into run_events (run_id, seq, type, data) values ($1, $7, $8, $9::jsonb)`,
      [runId, result.status, toJsonb(result.output), toJsonb(result.error), toJsonb(result.usage), result.finishedAt, event.id, event.type, toJsonb(event.data)],
    );
  }

  /**
   * Writes step rows, events and optionally journal entries in one statement. Journal entries
   * are written only while `journal.owner` owns the run (any owner when null). Otherwise the
   * result is false, which tells the caller that another process took the run over.
   * A step without a row is inserted. An existing row is updated, keeping its stored input,
   * child run and oversized flag unless the new row sets them. Each step id appears at most
   * once per batch (RunRecorder merges the records of one step), because PostgreSQL cannot
   * update one row twice in one statement.
   */
  async writeBatch(steps: StoredStep[], events: Array<RunEvent & { runId: string }>, journal: JournalWrite | null = null): Promise<boolean> {
    if (steps.length === 0 && events.length === 0 && journal === null) return true;
    const rows = await this.db.query<{ allowed: number | null }>(
      `with allowed as (select 1 from runs where $3::text is not null and id = $3 and ($4::text is null or owner = $4)),
       journal as (
         insert into run_journal (run_id, step_key, seq, result)
         select $3, entry->>'stepKey', (entry->>'seq')::int, entry->'result' from jsonb_array_elements(coalesce($5::jsonb, '[]'::jsonb)) as entry
         where exists (select 1 from allowed)
         on conflict (run_id, step_key) do nothing),
       written_steps as (
         insert into run_steps (${STEP_COLUMNS.join(', ')})
         select ${STEP_COLUMNS.join(', ')} from jsonb_populate_recordset(null::run_steps, $1::jsonb)
         on conflict (id) do update set status = excluded.status, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
           output = excluded.output, output_item_count = excluded.output_item_count, error = excluded.error, usage = excluded.usage,
           input = coalesce(excluded.input, run_steps.input), child_run_id = coalesce(excluded.child_run_id, run_steps.child_run_id),
           oversized = run_steps.oversized or excluded.oversized),
       written_events as (
         insert into run_events (run_id, seq, type, data)
         select run_id, seq, type, data from jsonb_populate_recordset(null::run_events, $2::jsonb))
       select (select count(*) from allowed)::int as allowed`,
      [
        toJsonb(steps.map(stepRow)),
        toJsonb(events.map((event) => ({ run_id: event.runId, seq: event.id, type: event.type, data: event.data }))),
        journal?.runId ?? null,
        journal?.owner ?? null,
        journal ? toJsonb(journal.entries) : null,
      ],
    );
    return journal === null || Number(rows[0]?.allowed ?? 0) > 0;
  }

  async getRun(workspaceId: string, runId: string): Promise<RunRecord | null> {
    const [row] = await this.db.query<Record<string, unknown>>(`select ${RUN_COLUMNS} from runs where id = $1 and workspace_id = $2`, [runId, workspaceId]);
    return row ? toRunRecord(row) : null;
  }

  async listSteps(runId: string): Promise<StepRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `select s.*, (select jsonb_agg(t.entry || jsonb_build_object('seq', t.seq) order by t.seq) from run_step_traces t where t.step_id = s.id) as trace
       from run_steps s where s.run_id = $1 order by s.seq`,
      [runId],
    );
    return rows.map(toStepRow);
  }

  /** Runs of a workspace, newest first, without their input and output. */
  async listRuns(workspaceId: string, filter: RunListFilter): Promise<RunRecord[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = [`workspace_id = ${param(workspaceId)}`];
    if (filter.graphId !== undefined) conditions.push(`graph_id = ${param(filter.graphId)}`);
    if (filter.status !== undefined) conditions.push(`status = ${param(filter.status)}`);
    if (filter.createdBy !== undefined) conditions.push(`created_by = ${param(filter.createdBy)}`);
    if (filter.since !== undefined) conditions.push(`created_at >= ${param(filter.since)}`);
    if (filter.until !== undefined) conditions.push(`created_at < ${param(filter.until)}`);
    if (filter.cursor !== undefined) conditions.push(`(created_at, id) < (${param(filter.cursor.createdAt)}, ${param(filter.cursor.id)})`);

    const rows = await this.db.query<Record<string, unknown>>(
      `select ${RUN_SUMMARY_COLUMNS} from runs where ${conditions.join(' and ')} order by created_at desc, id desc limit ${param(filter.limit)}`,
      params,
    );
    return rows.map(toRunRecord);
  }

  /** Events of a run with an id above `afterId`, in order. */
  async listEvents(runId: string, afterId: number): Promise<RunEvent[]> {
    const rows = await this.db.query<{ seq: number; type: string; data: Record<string, unknown> }>('select seq, type, data from run_events where run_id = $1 and seq > $2 order by seq', [runId, afterId]);
    return rows.map((row) => ({ id: Number(row.seq), type: row.type, data: row.data }));
  }

  /** Appends an event after the run's last one, and retries when a concurrent writer took the same id. */
  async appendEvent(runId: string, type: string, data: Record<string, unknown>): Promise<RunEvent> {
    for (let attempt = 0; ; attempt++) {
      const rows = await this.db.query<{ seq: number }>(
        `insert into run_events (run_id, seq, type, data)
         select $1, coalesce(max(seq), 0) + 1, $2, $3::jsonb from run_events where run_id = $1
         on conflict (run_id, seq) do nothing returning seq`,
        [runId, type, toJsonb(data)],
      );
      if (rows[0]) return { id: Number(rows[0].seq), type, data };
      if (attempt >= 10) throw new Error(`could not append event ${type} to run ${runId}: its event ids kept changing`);
    }
  }

  async requestCancel(runId: string): Promise<void> {
    await this.db.query('update runs set cancel_requested = true where id = $1', [runId]);
  }

  /**
   * Marks runs left `queued`, `running` or `waiting` as failed. Only safe when no other kernel
   * process shares the database, i.e. with the embedded database.
   */
  async failInterrupted(message: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `update runs set status = 'failed', finished_at = now(), error = $1::jsonb where status in ('queued', 'running', 'waiting') returning id`,
      [toJsonb({ message, code: 'run_interrupted' })],
    );
    return rows.length;
  }
}

/** Journal entries written with a batch of records, on behalf of the run's owner `owner`. */
export interface JournalWrite {
  runId: string;
  owner: string | null;
  entries: Array<{ stepKey: string; seq: number; result: unknown }>;
}

/** A step as the recorder hands it to the store: record content already trimmed for the run's rigor. */
export interface StoredStep extends Omit<StepRecord, 'input' | 'output' | 'inputBytes'> {
  input: unknown;
  output: unknown;
  oversized: boolean;
}

export const STEP_COLUMNS = [
  'id', 'run_id', 'seq', 'node_id', 'node_name', 'node_type', 'type_version', 'activation', 'attempt', 'status', 'pinned', 'disabled', 'child_run_id',
  'started_at', 'finished_at', 'duration_ms', 'input_hash', 'input', 'output', 'output_item_count', 'oversized', 'error', 'idempotency_key', 'usage',
];

/** Converts a step to a `run_steps` row keyed by column name, for `jsonb_populate_recordset`. */
export function stepRow(step: StoredStep): Record<string, unknown> {
  return {
    id: step.id,
    run_id: step.runId,
    seq: step.seq,
    node_id: step.nodeId,
    node_name: step.nodeName,
    node_type: step.nodeType,
    type_version: step.typeVersion,
    activation: step.activation,
    attempt: step.attempt,
    status: step.status,
    pinned: step.pinned,
    disabled: step.disabled,
    child_run_id: step.childRunId,
    started_at: step.startedAt.toISOString(),
    finished_at: step.finishedAt?.toISOString() ?? null,
    duration_ms: step.durationMs,
    input_hash: step.inputHash,
    input: step.input,
    output: step.output,
    output_item_count: step.outputItemCount,
    oversized: step.oversized,
    error: step.error,
    idempotency_key: step.idempotencyKey,
    usage: step.usage,
  };
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

function toRunRecord(row: Record<string, unknown>): RunRecord {
  return {
    id: row.id as string,
    workspaceId: row.workspace_id as string,
    graphId: (row.graph_id as string | null) ?? null,
    versionId: (row.version_id as string | null) ?? null,
    parentRunId: (row.parent_run_id as string | null) ?? null,
    depth: Number(row.depth),
    status: row.status as RunStatus,
    mode: row.mode as string,
    rigor: row.rigor as RunRecord['rigor'],
    input: row.input ?? null,
    output: row.output ?? null,
    error: (row.error as StepErrorInfo | null) ?? null,
    usage: (row.usage as Record<string, number> | null) ?? {},
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: toDate(row.created_at)!,
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    timeoutAt: toDate(row.timeout_at),
    cancelRequested: Boolean(row.cancel_requested),
  };
}

function toStepRow(row: Record<string, unknown>): StepRow {
  return {
    id: row.id as string,
    seq: Number(row.seq),
    nodeId: row.node_id as string,
    nodeName: row.node_name as string,
    nodeType: row.node_type as string,
    typeVersion: Number(row.type_version),
    activation: Number(row.activation),
    attempt: Number(row.attempt),
    status: row.status as StepRow['status'],
    pinned: Boolean(row.pinned),
    disabled: Boolean(row.disabled),
    childRunId: (row.child_run_id as string | null) ?? null,
    startedAt: toDate(row.started_at)!,
    finishedAt: toDate(row.finished_at),
    durationMs: row.duration_ms === null || row.duration_ms === undefined ? null : Number(row.duration_ms),
    inputHash: (row.input_hash as string | null) ?? null,
    input: row.input ?? null,
    output: row.output ?? null,
    outputItemCount: row.output_item_count === null || row.output_item_count === undefined ? null : Number(row.output_item_count),
    oversized: Boolean(row.oversized),
    error: row.error ?? null,
    idempotencyKey: row.idempotency_key as string,
    usage: row.usage ?? null,
    trace: (row.trace as Array<Record<string, unknown>> | null) ?? [],
  };
}

/** Encodes the position after `run` in the newest-first run list. */
export function encodeRunCursor(run: Pick<RunRecord, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify({ createdAt: run.createdAt.toISOString(), id: run.id }), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeRunCursor`. @throws BadRequestError for any other string. */
export function decodeRunCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { createdAt?: unknown; id?: unknown };
    const createdAt = typeof value.createdAt === 'string' ? new Date(value.createdAt) : null;
    if (createdAt && !Number.isNaN(createdAt.getTime()) && typeof value.id === 'string') return { createdAt, id: value.id };
  } catch {
    // Reported below.
  }
  throw new BadRequestError('invalid_cursor', 'The cursor is not one returned by GET /api/runs; pass the nextCursor of the previous page unchanged.');
}
