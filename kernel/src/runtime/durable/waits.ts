import { newId } from '../../auth/tokens.js';
import { createDraft2020Validator, lazily } from '../../infra/json-schema-validators.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { Item } from '../../graphs/model.js';
import type { Database } from '../../storage/database.js';
import type { RunWaits, WaitRequest, WaitResolution } from '../executor/context.js';
import { RunSuspendedError } from '../executor/errors.js';
import { toJsonb } from '../run-store.js';

export type WaitStatus = 'pending' | 'approved' | 'rejected' | 'resumed' | 'elapsed' | 'expired' | 'cancelled';

/** Wait of a run's step, as stored and as the API returns it. */
export interface WaitRecord {
  id: string;
  runId: string;
  rootRunId: string;
  workspaceId: string;
  graphId: string | null;
  nodeId: string;
  nodeName: string;
  stepKey: string;
  kind: WaitRequest['kind'];
  status: WaitStatus;
  request: WaitRequest;
  resumeAt: Date | null;
  decision: { items?: Item[]; form?: Record<string, unknown> } | null;
  comment: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

/** Decision of a reviewer or operator on a wait. */
export interface WaitDecision {
  outcome: 'approved' | 'rejected' | 'resumed';
  items?: Item[] | undefined;
  form?: Record<string, unknown> | undefined;
  comment?: string | undefined;
  decidedBy: string | null;
}

const COLUMNS = 'id, run_id, root_run_id, workspace_id, graph_id, node_id, node_name, step_key, kind, status, request, resume_at, decision, comment, decided_by, decided_at, created_at';

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

function toWait(row: Record<string, unknown>): WaitRecord {
  return {
    id: row.id as string,
    runId: row.run_id as string,
    rootRunId: row.root_run_id as string,
    workspaceId: row.workspace_id as string,
    graphId: (row.graph_id as string | null) ?? null,
    nodeId: row.node_id as string,
    nodeName: row.node_name as string,
    stepKey: row.step_key as string,
    kind: row.kind as WaitRecord['kind'],
    status: row.status as WaitStatus,
    request: row.request as WaitRequest,
    resumeAt: toDate(row.resume_at),
    decision: (row.decision as WaitRecord['decision']) ?? null,
    comment: (row.comment as string | null) ?? null,
    decidedBy: (row.decided_by as string | null) ?? null,
    decidedAt: toDate(row.decided_at),
    createdAt: toDate(row.created_at)!,
  };
}

/** Store of waits in `run_waits`. Methods that serve API requests take the workspace id. */
export class WaitStore {
  constructor(private readonly db: Database) {}

  /** Creates the wait of a step, or returns the one created before, because a replayed step requests its wait again. */
  async ensure(wait: Pick<WaitRecord, 'runId' | 'rootRunId' | 'workspaceId' | 'graphId' | 'nodeId' | 'nodeName' | 'stepKey' | 'request'>): Promise<{ wait: WaitRecord; created: boolean }> {
    const inserted = await this.db.query<Record<string, unknown>>(
      `insert into run_waits (id, run_id, root_run_id, workspace_id, graph_id, node_id, node_name, step_key, kind, status, request, resume_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10::jsonb, $11)
       on conflict (run_id, step_key) do nothing returning ${COLUMNS}`,
      [newId('wait'), wait.runId, wait.rootRunId, wait.workspaceId, wait.graphId, wait.nodeId, wait.nodeName, wait.stepKey, wait.request.kind, toJsonb(wait.request), wait.request.until ?? null],
    );
    if (inserted[0]) return { wait: toWait(inserted[0]), created: true };
    const [row] = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from run_waits where run_id = $1 and step_key = $2`, [wait.runId, wait.stepKey]);
    return { wait: toWait(row!), created: false };
  }

  /** Loads a wait of any workspace, for the kernel's own use. Returns null when it does not exist. */
  async byId(id: string): Promise<WaitRecord | null> {
    const [row] = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from run_waits where id = $1`, [id]);
    return row ? toWait(row) : null;
  }

