import { newId } from '../auth/tokens.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Item } from '../graphs/model.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { directJournal, emptyUsage, type ExecutorLimits, type RunContext, type RunOutcome } from './executor/context.js';
import { describeError, GraphPlanError, RunAbortedError, StepError } from './executor/errors.js';
import { GraphExecutor } from './executor/executor.js';
import type { ExecutionPlan } from './executor/plan.js';
import { graphLabel, type ChildRunStarter } from './executor/subworkflow.js';
import { followRunEvents } from './run-events.js';
import { RunQueue } from './run-queue.js';
import { recordRunItems, RunRecorder } from './run-recorder.js';
import { decodeRunCursor, encodeRunCursor, RunStore, type RunEvent, type RunRecord, type StepRow } from './run-store.js';
import type { ExecutableGraph, ExpressionEvaluator, NodeRunner, NodeTypeResolver, RunStatus, SubgraphLoader } from './types.js';

/** Pub/sub channel on which kernel processes ask each other to cancel runs they own. */
const CONTROL_CHANNEL = 'runs:control';

const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export interface RunServiceLimits extends ExecutorLimits {
  /** Top-level runs executing at once per workspace; more wait in the queue. */
  maxConcurrentPerWorkspace: number;
  /** Largest JSON of a step's input or output kept in full by an audited run, in bytes. */
  maxRecordBytes: number;
}

export interface RunServiceDeps {
  db: Database;
  sharedState: SharedState;
  logger: Logger;
  /** Returns the node types of the active extensions. Called once per run, so that planning and execution use the same set. */
  nodeTypes: () => NodeTypeResolver;
  runner: NodeRunner;
  /** Read at each run, so an evaluator registered after start-up is used. Null runs parameters as written. */
  evaluator: () => ExpressionEvaluator | null;
  /** Read when a sub-workflow node runs. Null makes sub-workflow nodes fail with a clear error. */
  subgraphLoader: () => SubgraphLoader | null;
  limits: RunServiceLimits;
}

export interface StartRunRequest {
  workspaceId: string;
  graph: ExecutableGraph;
  input: Item[];
  /** Start mode: `manual`, `api`, `partial`, `subworkflow`, `trigger`, … */
  mode: string;
  createdBy: string | null;
  /** Resolve only when the run has finished. */
  waitForCompletion?: boolean;
}

export interface RunListQuery {
  graphId?: string | undefined;
  status?: RunStatus | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

interface ActiveRun {
  runId: string;
  /** Built when the run is created, so planning and execution see the same node types. */
  executor: GraphExecutor;
  workspaceId: string;
  graph: ExecutableGraph;
  plan: ExecutionPlan;
  input: Item[];
  depth: number;
  chain: string[];
  createdBy: string | null;
  controller: AbortController;
  recorder: RunRecorder;
  /** Settles once `run.started` is stored. */
  started: Promise<void>;
  markStarted: () => void;
  /** Settles with the final record once the run has ended. */
  done: Promise<RunRecord>;
  finish: (record: RunRecord) => void;
}

/**
 * Starts, queues, cancels and reports runs. Runs execute in this process; the executor
 * records every step, and events go to the database and to the run's pub/sub channel.
 */
export class RunService implements ChildRunStarter {
  private readonly store: RunStore;
  private readonly queue: RunQueue;
  private readonly active = new Map<string, ActiveRun>();
  private readonly log: Logger;
  private unsubscribeControl: (() => Promise<void>) | null = null;

  private constructor(private readonly deps: RunServiceDeps) {
    this.store = new RunStore(deps.db);
    this.queue = new RunQueue(deps.limits.maxConcurrentPerWorkspace);
    this.log = deps.logger.child({ component: 'runs' });
  }

