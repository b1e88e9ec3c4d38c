import { newId } from '../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError } from '../errors.js';
import type { GraphSettings, Item } from '../graphs/model.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { DurableJournal } from './durable/journal.js';
import { DurableStore, type ClaimedRun } from './durable/durable-store.js';
import { DurableRunWaits, WaitSignals, WaitStore, type WaitDecision, type WaitRecord } from './durable/waits.js';
import { directJournal, emptyUsage, noWaits, type ExecutorLimits, type RunContext, type RunOutcome, type StepJournal } from './executor/context.js';
import { describeError, GraphPlanError, RunAbortedError, RunSuspendedError, StepError } from './executor/errors.js';
import { GraphExecutor } from './executor/executor.js';
import type { ActivationResult } from './executor/interpreter.js';
import type { ExecutionPlan } from './executor/plan.js';
import { graphLabel, type ChildRunStarter } from './executor/subworkflow.js';
import { followRunEvents } from './run-events.js';
import { RunQueue } from './run-queue.js';
import { DirectRunStore, keepsRecords, RunSaveQueue, type DirectRunSaving } from './direct-run-store.js';
import { recordRunItems, RunRecorder, runChannel } from './run-recorder.js';
import { decodeRunCursor, encodeRunCursor, RunStore, type RunEvent, type RunRecord, type StepRow } from './run-store.js';
import type { ExecutableGraph, ExpressionEvaluator, NodeRunner, NodeTypeResolver, PortItems, RunStatus, SubgraphLoader } from './types.js';

/**
 * Pub/sub channel of run control messages between kernel processes: requests to cancel or
 * pause a run that another process executes, and announcements of runs that are due.
 */
const CONTROL_CHANNEL = 'runs:control';

const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export type RunBackendKind = 'embedded' | 'memory' | 'temporal';

/**
 * Back end that executes runs outside this service, such as Temporal. The service records the
 * run (status queued, graph, input) and hands it over. The back end writes steps, events and
 * the end of the run to the same run tables, so reads, events and time travel work unchanged.
 */
export interface RemoteRunBackend {
  readonly kind: 'temporal';
  /** Starts executing a recorded run. `journal` contains activation results to reuse in a replay or fork. */
  start(run: { runId: string; workspaceId: string; graph: ExecutableGraph; input: Item[]; createdBy: string | null; journal: Array<{ stepKey: string; result: unknown }>; overrides: Record<string, PortItems> | null }): Promise<void>;
  /** Requests cancellation of a run. The back end records the end of the run. */
  cancel(runId: string): Promise<void>;
  pause(runId: string): Promise<void>;
  resume(runId: string): Promise<void>;
  /** Continues the run after one of its waits was decided. */
  decided(wait: WaitRecord): Promise<void>;
  dispose(): Promise<void>;
}

export interface RunServiceLimits extends ExecutorLimits {
  /** Maximum number of top-level runs in progress (running, waiting or paused) per workspace. Further runs stay queued. */
  maxConcurrentPerWorkspace: number;
  /** Largest JSON of a step's input or output kept in full by an audited run, in bytes. */
  maxRecordBytes: number;
}

/** Settings of the embedded durable back end. */
export interface DurableSettings {
  leaseMs: number;
  pollMs: number;
  /** Maximum number of top-level runs that this process executes at once. */
  maxPerProcess: number;
  /** Maximum wait in ms that a run spends inside the process. A longer wait parks the run. */
  inlineWaitMs: number;
  /**
   * Whether to release, at start-up, the runs that other processes owned, so they resume at once
   * instead of after their lease lapses. Safe only when no other process can use the database,
   * as with the embedded PGlite database.
   */
  releaseStaleOnStart: boolean;
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
  /**
   * Run back end. With `embedded` (the default), the journal in the database is the source of
   * truth, so runs survive a crash and several processes share them. With `memory`, runs live in
   * this process only. `temporal` hands runs to `remote`.
   */
  backend?: RunBackendKind;
  durable?: Partial<DurableSettings>;
  /** Required for the `temporal` back end. */
  remote?: RemoteRunBackend;
}

export interface StartRunRequest {
  workspaceId: string;
  graph: ExecutableGraph;
  input: Item[];
  /** Start mode: `manual`, `api`, `partial`, `subworkflow`, `trigger`, `replay`, `fork`, … */
  mode: string;
  createdBy: string | null;
  /** Resolve only when the run has finished. */
  waitForCompletion?: boolean;
  /** Results of activations to reuse instead of running them (replay and fork), by step key. */
  journal?: Array<{ stepKey: string; result: unknown }>;
  /** Input items that replace what these activations receive, by step key (fork). */
  overrides?: Record<string, PortItems> | null;  /** Id of the new run; default a new random id. A caller that must find the run again after a crash passes one it stored first. */
  runId?: string;
}