  /** @throws NotFoundError when the wait does not exist in the workspace. */
  async get(workspaceId: string, id: string): Promise<WaitRecord> {
    const [row] = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from run_waits where id = $1 and workspace_id = $2`, [id, workspaceId]);
    if (!row) throw new NotFoundError('Wait', id);
    return toWait(row);
  }

  /** Lists the waits of a workspace that match `filter`, oldest first, starting after the wait `filter.after`. */
  async list(workspaceId: string, filter: { status?: WaitStatus | undefined; kind?: WaitRecord['kind'] | undefined; runId?: string | undefined; graphId?: string | undefined; after?: { createdAt: Date; id: string } | undefined; limit: number }): Promise<WaitRecord[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = [`workspace_id = ${param(workspaceId)}`];
    if (filter.status) conditions.push(`status = ${param(filter.status)}`);
    if (filter.kind) conditions.push(`kind = ${param(filter.kind)}`);
    if (filter.runId) conditions.push(`(run_id = ${param(filter.runId)} or root_run_id = ${param(filter.runId)})`);
    if (filter.graphId) conditions.push(`graph_id = ${param(filter.graphId)}`);
    if (filter.after) conditions.push(`(created_at, id) > (${param(filter.after.createdAt)}, ${param(filter.after.id)})`);
    const rows = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from run_waits where ${conditions.join(' and ')} order by created_at, id limit ${param(filter.limit)}`, params);
    return rows.map(toWait);
  }

  /**
   * Records a decision on a pending wait.
   *
   * @throws NotFoundError when the wait does not exist in the workspace.
   * @throws ConflictError when the wait is no longer pending, or the decision does not fit its kind.
   * @throws ValidationError (422) when the values of an approval form are invalid.
   */
  async decide(workspaceId: string, id: string, decision: WaitDecision): Promise<WaitRecord> {
    const wait = await this.get(workspaceId, id);
    if (wait.status !== 'pending') {
      const decidedBy = wait.decidedBy ? ` by ${wait.decidedBy}` : '';
      throw new ConflictError(`Wait '${id}' is already ${wait.status}${decidedBy}. Only pending waits can be decided.`, { status: wait.status });
    }
    if (wait.kind === 'approval' && decision.outcome === 'resumed') {
      throw new ConflictError(`Wait '${id}' is an approval, so it cannot be resumed. Decide it with approve or reject.`, { kind: wait.kind });
    }
    if (wait.kind !== 'approval' && decision.outcome !== 'resumed') {
      throw new ConflictError(`Wait '${id}' is a ${wait.kind} wait, so it can only be resumed, not approved or rejected.`, { kind: wait.kind });
    }
    if (decision.items !== undefined && wait.request.allowEdit !== true) {
      throw new ConflictError(`Wait '${id}' does not allow editing its items because its node set allowEdit to false. Send the decision without items.`, { allowEdit: false });
    }

    if (wait.request.form !== undefined && decision.outcome === 'approved') checkForm(id, wait.request.form, decision.form ?? {});

    const body: WaitRecord['decision'] = {};
    if (decision.items !== undefined) body.items = decision.items;
    if (decision.form !== undefined) body.form = decision.form;
    const [row] = await this.db.query<Record<string, unknown>>(
      `update run_waits set status = $3, decision = $4::jsonb, comment = $5, decided_by = $6, decided_at = now()
       where id = $1 and workspace_id = $2 and status = 'pending' returning ${COLUMNS}`,
      [id, workspaceId, decision.outcome, toJsonb(body), decision.comment ?? null, decision.decidedBy],
    );
    if (!row) throw new ConflictError(`Wait '${id}' was decided by another request a moment ago. Read the wait to see its outcome.`, {});
    return toWait(row);
  }

  /** Ends a pending wait whose `until` time has passed and returns the wait as stored. */
  async expire(id: string, status: 'elapsed' | 'expired'): Promise<WaitRecord> {
    await this.db.query(`update run_waits set status = $2, decided_at = now() where id = $1 and status = 'pending'`, [id, status]);
    return (await this.byId(id))!;
  }

  /** Lists the pending `resume` waits of a run and its sub-workflow runs, for `POST /api/runs/:id/resume`. */
  async pendingResumes(rootRunId: string): Promise<WaitRecord[]> {
    const rows = await this.db.query<Record<string, unknown>>(`select ${COLUMNS} from run_waits where root_run_id = $1 and status = 'pending' and kind = 'resume'`, [rootRunId]);
    return rows.map(toWait);
  }
}

const formValidator = lazily(() => createDraft2020Validator());

/**
 * Checks approval form values against the form's JSON Schema.
 *
 * @throws ValidationError (422) naming each field that is missing, unknown or of the wrong type.
 * @throws ConflictError when the form's JSON Schema cannot be compiled.
 */