  /**
   * Creates the service and listens for cancellations from other kernel processes. With the
   * embedded database, which only this process opens, runs a previous process left unfinished
   * are marked failed.
   */
  static async create(deps: RunServiceDeps): Promise<RunService> {
    const service = new RunService(deps);
    if (deps.db.kind === 'pglite') {
      const count = await service.store.failInterrupted('The kernel stopped while the run was queued or running.');
      if (count > 0) service.log.warn({ runs: count }, 'marked runs interrupted by a kernel stop as failed');
    }
    service.unsubscribeControl = await deps.sharedState.pubsub.subscribe(CONTROL_CHANNEL, (message) => service.onControlMessage(message));
    return service;
  }

  /**
   * Records a run and starts it, or queues it when its workspace or graph is at its
   * concurrency limit. Resolves with the run as recorded: `running` or `queued`, or with its
   * final state when `waitForCompletion` is set.
   *
   * @throws GraphPlanError (422) when the graph cannot be run.
   */
  async start(request: StartRunRequest): Promise<RunRecord> {
    const executor = this.executor();
    const plan = executor.plan(request.graph.graph);
    const entry = await this.createRun({ ...request, executor, plan, parentRunId: null, depth: 0, chain: [graphLabel(request.graph)] });

    const admitted = this.queue.submit({
      runId: entry.runId,
      workspaceId: entry.workspaceId,
      graphId: request.graph.id,
      graphLimit: request.graph.graph.settings.maxConcurrentRuns,
      start: () => void this.launch(entry, true),
    });

    if (request.waitForCompletion) return entry.done;
    if (admitted) await entry.started;
    return (await this.store.getRun(entry.workspaceId, entry.runId))!;
  }

  /** Executes a sub-workflow run below `parent` without taking a concurrency slot. */
  async runChild(request: Parameters<ChildRunStarter['runChild']>[0]): Promise<{ runId: string; outcome: RunOutcome }> {
    const executor = this.executor();
    let plan: ExecutionPlan;
    try {
      plan = executor.plan(request.graph.graph);
    } catch (error) {
      if (error instanceof GraphPlanError) throw new StepError('invalid_graph', `sub-workflow graph '${graphLabel(request.graph)}' cannot be run: ${error.message}`, { retryable: false });
      throw error;
    }

    const parent = this.active.get(request.parent.runId);
    const entry = await this.createRun({
      workspaceId: request.parent.workspaceId,
      graph: request.graph,
      input: request.input,
      mode: 'subworkflow',
      createdBy: parent?.createdBy ?? null,
      executor,
      plan,
      parentRunId: request.parent.runId,
      depth: request.parent.depth + 1,
      chain: request.chain,
    });
    await request.onCreated(entry.runId);

    const forwardAbort = () => entry.controller.abort(request.signal.reason);
    if (request.signal.aborted) forwardAbort();
    request.signal.addEventListener('abort', forwardAbort, { once: true });
    try {
      const outcome = await this.launch(entry, false);
      return { runId: entry.runId, outcome };
    } finally {
      request.signal.removeEventListener('abort', forwardAbort);
    }
  }

  /** @throws NotFoundError when the run does not exist in the workspace. */
  async get(workspaceId: string, runId: string): Promise<RunRecord & { steps: StepRow[] }> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    return { ...run, steps: await this.store.listSteps(runId) };
  }