export interface RunListQuery {
  graphId?: string | undefined;
  status?: RunStatus | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  createdBy?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

interface ActiveRun {
  runId: string;
  rootRunId: string;
  executor: GraphExecutor;
  workspaceId: string;
  graph: ExecutableGraph;
  plan: ExecutionPlan;
  input: Item[];
  depth: number;
  chain: string[];
  createdBy: string | null;
  overrides: Record<string, PortItems> | null;
  controller: AbortController;
  recorder: RunRecorder;
  /** Store of the run's records: the database, or memory for a direct run. */
  store: RunStore;
  /** Set for a direct run and its sub-workflow runs: no journal, records held until the top-level run ends. */
  direct: { store: DirectRunStore; saving: DirectRunSaving } | null;
  /** Whether the run was created by this process a moment ago with an empty journal, so its journal and numbers need no reading. */
  fresh: boolean;
  /** Whether the run stops in this process without ending, because of a shutdown or a takeover by another process. */
  released: boolean;
  /** Whether a pause was requested. The run then suspends before its next activation. */
  pauseRequested: boolean;
  /** Stored start and timeout times of a resumed run; null for a run that starts now. */
  resumedFrom: { startedAt: Date; timeoutAt: Date | null } | null;
  /** Promise that settles once `run.started` or `run.resumed` is stored. */
  started: Promise<void>;
  markStarted: () => void;
  /** Promise of the final record once the run has ended, or of null when the run was suspended or released. */
  done: Promise<RunRecord | null>;
  finish: (record: RunRecord | null) => void;
}

type LaunchResult = { kind: 'finished'; outcome: RunOutcome } | { kind: 'suspended'; error: RunSuspendedError } | { kind: 'released' };

/** How long a durable run's step records wait to share a statement with the step's journal entry, in milliseconds. */
const DURABLE_WRITE_DELAY_MS = 25;

/** Waits of a direct run: it has no journal to continue from, so a waiting node fails with a clear error. */
const directRunWaits: RunContext['waits'] = {
  resolve: async () => {
    throw new StepError(
      'waits_unavailable',
      "this run cannot wait: it runs directly, without a journal (a synchronous endpoint call whose graph sets settings.endpoint.runSaving to 'all', 'failed' or 'none'); set runSaving to 'durable' to use wait and approval nodes",
      { retryable: false },
    );
  },
};

const DEFAULT_DURABLE: DurableSettings = { leaseMs: 30_000, pollMs: 1_000, maxPerProcess: 200, inlineWaitMs: 5_000, releaseStaleOnStart: false };

/**
 * Starts, queues, cancels, pauses and reports runs, on one of three back ends:
 *
 * - `embedded`: runs are rows that kernel processes claim with a lease (row locks with
 *   SKIP LOCKED). Each finished activation goes to the run's journal before the run moves on.
 *   A run whose process died is claimed again once its lease lapses and is replayed, so
 *   finished activations come from the journal and only the rest run. Waits and pauses park
 *   the run in the database without a process, and it is claimed again when it is due.
 * - `memory`: runs execute in this process with an in-process queue and no journal.
 * - `temporal`: runs are recorded here and executed by a `RemoteRunBackend`.
 */
export class RunService implements ChildRunStarter {
  readonly backend: RunBackendKind;
  /** Identifies this process in run claims. */
  readonly owner = newId('proc');
  private readonly store: RunStore;
  private readonly durableStore: DurableStore;
  readonly waits: WaitStore;
  private readonly signals = new WaitSignals();
  private readonly settings: DurableSettings;
  private readonly queue: RunQueue;
  private readonly saves: RunSaveQueue;
  private readonly directRuns = new Set<Promise<unknown>>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly log: Logger;
  private unsubscribeControl: (() => Promise<void>) | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private dispatching: Promise<void> | null = null;
  private dispatchAgain = false;
  private disposed = false;

  private constructor(private readonly deps: RunServiceDeps) {
    this.backend = deps.backend ?? 'embedded';
    this.settings = { ...DEFAULT_DURABLE, ...deps.durable };
    this.store = new RunStore(deps.db);
    this.durableStore = new DurableStore(deps.db);
    this.waits = new WaitStore(deps.db);
    this.queue = new RunQueue(deps.limits.maxConcurrentPerWorkspace);
    this.log = deps.logger.child({ component: 'runs' });
    this.saves = new RunSaveQueue({ db: deps.db, logger: this.log });
  }

  /**
   * Creates the service and listens for control messages from other kernel processes. Once
   * `startExecuting` is called, the embedded back end claims the runs that are due, including
   * those a stopped process left behind. With the embedded PGlite database, which only this
   * process opens, that happens at once. With a database server, it happens after their lease
   * lapses. With PGlite, the memory back end marks such runs failed here.
   */
  static async create(deps: RunServiceDeps): Promise<RunService> {
    const service = new RunService(deps);
    service.unsubscribeControl = await deps.sharedState.pubsub.subscribe(CONTROL_CHANNEL, (message) => service.onControlMessage(message));

    if (service.backend === 'temporal') {
      if (!deps.remote) throw new Error('Invalid RunService setup: the temporal back end requires deps.remote (a RemoteRunBackend), which is missing.');
      return service;
    }
    if (service.backend === 'memory') {
      if (deps.db.kind === 'pglite') {
        const count = await service.store.failInterrupted('The kernel stopped while the run was queued or running.');
        if (count > 0) service.log.warn({ runs: count }, 'marked runs interrupted by a kernel stop as failed');
      }
      return service;
    }

    service.heartbeatTimer = setInterval(() => void service.heartbeat(), Math.max(200, Math.floor(service.settings.leaseMs / 3)));
    service.heartbeatTimer.unref();
    return service;
  }

  /**
   * Starts claiming queued, due and abandoned runs (embedded and temporal back ends). Call it
   * once the extensions are loaded, so that resumed runs find their node types. Kernels opened
   * for a CLI command never call it, so they never pick up runs.
   */
  async startExecuting(): Promise<void> {
    if (this.backend === 'memory' || this.pollTimer !== null || this.disposed) return;
    if (this.settings.releaseStaleOnStart && this.backend === 'embedded') {
      const count = await this.durableStore.releaseStale(this.owner);
      if (count > 0) this.log.info({ runs: count }, 'released runs that a previous kernel process left unfinished, to resume them now');
    }
    this.pollTimer = setInterval(() => this.dispatch(), this.settings.pollMs);
    this.pollTimer.unref();
    this.dispatch();
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
    const runId = request.runId ?? newId('run');
    await this.createRun(runId, { ...request, parentRunId: null, parentStepKey: null, rootRunId: runId, depth: 0 });

    let entry: ActiveRun | null = null;
    if (this.backend === 'temporal') {
      // Temporal gets the run only when the concurrency limits admit it. Otherwise the run stays queued for the dispatcher.
      const [claimed] = await this.durableStore.admit(this.owner, this.settings.leaseMs, { maxPerWorkspace: this.deps.limits.maxConcurrentPerWorkspace, limit: 1, onlyRunId: runId, backend: 'temporal' });
      if (claimed) await this.startRemote(claimed, true);
      if (request.waitForCompletion) return this.awaitFinish(request.workspaceId, runId);
    } else if (this.backend === 'memory') {
      entry = this.newEntry({ runId, rootRunId: runId, executor, plan, request, depth: 0, chain: [graphLabel(request.graph)], resumedFrom: null });
      const local = entry;
      const admitted = this.queue.submit({
        runId,
        workspaceId: request.workspaceId,
        graphId: request.graph.id,
        graphLimit: request.graph.graph.settings.maxConcurrentRuns,
        start: () => void this.launchTopLevel(local, true),
      });
      if (request.waitForCompletion) return (await local.done) ?? (await this.awaitFinish(request.workspaceId, runId));
      if (admitted) await local.started;
    } else {
      const [claimed] = await this.durableStore.admit(this.owner, this.settings.leaseMs, { maxPerWorkspace: this.deps.limits.maxConcurrentPerWorkspace, limit: this.capacity() > 0 ? 1 : 0, onlyRunId: runId });
      if (claimed) {
        entry = this.newEntry({ runId, rootRunId: runId, executor, plan, request, depth: 0, chain: [graphLabel(request.graph)], resumedFrom: null, fresh: !request.journal?.length });
        void this.launchTopLevel(entry, false);
      }
      if (request.waitForCompletion) return this.awaitFinish(request.workspaceId, runId);
      if (entry) await entry.started;
    }
    return (await this.store.getRun(request.workspaceId, runId))!;
  }