function checkForm(waitId: string, schema: Record<string, unknown>, values: Record<string, unknown>): void {
  let validate;
  try {
    validate = formValidator().compile(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConflictError(`Wait '${waitId}' has an invalid form: its JSON Schema failed to compile (${reason}). Fix the node that requested the form.`, {});
  }
  if (validate(values)) return;

  const problems = (validate.errors ?? []).map((error) => {
    let field: string;
    let message: string;
    if (error.keyword === 'required') {
      field = String((error.params as { missingProperty?: string }).missingProperty);
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      field = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
      message = `is not a field of the form (${String((error.params as { additionalProperty?: string }).additionalProperty)})`;
    } else {
      field = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
      message = error.message ?? 'is invalid';
    }
    return { path: field ? `form.${field}` : 'form', message };
  });
  const summary = problems.map((problem) => `${problem.path} ${problem.message}`).join('; ');
  throw new ValidationError(`The form values of wait '${waitId}' are invalid: ${summary}. Send form with every required field, each of the type the form declares.`, problems);
}

/** In-process notifications that wake the runs waiting inside this process for a wait to end. */
export class WaitSignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves after `ms`, when `notify(waitId)` is called, or rejects when `signal` aborts. */
  wait(waitId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters.get(waitId)?.delete(done);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.waiters.get(waitId)?.delete(done);
        reject(signal.reason as Error);
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 2_147_000_000)));
      signal.addEventListener('abort', onAbort, { once: true });
      let set = this.waiters.get(waitId);
      if (!set) this.waiters.set(waitId, (set = new Set()));
      set.add(done);
    });
  }

  /** Wakes every caller of `wait` for this wait id. */
  notify(waitId: string): void {
    for (const done of [...(this.waiters.get(waitId) ?? [])]) done();
    this.waiters.delete(waitId);
  }
}

/**
 * Waits of one run, stored in `run_waits`. A wait that is decided, or whose time has come,
 * resolves at once. Otherwise the run waits inside the process when `suspend` is false or the
 * wait ends within `inlineWaitMs`. In every other case `resolve` throws RunSuspendedError so
 * that the run is parked.
 */
export class DurableRunWaits implements RunWaits {
  constructor(
    private readonly deps: {
      store: WaitStore;
      signals: WaitSignals;
      run: { id: string; rootRunId: string; workspaceId: string; graphId: string | null };
      inlineWaitMs: number;
      suspend: boolean;
      /** Called once when a wait is created, e.g. to emit an event. */
      onCreated?: (wait: WaitRecord) => Promise<void>;
    },
  ) {}

  async resolve(step: { stepKey: string; nodeId: string; nodeName: string }, request: WaitRequest, signal: AbortSignal): Promise<WaitResolution> {
    const { run } = this.deps;
    const ensured = await this.deps.store.ensure({ runId: run.id, rootRunId: run.rootRunId, workspaceId: run.workspaceId, graphId: run.graphId, nodeId: step.nodeId, nodeName: step.nodeName, stepKey: step.stepKey, request });
    let wait = ensured.wait;
    if (ensured.created) await this.deps.onCreated?.(wait);

    for (;;) {
      if (wait.status !== 'pending') return toResolution(wait);
      const due = wait.resumeAt?.getTime();
      const remaining = due === undefined ? Number.POSITIVE_INFINITY : due - Date.now();
      if (remaining <= 0) {
        wait = await this.deps.store.expire(wait.id, wait.kind === 'timer' ? 'elapsed' : 'expired');
        continue;
      }
      if (this.deps.suspend && remaining > this.deps.inlineWaitMs) {
        throw new RunSuspendedError('wait', due === undefined ? null : new Date(due), `node '${step.nodeName}' waits (${wait.kind}, wait ${wait.id})`, wait.id);
      }
      // Re-read the wait at least every second, because a decision made in another process may not reach `signals`.
      await this.deps.signals.wait(wait.id, Math.min(remaining, 1_000), signal);
      wait = (await this.deps.store.byId(wait.id)) ?? wait;
    }
  }
}

/**
 * Converts an ended wait into the `resume` value that its node receives.
 *
 * @throws ConflictError when the wait is still pending or was cancelled.
 */
export function toResolution(wait: WaitRecord): WaitResolution {
  if (wait.status === 'cancelled' || wait.status === 'pending') {
    throw new ConflictError(`Wait '${wait.id}' is ${wait.status}, so it has no outcome to pass to its node.`, { status: wait.status });
  }
  const resolution: WaitResolution = {
    waitId: wait.id,
    kind: wait.kind,
    outcome: wait.status,
    comment: wait.comment,
    decidedBy: wait.decidedBy,
    decidedAt: (wait.decidedAt ?? new Date()).toISOString(),
  };
  if (wait.decision?.items !== undefined) resolution.items = wait.decision.items;
  if (wait.decision?.form !== undefined) resolution.form = wait.decision.form;
  return resolution;
}