  /** Runs of a workspace, newest first, without input and output; `nextCursor` is null on the last page. */
  async list(workspaceId: string, query: RunListQuery): Promise<{ items: RunRecord[]; nextCursor: string | null }> {
    const rows = await this.store.listRuns(workspaceId, { ...query, cursor: query.cursor === undefined ? undefined : decodeRunCursor(query.cursor), limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeRunCursor(last) : null };
  }

  /**
   * Cancels a queued or running run: a queued run ends at once, a running one has its current
   * step aborted. Resolves with the run after it has ended when it runs in this process.
   *
   * @throws NotFoundError when the run does not exist in the workspace; ConflictError when it has already finished.
   */
  async cancel(workspaceId: string, runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    if (FINISHED_STATUSES.has(run.status)) throw new ConflictError(`Run '${runId}' has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}; only queued or running runs can be cancelled.`, { status: run.status });

    await this.store.requestCancel(runId);
    const entry = this.active.get(runId);
    if (!entry) {
      await this.deps.sharedState.pubsub.publish(CONTROL_CHANNEL, JSON.stringify({ action: 'cancel', runId }));
      return (await this.store.getRun(workspaceId, runId))!;
    }

    this.cancelLocal(entry, 'cancelled', 'the run was cancelled');
    return entry.done;
  }

  /** Resolves with the run once it has ended; a run that is not active here is read from the database. */
  async waitFor(workspaceId: string, runId: string): Promise<RunRecord> {
    const entry = this.active.get(runId);
    if (entry) return entry.done;
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    return run;
  }

  /**
   * Stored then live events of a run after `afterId`; see `followRunEvents`. Returns null
   * when the run has finished and has no event after `afterId`, so there is nothing to stream.
   *
   * @throws NotFoundError for a run of another workspace.
   */
  async events(workspaceId: string, runId: string, afterId: number, signal: AbortSignal): Promise<AsyncGenerator<RunEvent> | null> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    if (FINISHED_STATUSES.has(run.status) && (await this.store.listEvents(runId, afterId)).length === 0) return null;
    return followRunEvents({ store: this.store, pubsub: this.deps.sharedState.pubsub }, runId, afterId, signal);
  }

  /** Stops listening for cancellations, fails queued runs and aborts running ones, then waits for them to be recorded. */
  async dispose(): Promise<void> {
    await this.unsubscribeControl?.().catch(() => {});
    this.unsubscribeControl = null;

    const pending = [...this.active.values()];
    for (const queued of this.queue.clear()) {
      const entry = this.active.get(queued.runId);
      if (entry) this.endQueued(entry, 'shutdown', 'the kernel shut down before the run started');
    }
    // NOTE: a durable run back end would resume these runs after a restart; here they end as failed.
    for (const entry of pending) entry.controller.abort(new RunAbortedError('shutdown', 'the kernel shut down while the run was in progress'));
    await Promise.allSettled(pending.map((entry) => entry.done));
  }

  private executor(): GraphExecutor {
    const loader = this.deps.subgraphLoader();
    return new GraphExecutor({
      resolver: this.deps.nodeTypes(),
      runner: this.deps.runner,
      evaluator: this.deps.evaluator(),
      subworkflows: loader ? { loader, starter: this } : null,
      limits: this.deps.limits,
      logger: this.log,
    });
  }

  private async createRun(request: Omit<StartRunRequest, 'waitForCompletion'> & { executor: GraphExecutor; plan: ExecutionPlan; parentRunId: string | null; depth: number; chain: string[] }): Promise<ActiveRun> {
    const runId = newId('run');
    const rigor = request.graph.graph.settings.rigor;
    await this.store.createRun({
      id: runId,
      workspaceId: request.workspaceId,
      graphId: request.graph.id,
      versionId: request.graph.versionId,
      parentRunId: request.parentRunId,
      depth: request.depth,
      mode: request.mode,
      rigor,
      input: recordRunItems(request.input, rigor, this.deps.limits.maxRecordBytes),
      createdBy: request.createdBy,
    });

    let markStarted = () => {};
    let finish: (record: RunRecord) => void = () => {};
    const entry: ActiveRun = {
      runId,
      executor: request.executor,
      workspaceId: request.workspaceId,
      graph: request.graph,
      plan: request.plan,
      input: request.input,
      depth: request.depth,
      chain: request.chain,
      createdBy: request.createdBy,
      controller: new AbortController(),
      recorder: new RunRecorder({ store: this.store, pubsub: this.deps.sharedState.pubsub, logger: this.log, runId, rigor, maxRecordBytes: this.deps.limits.maxRecordBytes }),
      started: new Promise<void>((resolve) => {
        markStarted = resolve;
      }),
      markStarted: () => markStarted(),
      done: new Promise<RunRecord>((resolve) => {
        finish = resolve;
      }),
      finish: (record) => finish(record),
    };
    this.active.set(runId, entry);
    this.log.info({ runId, workspaceId: request.workspaceId, graphId: request.graph.id, parentRunId: request.parentRunId, mode: request.mode }, 'run created');
    return entry;
  }