  /**
   * Runs a graph in this process without a journal, and resolves with the finished run and its
   * steps. The records stay in memory while the run goes, and are written in one statement when
   * it ends, or dropped, according to `saving`. A direct run does not survive a kernel stop, cannot
   * wait (wait and approval nodes fail with `waits_unavailable`) and is not visible to other
   * requests until it is saved; its sub-workflow runs are direct as well. It takes a slot of the
   * in-process queue, so the graph's and the workspace's concurrency limits hold in this process.
   *
   * Callers that hold a connection open for the result (synchronous workflow endpoint calls)
   * use it, because such a run has nobody to answer after a crash.
   *
   * @throws GraphPlanError (422) when the graph cannot be run.
   */
  async runDirect(request: Omit<StartRunRequest, 'waitForCompletion' | 'journal' | 'overrides'> & { saving: DirectRunSaving }): Promise<{ run: RunRecord; steps: StepRow[]; saved: boolean }> {
    const executor = this.executor();
    const plan = executor.plan(request.graph.graph);
    const runId = request.runId ?? newId('run');
    const store = new DirectRunStore(this.deps.db);
    const direct = { store, saving: request.saving };
    await this.createRun(runId, { ...request, parentRunId: null, parentStepKey: null, rootRunId: runId, depth: 0 }, store);

    const entry = this.newEntry({ runId, rootRunId: runId, executor, plan, request, depth: 0, chain: [graphLabel(request.graph)], resumedFrom: null, direct });
    this.queue.submit({
      runId,
      workspaceId: request.workspaceId,
      graphId: request.graph.id,
      graphLimit: request.graph.graph.settings.maxConcurrentRuns,
      start: () => void this.launchTopLevel(entry, true),
    });
    const saving = (async () => {
      const finished = (await entry.done) ?? (await store.getRun(request.workspaceId, runId))!;
      const saved = keepsRecords(request.saving, finished.status);
      if (saved) await this.saves.save(store);
      return { run: finished, steps: await store.listSteps(runId), saved };
    })();
    // dispose() waits for these, so a direct run that a shutdown ends is saved before the database closes.
    this.directRuns.add(saving);
    void saving.catch(() => {}).finally(() => this.directRuns.delete(saving));
    return saving;
  }

  /**
   * Executes a sub-workflow run below `parent` without taking a concurrency slot. When the
   * parent's step started a child before, because the parent is being replayed, that child
   * continues from its own journal instead of a new child starting.
   */
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
    const rootRunId = parent?.rootRunId ?? request.parent.runId;
    const direct = parent?.direct ?? null;
    const existing = this.backend === 'embedded' && !direct ? await this.durableStore.findChild(request.parent.runId, request.stepKey) : null;
    let entry: ActiveRun;
    if (existing) {
      if (FINISHED_STATUSES.has(existing.status as RunStatus)) {
        const record = (await this.store.getRun(existing.workspaceId, existing.id))!;
        if (record.status !== 'succeeded') {
          const outcome: RunOutcome = { status: record.status as RunOutcome['status'], output: [], error: record.error, usage: { ...emptyUsage(), ...record.usage } };
          return { runId: existing.id, outcome };
        }
      }
      await this.durableStore.setChildStatus(existing.id, 'running');
      const timing = await this.durableStore.timing(existing.id);
      entry = this.newEntry({
        runId: existing.id,
        rootRunId,
        executor,
        plan: executor.plan(existing.graph.graph),
        request: { workspaceId: existing.workspaceId, graph: existing.graph, input: existing.input, createdBy: existing.createdBy },
        depth: request.parent.depth + 1,
        chain: request.chain,
        resumedFrom: timing.startedAt ? { startedAt: timing.startedAt, timeoutAt: timing.timeoutAt } : null,
      });
      await request.onCreated(existing.id);
    } else {
      const runId = newId('run');
      const childRequest = { workspaceId: request.parent.workspaceId, graph: request.graph, input: request.input, mode: 'subworkflow', createdBy: parent?.createdBy ?? null };
      await this.createRun(runId, { ...childRequest, parentRunId: request.parent.runId, parentStepKey: request.stepKey, rootRunId, depth: request.parent.depth + 1 }, direct?.store ?? this.store);
      entry = this.newEntry({ runId, rootRunId, executor, plan, request: childRequest, depth: request.parent.depth + 1, chain: request.chain, resumedFrom: null, direct, fresh: true });
      await request.onCreated(runId);
    }