  /** Executes an admitted run to its end and records the outcome. Never rejects. */
  private async launch(entry: ActiveRun, holdsSlot: boolean): Promise<RunOutcome> {
    const settings = entry.graph.graph.settings;
    const startedAt = new Date();
    const timeoutAt = settings.timeoutMs === undefined ? null : new Date(startedAt.getTime() + settings.timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    let outcome: RunOutcome;

    try {
      await entry.recorder.runStarted(startedAt, timeoutAt);
      entry.markStarted();
      this.log.info({ runId: entry.runId }, 'run started');
      if (settings.timeoutMs !== undefined) {
        const timeoutMs = settings.timeoutMs;
        timer = setTimeout(() => entry.controller.abort(new RunAbortedError('timeout', `the run timed out after ${timeoutMs} ms (graph setting timeoutMs)`)), timeoutMs);
      }

      const context: RunContext = {
        runId: entry.runId,
        workspaceId: entry.workspaceId,
        graph: entry.graph,
        plan: entry.plan,
        input: entry.input,
        signal: entry.controller.signal,
        startedAt,
        settings,
        depth: entry.depth,
        chain: entry.chain,
        recorder: entry.recorder,
        // NOTE: every step runs again if the kernel stops mid-run; a durable back end plugs a journal in here that replays recorded steps.
        journal: directJournal,
      };
      outcome = await entry.executor.execute(context);
    } catch (error) {
      this.log.error({ runId: entry.runId, err: error }, 'run failed outside its steps');
      outcome = { status: 'failed', output: [], error: describeError(error), usage: emptyUsage() };
    } finally {
      clearTimeout(timer);
      entry.markStarted();
    }

    await this.end(entry, outcome, startedAt);
    if (holdsSlot) this.queue.release({ workspaceId: entry.workspaceId, graphId: entry.graph.id });
    return outcome;
  }

  private async end(entry: ActiveRun, outcome: RunOutcome, startedAt: Date | null): Promise<void> {
    try {
      await entry.recorder.runFinished(outcome, startedAt);
    } catch (error) {
      this.log.error({ runId: entry.runId, err: error }, 'could not record the end of a run');
    }
    this.active.delete(entry.runId);
    this.log.info({ runId: entry.runId, status: outcome.status, code: outcome.error?.code }, 'run finished');

    const record = await this.store.getRun(entry.workspaceId, entry.runId).catch(() => null);
    entry.finish(record ?? ({ id: entry.runId, workspaceId: entry.workspaceId, status: outcome.status } as RunRecord));
  }

  /** Ends a queued run at once, or aborts a running one. */
  private cancelLocal(entry: ActiveRun, reason: 'cancelled' | 'shutdown', message: string): void {
    if (this.queue.remove(entry.runId)) {
      this.endQueued(entry, reason, message);
      return;
    }
    entry.controller.abort(new RunAbortedError(reason, message));
  }

  /** Records the end of a run that never left the queue. */
  private endQueued(entry: ActiveRun, reason: 'cancelled' | 'shutdown', message: string): void {
    const error = describeError(new RunAbortedError(reason, message));
    entry.markStarted();
    void this.end(entry, { status: reason === 'cancelled' ? 'cancelled' : 'failed', output: [], error, usage: emptyUsage() }, null);
  }

  private onControlMessage(message: string): void {
    let parsed: { action?: unknown; runId?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      this.log.warn({ message: message.slice(0, 200) }, 'ignored a malformed run control message');
      return;
    }
    const entry = typeof parsed.runId === 'string' ? this.active.get(parsed.runId) : undefined;
    if (parsed.action === 'cancel' && entry) this.cancelLocal(entry, 'cancelled', 'the run was cancelled');
  }
}