    const forwardAbort = () => entry.controller.abort(request.signal.reason);
    if (request.signal.aborted) forwardAbort();
    request.signal.addEventListener('abort', forwardAbort, { once: true });
    try {
      const result = await this.launch(entry);
      if (result.kind === 'suspended') {
        await entry.recorder.flush().catch(() => {});
        await this.durableStore.setChildStatus(entry.runId, 'waiting');
        this.active.delete(entry.runId);
        entry.finish(null);
        throw result.error;
      }
      if (result.kind === 'released') {
        this.active.delete(entry.runId);
        entry.finish(null);
        throw request.signal.reason ?? new RunAbortedError('shutdown', 'the kernel shut down while the run was in progress');
      }
      await this.end(entry, result.outcome, new Date());
      return { runId: entry.runId, outcome: result.outcome };
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

  /** Lists the steps of `run`, a run record read from this workspace, without reading the run again. */
  async stepsOf(run: RunRecord): Promise<StepRow[]> {
    return this.store.listSteps(run.id);
  }

  /** Runs of a workspace, newest first, without input and output; `nextCursor` is null on the last page. */
  async list(workspaceId: string, query: RunListQuery): Promise<{ items: RunRecord[]; nextCursor: string | null }> {
    const rows = await this.store.listRuns(workspaceId, { ...query, cursor: query.cursor === undefined ? undefined : decodeRunCursor(query.cursor), limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeRunCursor(last) : null };
  }

  /**
   * Cancels a run that has not finished. A queued, waiting or paused run ends at once, and a
   * running one has its current step aborted by the process that executes it. Resolves with
   * the run after it has ended when it runs in this process, or else with the run as stored.
   *
   * @throws NotFoundError when the run does not exist in the workspace; ConflictError when it has already finished.
   */
  async cancel(workspaceId: string, runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    if (FINISHED_STATUSES.has(run.status)) {
      const ended = run.status === 'cancelled' ? 'been cancelled' : run.status;
      throw new ConflictError(`Run '${runId}' has already ${ended}. Only unfinished runs can be cancelled.`, { status: run.status });
    }

    await this.store.requestCancel(runId);
    const entry = this.active.get(runId);
    if (entry) {
      this.cancelLocal(entry, 'cancelled', 'the run was cancelled');
      const ended = await entry.done;
      if (ended) return ended;
      // The run parked at a wait or was handed back while the cancel was on its way; it is cancelled where it is now.
    }

    const error = describeError(new RunAbortedError('cancelled', 'the run was cancelled'));
    const finishedEvent = (lastEventId: number) => ({
      id: lastEventId + 1,
      type: 'run.finished',
      data: { runId, status: 'cancelled', error, usage: run.usage, outputItemCount: 0, finishedAt: new Date().toISOString(), durationMs: null },
    });

    if (this.backend === 'temporal') {
      // A queued run has no workflow yet, so it ends here. Temporal cancels every other run.
      if (run.status === 'queued' && (await this.durableStore.cancelIdle(runId, { ...error }, finishedEvent, { onlyQueued: true }))) {
        await this.announceFinished(runId);
        return (await this.store.getRun(workspaceId, runId))!;
      }
      const rootRunId = run.depth === 0 ? runId : await this.rootOf(runId);
      await this.deps.remote!.cancel(rootRunId);
      return this.awaitFinish(workspaceId, runId);
    }

    if (this.backend === 'embedded' && run.depth === 0) {
      const ended = await this.durableStore.cancelIdle(runId, { ...error }, finishedEvent);
      if (ended) {
        this.log.info({ runId }, 'cancelled a run that no process was executing');
        await this.announceFinished(runId);
        return (await this.store.getRun(workspaceId, runId))!;
      }
    }
    await this.deps.sharedState.pubsub.publish(CONTROL_CHANNEL, JSON.stringify({ action: 'cancel', runId }));
    return (await this.store.getRun(workspaceId, runId))!;
  }

  /**
   * Pauses a running or waiting run. A running run stops before its next activation, and a
   * waiting run stays parked even when its wait ends. Resolves with the run as stored.
   *
   * @throws NotFoundError when the run does not exist in the workspace.
   * @throws ConflictError when the run is not a running or waiting top-level run, or the back end keeps no journal.
   */
  async pause(workspaceId: string, runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    if (this.backend === 'memory') {
      throw new ConflictError('Runs cannot be paused on the memory run back end, which keeps no journal to continue from. Set MIFY_RUN_BACKEND=embedded.', { backend: this.backend });
    }
    if (run.depth > 0) throw new ConflictError(`Run '${runId}' is a sub-workflow run. Pause its top-level run instead.`, { parentRunId: run.parentRunId });
    const notPausable = () => new ConflictError(`Run '${runId}' is ${run.status}. Only running or waiting runs can be paused.`, { status: run.status });

    if (this.backend === 'temporal') {
      if (run.status !== 'running' && run.status !== 'waiting') throw notPausable();
      await this.deps.remote!.pause(runId);
      return (await this.store.getRun(workspaceId, runId))!;
    }

    const status = await this.durableStore.requestPause(runId);
    if (status === null) throw notPausable();

    if (status === 'paused') {
      await this.appendEvent(runId, 'run.paused', { runId });
    } else {
      const entry = this.active.get(runId);
      if (entry) entry.pauseRequested = true;
      else await this.deps.sharedState.pubsub.publish(CONTROL_CHANNEL, JSON.stringify({ action: 'pause', runId }));
      // Wait up to 10 s for the executing process to park the run, so the response usually shows it paused.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const current = await this.store.getRun(workspaceId, runId);
        if (!current || current.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    return (await this.store.getRun(workspaceId, runId))!;
  }

  /**
   * Resumes a paused run and ends the pending `resume` waits of its pause nodes. Resolves with
   * the run as stored.
   *
   * @throws NotFoundError when the run does not exist in the workspace.
   * @throws ConflictError when the run is neither paused nor waiting on a pause node.
   */
  async resume(workspaceId: string, runId: string, by: string | null): Promise<RunRecord> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    const resumes = await this.waits.pendingResumes(runId);
    if (this.backend === 'temporal' && run.status === 'paused') {
      await this.deps.remote!.resume(runId);
      for (const wait of resumes) await this.decide(workspaceId, wait.id, { outcome: 'resumed', decidedBy: by });
      return (await this.store.getRun(workspaceId, runId))!;
    }
    const resumedRun = run.status === 'paused' && (await this.durableStore.resume(runId));
    for (const wait of resumes) await this.decide(workspaceId, wait.id, { outcome: 'resumed', decidedBy: by });
    if (!resumedRun && resumes.length === 0) {
      throw new ConflictError(`Run '${runId}' is ${run.status} and waits on no pause node. Only paused runs, or runs waiting on a pause node, can be resumed.`, { status: run.status });
    }
    if (resumedRun) {
      await this.appendEvent(runId, 'run.resumed', { runId, by });
      await this.announceDue(runId);
    }
    return (await this.store.getRun(workspaceId, runId))!;
  }

  /**
   * Records a decision on a pending wait (approve, reject, resume) with the reviewer's comment
   * and edited items, and wakes the wait's run.
   *
   * @throws NotFoundError, ConflictError or ValidationError as `WaitStore.decide` does.
   */
  async decide(workspaceId: string, waitId: string, decision: WaitDecision): Promise<WaitRecord> {
    const wait = await this.waits.decide(workspaceId, waitId, decision);
    this.log.info({ waitId, runId: wait.runId, outcome: decision.outcome, by: decision.decidedBy }, 'wait decided');
    await this.appendEvent(wait.rootRunId, 'wait.decided', { waitId, runId: wait.runId, nodeId: wait.nodeId, nodeName: wait.nodeName, outcome: decision.outcome, decidedBy: decision.decidedBy, comment: wait.comment });
    this.signals.notify(waitId);
    if (this.backend === 'temporal') await this.deps.remote!.decided(wait);
    if (this.backend === 'embedded') {
      await this.durableStore.wake(wait.rootRunId);
      await this.announceDue(wait.rootRunId, waitId);
    }
    return wait;
  }

  /** Resolves with the run once it has ended, in whichever process it runs. */
  async waitFor(workspaceId: string, runId: string): Promise<RunRecord> {
    return this.awaitFinish(workspaceId, runId);
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

  /**
   * Loads a run with all its stored events, step attempts and journal entries, for time travel.
   *
   * @throws NotFoundError when the run does not exist in the workspace.
   */
  async history(workspaceId: string, runId: string): Promise<{ run: RunRecord; events: RunEvent[]; steps: StepRow[]; journal: Array<{ stepKey: string; seq: number; result: unknown; createdAt: Date }> }> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    const [events, steps, journal] = await Promise.all([this.store.listEvents(runId, 0), this.store.listSteps(runId), this.durableStore.journalEntries(runId)]);
    return { run, events, steps, journal };
  }

  /**
   * Loads the graph, input items and step overrides that a run started with, for replay and fork.
   *
   * @throws NotFoundError when the run does not exist in the workspace.
   * @throws ConflictError when the run was recorded without its graph.
   */
  async startingPoint(workspaceId: string, runId: string): Promise<{ graph: ExecutableGraph; input: Item[]; overrides: Record<string, PortItems> | null }> {
    const run = await this.store.getRun(workspaceId, runId);
    if (!run) throw new NotFoundError('Run', runId);
    const stored = await this.durableStore.startingPoint(runId);
    if (!stored) {
      throw new ConflictError(`Run '${runId}' has no stored graph to replay, because it ran before durable runs were recorded. Start a new run of its graph instead.`, {});
    }
    return stored;
  }

  /** Stops claiming runs, stops listening for control messages, and releases or ends the runs in progress. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.deps.remote?.dispose();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.unsubscribeControl?.().catch(() => {});
    this.unsubscribeControl = null;
    await this.dispatching?.catch(() => {});

    const pending = [...this.active.values()];
    for (const queued of this.queue.clear()) {
      const entry = this.active.get(queued.runId);
      if (entry) this.endQueued(entry, 'shutdown', 'the kernel shut down before the run started');
    }
    for (const entry of pending) {
      // The embedded back end releases the run, so another process, or this one after a restart, continues it.
      if (this.backend === 'embedded' && !entry.direct) entry.released = true;
      entry.controller.abort(new RunAbortedError('shutdown', 'the kernel shut down while the run was in progress'));
    }
    await Promise.allSettled(pending.map((entry) => entry.done));
    await Promise.allSettled([...this.directRuns]);
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

  private async rootOf(runId: string): Promise<string> {
    const [row] = await this.deps.db.query<{ root_run_id: string | null }>('select root_run_id from runs where id = $1', [runId]);
    return row?.root_run_id ?? runId;
  }

  private capacity(): number {
    return this.settings.maxPerProcess - [...this.active.values()].filter((entry) => entry.depth === 0).length;
  }

  private async createRun(
    runId: string,
    request: Omit<StartRunRequest, 'waitForCompletion'> & { parentRunId: string | null; parentStepKey: string | null; rootRunId: string; depth: number },
    store: RunStore = this.store,
  ): Promise<void> {
    const rigor = request.graph.graph.settings.rigor;
    await store.createRun({
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
    }, {
      backend: this.backend,
      graph: request.graph,
      inputItems: request.input,
      rootRunId: request.rootRunId,
      parentStepKey: request.parentStepKey,
      journal: (request.journal ?? []).map((entry, index) => ({ stepKey: entry.stepKey, seq: index + 1, result: entry.result })),
      overrides: request.overrides ?? null,
    });
    this.log.info({ runId, workspaceId: request.workspaceId, graphId: request.graph.id, parentRunId: request.parentRunId, mode: request.mode }, 'run created');
  }

  private newEntry(options: {
    runId: string;
    rootRunId: string;
    executor: GraphExecutor;
    plan: ExecutionPlan;
    request: Pick<StartRunRequest, 'workspaceId' | 'graph' | 'input' | 'createdBy' | 'overrides'>;
    depth: number;
    chain: string[];
    resumedFrom: ActiveRun['resumedFrom'];
    lastEventId?: number;
    direct?: ActiveRun['direct'];
    /** True for a run this process has just created without journal entries, so it has no records to read back. */
    fresh?: boolean;
  }): ActiveRun {
    const direct = options.direct ?? null;
    const store = direct?.store ?? this.store;
    let markStarted = () => {};
    let finish: (record: RunRecord | null) => void = () => {};
    const rigor = options.request.graph.graph.settings.rigor;
    const entry: ActiveRun = {
      runId: options.runId,
      rootRunId: options.rootRunId,
      executor: options.executor,
      workspaceId: options.request.workspaceId,
      graph: options.request.graph,
      plan: options.plan,
      input: options.request.input,
      depth: options.depth,
      chain: options.chain,
      createdBy: options.request.createdBy,
      overrides: options.request.overrides ?? null,
      controller: new AbortController(),
      recorder: new RunRecorder({ store, pubsub: this.deps.sharedState.pubsub, logger: this.log, runId: options.runId, rigor, maxRecordBytes: this.deps.limits.maxRecordBytes }),
      store,
      direct,
      fresh: options.fresh ?? false,
      released: false,
      pauseRequested: false,
      resumedFrom: options.resumedFrom,
      started: new Promise<void>((resolve) => {
        markStarted = resolve;
      }),
      markStarted: () => markStarted(),
      done: new Promise<RunRecord | null>((resolve) => {
        finish = resolve;
      }),
      finish: (record) => finish(record),
    };
    this.active.set(options.runId, entry);
    return entry;
  }

  /**
   * Executes a top-level run to its end or suspension and records the result. `usesQueueSlot`
   * is true when the run took a slot of the in-process queue, which is freed at the end. Never rejects.
   */
  private async launchTopLevel(entry: ActiveRun, usesQueueSlot: boolean): Promise<void> {
    const result = await this.launch(entry);
    if (result.kind === 'finished') {
      await this.end(entry, result.outcome, entry.resumedFrom?.startedAt ?? null);
    } else if (result.kind === 'suspended') {
      await this.suspendTopLevel(entry, result.error);
    } else {
      await this.durableStore.release(this.owner, entry.runId).catch((error: unknown) => this.log.warn({ runId: entry.runId, err: error }, 'failed to release a run'));
      this.active.delete(entry.runId);
      entry.markStarted();
      entry.finish(null);
      this.log.info({ runId: entry.runId }, 'run released; the next process that claims it continues it');
    }
    if (usesQueueSlot) this.queue.release({ workspaceId: entry.workspaceId, graphId: entry.graph.id });
    if (this.backend === 'embedded' && !entry.direct) this.dispatch();
  }

  /**
   * Executes a new or resumed run through the executor, with the journal and waits of the back
   * end. Never rejects, because a failure outside the steps becomes a failed outcome.
   */
  private async launch(entry: ActiveRun): Promise<LaunchResult> {
    const settings = executorSettings(entry);
    let startedAt: Date;
    let timeoutAt: Date | null;
    let timer: NodeJS.Timeout | undefined;
    let journal: StepJournal = directJournal;
    let lastSeq = 0;

    try {
      if (this.backend === 'embedded' && !entry.direct) {
        const numbers = entry.fresh ? { seq: 0, eventId: 0, journalSeq: 0 } : await this.durableStore.lastNumbers(entry.runId);
        lastSeq = numbers.seq;
        const entries = entry.fresh ? new Map<string, ActivationResult>() : await this.durableStore.loadJournal(entry.runId);
        journal = new DurableJournal({
          runId: entry.runId,
          owner: entry.depth === 0 ? this.owner : null,
          entries,
          lastSeq: numbers.journalSeq,
          write: (write) => entry.recorder.flushWithJournal(write),
          onOwnershipLost: () => {
            entry.released = true;
            entry.controller.abort(new RunAbortedError('shutdown', 'another kernel process took over the run'));
          },
        });
        entry.recorder = new RunRecorder({
          store: this.store,
          pubsub: this.deps.sharedState.pubsub,
          logger: this.log,
          runId: entry.runId,
          rigor: settings.rigor,
          maxRecordBytes: this.deps.limits.maxRecordBytes,
          lastEventId: numbers.eventId,
          // A step that ends within this time is stored in one statement with its journal entry; a longer one shows as started after it.
          writeDelayMs: DURABLE_WRITE_DELAY_MS,
        });
      }

      if (entry.resumedFrom) {
        startedAt = entry.resumedFrom.startedAt;
        timeoutAt = entry.resumedFrom.timeoutAt;
        await this.durableStore.interruptSteps(entry.runId);
        await entry.recorder.recordEvent('run.resumed', { runId: entry.runId, process: this.owner });
        this.log.info({ runId: entry.runId }, 'run resumed');
      } else {
        startedAt = new Date();
        timeoutAt = settings.timeoutMs === undefined ? null : new Date(startedAt.getTime() + settings.timeoutMs);
        await entry.recorder.runStarted(startedAt, timeoutAt);
        this.log.info({ runId: entry.runId }, 'run started');
      }
      entry.markStarted();

      if (timeoutAt !== null) {
        const timeoutMs = settings.timeoutMs ?? 0;
        const abort = () => entry.controller.abort(new RunAbortedError('timeout', `the run timed out after ${timeoutMs} ms (graph setting timeoutMs)`));
        const remaining = timeoutAt.getTime() - Date.now();
        if (remaining <= 0) abort();
        else timer = setTimeout(abort, remaining);
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
        journal,
        waits: this.runWaits(entry),
        checkpoint: () => {
          if (this.pauseRequestedFor(entry)) throw new RunSuspendedError('pause', null, 'the run was paused');
        },
        lastSeq,
        overrides: entry.overrides,
      };
      const outcome = await entry.executor.execute(context);
      if (entry.released) return { kind: 'released' };
      return { kind: 'finished', outcome };
    } catch (error) {
      if (error instanceof RunSuspendedError) return { kind: 'suspended', error };
      if (entry.released) return { kind: 'released' };
      this.log.error({ runId: entry.runId, err: error }, 'run failed outside its steps');
      return { kind: 'finished', outcome: { status: 'failed', output: [], error: describeError(error), usage: emptyUsage() } };
    } finally {
      clearTimeout(timer);
      entry.markStarted();
    }
  }

  private pauseRequestedFor(entry: ActiveRun): boolean {
    if (entry.pauseRequested) return true;
    const root = entry.rootRunId === entry.runId ? undefined : this.active.get(entry.rootRunId);
    return root?.pauseRequested ?? false;
  }

  private runWaits(entry: ActiveRun): RunContext['waits'] {
    if (this.disposed) return noWaits;
    if (entry.direct) return directRunWaits;
    return new DurableRunWaits({
      store: this.waits,
      signals: this.signals,
      run: { id: entry.runId, rootRunId: entry.rootRunId, workspaceId: entry.workspaceId, graphId: entry.graph.id },
      inlineWaitMs: this.settings.inlineWaitMs,
      suspend: this.backend === 'embedded',
      onCreated: async (wait) => {
        await entry.recorder.recordEvent('wait.created', { waitId: wait.id, runId: wait.runId, kind: wait.kind, nodeId: wait.nodeId, nodeName: wait.nodeName, resumeAt: wait.resumeAt?.toISOString() ?? null });
      },
    });
  }

  /** Parks a top-level run that waits or was paused, and removes it from this process. */
  private async suspendTopLevel(entry: ActiveRun, suspension: RunSuspendedError): Promise<void> {
    try {
      await entry.recorder.flush();
      const status = suspension.reason === 'pause' ? 'paused' : 'waiting';
      const timeoutAt = (await this.durableStore.timing(entry.runId)).timeoutAt;
      let wakeAt = suspension.wakeAt;
      if (status === 'waiting' && timeoutAt !== null && (wakeAt === null || timeoutAt < wakeAt)) wakeAt = timeoutAt;
      const event = entry.recorder.allocateEvent(status === 'paused' ? 'run.paused' : 'run.waiting', { runId: entry.runId, wakeAt: wakeAt?.toISOString() ?? null, reason: suspension.message });
      const parked = await this.durableStore.suspend(entry.runId, this.owner, status, wakeAt, event);
      if (parked) entry.recorder.publishEvent(event);
      // A cancel from another process that arrived while the run was parking found it owned here and only set the flag.
      const stored = parked ? await this.store.getRun(entry.workspaceId, entry.runId) : null;
      if (stored?.cancelRequested && !this.active.get(entry.runId)?.controller.signal.aborted) {
        this.active.delete(entry.runId);
        entry.finish(null);
        await this.cancel(entry.workspaceId, entry.runId).catch((error: unknown) => this.log.warn({ runId: entry.runId, err: error }, 'failed to cancel a run that parked while its cancel was pending'));
        return;
      }

      // A decision made while the run was being parked found it still running, so it could not wake the run. Wake it now.
      const wait = suspension.waitId === null ? null : await this.waits.byId(suspension.waitId);
      if (parked && wait !== null && wait.status !== 'pending') {
        const woken = await this.durableStore.wake(entry.runId);
        if (woken) this.dispatch();
      }
      this.log.info({ runId: entry.runId, status, wakeAt }, parked ? 'run suspended' : 'run was taken over before it could be suspended');
    } catch (error) {
      this.log.error({ runId: entry.runId, err: error }, 'failed to suspend a run; a process resumes it when its lease lapses');
    }
    this.active.delete(entry.runId);
    entry.finish(null);
  }

  private async end(entry: ActiveRun, outcome: RunOutcome, startedAt: Date | null): Promise<void> {
    try {
      await entry.recorder.runFinished(outcome, startedAt);
      if (!entry.direct) await this.durableStore.finished(entry.runId);
    } catch (error) {
      this.log.error({ runId: entry.runId, err: error }, 'could not record the end of a run');
    }
    this.active.delete(entry.runId);
    this.log.info({ runId: entry.runId, status: outcome.status, code: outcome.error?.code }, 'run finished');

    const record = await entry.store.getRun(entry.workspaceId, entry.runId).catch(() => null);
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

  /** Records the end of a run that never left the in-process queue. */
  private endQueued(entry: ActiveRun, reason: 'cancelled' | 'shutdown', message: string): void {
    const error = describeError(new RunAbortedError(reason, message));
    entry.markStarted();
    void this.end(entry, { status: reason === 'cancelled' ? 'cancelled' : 'failed', output: [], error, usage: emptyUsage() }, null);
  }

  /**
   * Claims runs whose wake time has come or whose owner's lease lapsed, then queued runs that fit
   * the concurrency limits. Calls made while a dispatch is running are merged into one more pass.
   */
  private dispatch(): void {
    if (this.disposed || this.backend === 'memory') return;
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = (async () => {
      do {
        this.dispatchAgain = false;
        try {
          if (this.backend === 'temporal') {
            const admitted = await this.durableStore.admit(this.owner, this.settings.leaseMs, { maxPerWorkspace: this.deps.limits.maxConcurrentPerWorkspace, limit: 100, backend: 'temporal' });
            for (const claimed of admitted) await this.startRemote(claimed);
            continue;
          }
          const due = await this.durableStore.claimDue(this.owner, this.settings.leaseMs, this.capacity());
          for (const claimed of due) this.launchClaimed(claimed);
          const admitted = await this.durableStore.admit(this.owner, this.settings.leaseMs, { maxPerWorkspace: this.deps.limits.maxConcurrentPerWorkspace, limit: this.capacity() });
          for (const claimed of admitted) this.launchClaimed(claimed);
        } catch (error) {
          if (!this.disposed) this.log.error({ err: error }, 'failed to claim runs; retrying at the next poll');
        }
      } while (this.dispatchAgain && !this.disposed);
    })().finally(() => {
      this.dispatching = null;
    });
  }

  /**
   * Starts an admitted run on the remote back end, which records a run it cannot start as failed.
   * With `rethrow`, a client error (status below 500) is thrown to the caller.
   */
  private async startRemote(claimed: ClaimedRun, rethrow = false): Promise<void> {
    try {
      const journal = [...(await this.durableStore.loadJournal(claimed.id)).entries()].map(([stepKey, result]) => ({ stepKey, result }));
      await this.deps.remote!.start({ runId: claimed.id, workspaceId: claimed.workspaceId, graph: claimed.graph, input: claimed.input, createdBy: claimed.createdBy, journal, overrides: claimed.overrides });
    } catch (error) {
      // The back end has recorded the run as failed. A rejected request, such as one too large, is thrown to the caller that started the run.
      this.log.error({ runId: claimed.id, err: error }, 'failed to start a run on the remote back end');
      if (rethrow && error instanceof MifyError && error.status < 500) throw error;
    }
  }

  /** Starts or resumes a run this process has just claimed. */
  private launchClaimed(claimed: ClaimedRun): void {
    if (this.disposed) {
      void this.durableStore.release(this.owner, claimed.id);
      return;
    }
    let executor: GraphExecutor;
    let plan: ExecutionPlan;
    const resumedFrom = claimed.startedAt ? { startedAt: claimed.startedAt, timeoutAt: claimed.timeoutAt } : null;
    const request = { workspaceId: claimed.workspaceId, graph: claimed.graph, input: claimed.input, createdBy: claimed.createdBy, overrides: claimed.overrides };
    try {
      executor = this.executor();
      plan = executor.plan(claimed.graph.graph);
    } catch (error) {
      // The graph no longer plans, for example because an extension it uses was removed while the run waited.
      const entry = this.newEntry({ runId: claimed.id, rootRunId: claimed.id, executor: this.executor(), plan: { nodes: [] } as unknown as ExecutionPlan, request, depth: 0, chain: [graphLabel(claimed.graph)], resumedFrom });
      void this.end(entry, { status: 'failed', output: [], error: describeError(error), usage: emptyUsage() }, resumedFrom?.startedAt ?? null);
      return;
    }
    const entry = this.newEntry({ runId: claimed.id, rootRunId: claimed.id, executor, plan, request, depth: 0, chain: [graphLabel(claimed.graph)], resumedFrom });
    void this.launchTopLevel(entry, false);
  }

  /** Renews the leases of the runs this process executes and applies cancel and pause requests stored with them. */
  private async heartbeat(): Promise<void> {
    const ids = [...this.active.values()].filter((entry) => entry.depth === 0 && !entry.released && !entry.direct).map((entry) => entry.runId);
    if (ids.length === 0 || this.disposed) return;
    try {
      const renewed = await this.durableStore.renewLeases(this.owner, this.settings.leaseMs, ids);
      const renewedIds = new Set(renewed.map((row) => row.id));
      for (const row of renewed) {
        const entry = this.active.get(row.id);
        if (!entry) continue;
        if (row.cancelRequested && !entry.controller.signal.aborted) this.cancelLocal(entry, 'cancelled', 'the run was cancelled');
        if (row.pauseRequested) entry.pauseRequested = true;
      }
      for (const id of ids) {
        const entry = this.active.get(id);
        if (!entry || renewedIds.has(id) || entry.controller.signal.aborted) continue;
        // The run is no longer ours because its lease lapsed and another process claimed it, or it has just ended.
        const run = await this.store.getRun(entry.workspaceId, id);
        if (run && run.status === 'running') {
          this.log.warn({ runId: id }, 'lost the claim on a run; another process continues it');
          entry.released = true;
          entry.controller.abort(new RunAbortedError('shutdown', 'another kernel process took over the run'));
        }
      }
    } catch (error) {
      this.log.warn({ err: error, runIds: ids }, 'failed to renew run leases');
    }
  }

  /** Appends an event to a run's history outside its execution (pause, resume, decisions), and publishes it. */
  private async appendEvent(runId: string, type: string, data: Record<string, unknown>): Promise<void> {
    const active = this.active.get(runId);
    if (active) {
      await active.recorder.recordEvent(type, data);
      return;
    }
    const event = await this.store.appendEvent(runId, type, data);
    await this.deps.sharedState.pubsub.publish(runChannel(runId), JSON.stringify(event)).catch(() => {});
  }

  private async announceDue(runId: string, waitId?: string): Promise<void> {
    await this.deps.sharedState.pubsub.publish(CONTROL_CHANNEL, JSON.stringify({ action: 'due', runId, waitId })).catch(() => {});
    this.dispatch();
  }

  private async announceFinished(runId: string): Promise<void> {
    const [event] = (await this.store.listEvents(runId, 0)).slice(-1);
    if (event) await this.deps.sharedState.pubsub.publish(runChannel(runId), JSON.stringify(event)).catch(() => {});
  }

  /** Resolves with the run once it has finished. Follows its events and also reads the database at least every 500 ms. */
  private async awaitFinish(workspaceId: string, runId: string): Promise<RunRecord> {
    const local = this.active.get(runId);
    if (local) {
      const record = await local.done;
      if (record) return record;
    }
    let wake: () => void = () => {};
    const unsubscribe = await this.deps.sharedState.pubsub.subscribe(runChannel(runId), (message) => {
      if (message.includes('"run.finished"')) wake();
    });
    try {
      for (;;) {
        const run = await this.store.getRun(workspaceId, runId);
        if (!run) throw new NotFoundError('Run', runId);
        if (FINISHED_STATUSES.has(run.status)) return run;
        const entry = this.active.get(runId);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 500);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          void entry?.done.then(() => wake());
        });
      }
    } finally {
      await unsubscribe().catch(() => {});
    }
  }

  private onControlMessage(message: string): void {
    let parsed: { action?: unknown; runId?: unknown; waitId?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      this.log.warn({ message: message.slice(0, 200) }, 'ignored a malformed run control message');
      return;
    }
    if (parsed.action === 'due') {
      if (typeof parsed.waitId === 'string') this.signals.notify(parsed.waitId);
      this.dispatch();
      return;
    }
    const entry = typeof parsed.runId === 'string' ? this.active.get(parsed.runId) : undefined;
    if (!entry) return;
    if (parsed.action === 'cancel') this.cancelLocal(entry, 'cancelled', 'the run was cancelled');
    if (parsed.action === 'pause') entry.pauseRequested = true;
  }
}

/**
 * Returns the graph settings the executor runs `entry` with. A direct run that saves no
 * records runs at experimental rigor, because the executor's only audited work is the input
 * hash of each step, and such a run drops its step records. Its recorder keeps the graph's
 * rigor, so the run's output stays whole for the endpoint response.
 */
function executorSettings(entry: ActiveRun): GraphSettings {
  const settings = entry.graph.graph.settings;
  return entry.direct?.saving === 'none' && settings.rigor !== 'experimental' ? { ...settings, rigor: 'experimental' } : settings;
}
