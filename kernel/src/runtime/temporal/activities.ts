import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Item } from '../../graphs/model.js';
import type { SharedState } from '../../infra/types.js';
import type { Logger } from '../../logger.js';
import type { Database } from '../../storage/database.js';
import { DurableStore } from '../durable/durable-store.js';
import { toResolution, WaitStore, type WaitRecord } from '../durable/waits.js';
import { directJournal, type RunContext, type RunWaits, type WaitRequest } from '../executor/context.js';
import { RunAbortedError, StepAttemptError } from '../executor/errors.js';
import type { ActivationResult } from '../executor/interpreter.js';
import { planGraph, type ExecutionPlan } from '../executor/plan.js';
import type { Activation } from '../executor/scheduling.js';
import { StepExecution } from '../executor/step-execution.js';
import { graphLabel, type ChildRunStarter } from '../executor/subworkflow.js';
import type { RunServiceLimits } from '../run-service.js';
import { RunRecorder, runChannel, type Rigor } from '../run-recorder.js';
import { RunStore, toJsonb } from '../run-store.js';
import type { ExecutableGraph, ExpressionEvaluator, NodeRunner, SubgraphLoader } from '../types.js';
import { planResolver, type ActivationOutcome, type ActivationRequest, type RunActivities, type WorkflowWait } from './contract.js';
import { jsonBytes, payloadTooLarge } from './payload.js';

export interface RunActivityDeps {
  db: Database;
  sharedState: SharedState;
  logger: Logger;
  runner: NodeRunner;
  /** Read at each activation, like the run service does. */
  evaluator: () => ExpressionEvaluator | null;
  subgraphLoader: () => SubgraphLoader | null;
  /**
   * Runs sub-workflow runs. NOTE: they execute inside the activity of their parent's step, not as
   * child workflows, so a worker crash runs the whole child again and its waits hold the activity.
   */
  childRuns: () => ChildRunStarter | null;
  limits: RunServiceLimits;
  /** Largest JSON an activity returns to the workflow, in bytes. */
  maxPayloadBytes: number;
}

/** Fields of a stored run that an activation reads. */
interface StoredRun {
  workspaceId: string;
  graph: ExecutableGraph;
  input: Item[];
  rigor: Rigor;
  startedAt: Date | null;
}

/** Plans kept per run id, so consecutive activations of a run plan its graph once. */
const PLAN_CACHE_SIZE = 200;

/** A node asked to wait: StepExecution stops here, and the workflow persists and waits for it. */
class WaitRequested extends Error {
  constructor(readonly step: { nodeId: string; nodeName: string }, readonly request: WaitRequest) {
    super(`node '${step.nodeName}' asked to wait (${request.kind})`);
    this.name = 'WaitRequested';
  }
}

/**
 * Creates the activities of the run workflow. They execute steps with the kernel's services
 * and write steps, events, waits and the journal to the run tables the same way the embedded
 * back end does, so run reads, event streams and time travel work unchanged. Credentials are
 * resolved by the node inside the activity and never pass through the workflow.
 */
export function createRunActivities(deps: RunActivityDeps): RunActivities {
  const store = new RunStore(deps.db);
  const durable = new DurableStore(deps.db);
  const waits = new WaitStore(deps.db);
  const log = deps.logger.child({ component: 'temporal-activities' });
  const plans = new Map<string, ExecutionPlan>();

  const loadRun = async (runId: string): Promise<StoredRun> => {
    const [row] = await deps.db.query<{ workspace_id: string; graph: ExecutableGraph | null; input_items: Item[] | null; rigor: Rigor; started_at: Date | string | null }>(
      'select workspace_id, graph, input_items, rigor, started_at from runs where id = $1',
      [runId],
    );
    if (!row?.graph) throw ApplicationFailure.nonRetryable(`run '${runId}' was not found in the database, or was recorded without its graph; it cannot be executed`, 'run_not_found');
    return { workspaceId: row.workspace_id, graph: row.graph, input: row.input_items ?? [], rigor: row.rigor, startedAt: row.started_at === null ? null : new Date(row.started_at) };
  };

  const recorderFor = async (runId: string, rigor: Rigor): Promise<RunRecorder> => {
    const numbers = await durable.lastNumbers(runId);
    return new RunRecorder({ store, pubsub: deps.sharedState.pubsub, logger: log, runId, rigor, maxRecordBytes: deps.limits.maxRecordBytes, lastEventId: numbers.eventId });
  };

  const appendEvent = async (runId: string, type: string, data: Record<string, unknown>): Promise<void> => {
    const event = await store.appendEvent(runId, type, data);
    await deps.sharedState.pubsub.publish(runChannel(runId), JSON.stringify(event)).catch((error: unknown) => log.warn({ runId, err: error }, 'could not publish a run event'));
  };

  const planOf = (runId: string, run: StoredRun, request: ActivationRequest): ExecutionPlan => {
    let plan = plans.get(runId);
    if (!plan) {
      plan = planGraph(run.graph.graph, planResolver(request.nodeTypes));
      plans.set(runId, plan);
      if (plans.size > PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value!);
    }
    return plan;
  };

  const toWorkflowWait = (wait: WaitRecord): WorkflowWait => ({
    id: wait.id,
    kind: wait.kind,
    resumeAtMs: wait.resumeAt?.getTime() ?? null,
    resolution: wait.status === 'pending' || wait.status === 'cancelled' ? null : toResolution(wait),
  });

  return {
    async runStarted({ runId }) {
      const run = await loadRun(runId);
      if (run.startedAt !== null) return { startedAtMs: run.startedAt.getTime() };

      const startedAt = new Date();
      const timeoutMs = run.graph.graph.settings.timeoutMs;
      const recorder = await recorderFor(runId, run.rigor);
      await recorder.runStarted(startedAt, timeoutMs === undefined ? null : new Date(startedAt.getTime() + timeoutMs));
      log.info({ runId }, 'run started');
      return { startedAtMs: startedAt.getTime() };
    },

    async runActivation(request) {
      const context = Context.current();
      const { runId } = request;
      const run = await loadRun(runId);
      const plan = planOf(runId, run, request);
      const planned = plan.byId.get(request.nodeId);
      if (!planned) throw ApplicationFailure.nonRetryable(`node '${request.nodeId}' is not in the graph of run '${runId}'`, 'run_not_found');

      // An attempt that finished its step but died before Temporal stored the result left it in the journal; it must not run twice.
      const stepKey = `${request.nodeId}:${request.activation}`;
      const [journaled] = await deps.db.query<{ result: ActivationResult }>('select result from run_journal where run_id = $1 and step_key = $2', [runId, stepKey]);
      if (journaled) return journaled.result;

      if (context.info.attempt > 1) await durable.interruptSteps(runId);
      const numbers = await durable.lastNumbers(runId);
      const recorder = new RunRecorder({ store, pubsub: deps.sharedState.pubsub, logger: log, runId, rigor: run.rigor, maxRecordBytes: deps.limits.maxRecordBytes, lastEventId: numbers.eventId });
      const controller = new AbortController();
      const stopAbortForwarding = forwardCancellation(context, controller, () => cancelRequested(deps.db, runId), run.graph.graph.settings.timeoutMs);
      const heartbeat = setInterval(() => context.heartbeat(), Math.max(200, Math.floor((context.info.heartbeatTimeoutMs ?? 30_000) / 3)));

      const resolution = request.resolution;
      const runWaits: RunWaits = {
        resolve: async (step, waitRequest) => {
          if (resolution) return resolution;
          throw new WaitRequested(step, waitRequest);
        },
      };
      const runContext: RunContext = {
        runId,
        workspaceId: run.workspaceId,
        graph: run.graph,
        plan,
        input: run.input,
        signal: controller.signal,
        startedAt: run.startedAt ?? new Date(),
        settings: run.graph.graph.settings,
        depth: 0,
        chain: [graphLabel(run.graph)],
        recorder,
        journal: directJournal,
        waits: runWaits,
        externalRetry: { attempt: context.info.attempt },
        lastSeq: numbers.seq,
      };
      const loader = deps.subgraphLoader();
      const starter = deps.childRuns();
      const steps = new StepExecution({ runner: deps.runner, evaluator: deps.evaluator(), subworkflows: loader && starter ? { loader, starter } : null, limits: deps.limits, logger: log });
      const activation: Activation = { planned, activation: request.activation, ports: request.ports, loop: request.loop, reentry: request.reentry, skip: request.skip };

      try {
        let result: ActivationResult = await steps.run(runContext, { seq: numbers.seq }, activation, () => request.nodeOutputs ?? {});
        if (result.kind !== 'failed' && jsonBytes(result) > deps.maxPayloadBytes) {
          result = { kind: 'failed', error: { ...payloadTooLarge(`the output of node '${planned.node.name}'`, deps.maxPayloadBytes), nodeId: planned.node.id, nodeName: planned.node.name } };
        }
        await recorder.flush();
        if (result.kind !== 'failed') await durable.appendJournal(runId, null, [{ stepKey, seq: numbers.journalSeq + 1, result }]);
        return result satisfies ActivationOutcome;
      } catch (error) {
        await recorder.flush().catch((flushError: unknown) => log.error({ runId, err: flushError }, 'could not store the step records of an activation'));
        if (error instanceof WaitRequested) return { kind: 'wait', request: error.request, nodeId: error.step.nodeId, nodeName: error.step.nodeName };
        if (error instanceof StepAttemptError) {
          throw ApplicationFailure.create({ message: error.message, type: error.code, nextRetryDelay: error.retryInMs });
        }
        if (error instanceof RunAbortedError && error.reason !== 'shutdown') throw new CancelledFailure(error.message);
        log.warn({ runId, nodeId: request.nodeId, attempt: context.info.attempt, err: error }, 'node activity failed; Temporal retries it');
        throw error;
      } finally {
        clearInterval(heartbeat);
        stopAbortForwarding();
      }
    },

    async ensureWait({ runId, stepKey, nodeId, nodeName, request }) {
      const run = await loadRun(runId);
      const ensured = await waits.ensure({ runId, rootRunId: runId, workspaceId: run.workspaceId, graphId: run.graph.id, nodeId, nodeName, stepKey, request });
      const { wait } = ensured;
      if (ensured.created) {
        await appendEvent(runId, 'wait.created', { waitId: wait.id, runId, kind: wait.kind, nodeId, nodeName, resumeAt: wait.resumeAt?.toISOString() ?? null });
        await deps.db.query(`update runs set status = 'waiting', wake_at = $2 where id = $1 and status = 'running'`, [runId, wait.resumeAt]);
        await appendEvent(runId, 'run.waiting', { runId, wakeAt: wait.resumeAt?.toISOString() ?? null, reason: `node '${nodeName}' waits (${wait.kind}, wait ${wait.id})` });
        log.info({ runId, waitId: wait.id, kind: wait.kind }, 'run waiting');
      }
      return toWorkflowWait(wait);
    },

    async settleWait({ waitId, expire }) {
      const wait = await waits.byId(waitId);
      if (!wait) throw ApplicationFailure.nonRetryable(`wait '${waitId}' was not found`, 'run_not_found');
      if (expire === null || wait.status !== 'pending') return toWorkflowWait(wait);
      return toWorkflowWait(await waits.expire(waitId, expire));
    },

    async runStatus({ runId, status, event }) {
      await deps.db.query(`update runs set status = $2, wake_at = null where id = $1 and status in ('running', 'waiting', 'paused')`, [runId, status]);
      await appendEvent(runId, event, { runId });
      log.info({ runId, status }, event === 'run.paused' ? 'run paused' : 'run resumed');
    },

    async runFinished({ runId, outcome, startedAtMs }) {
      const [row] = await deps.db.query<{ status: string; rigor: Rigor }>('select status, rigor from runs where id = $1', [runId]);
      if (!row) throw ApplicationFailure.nonRetryable(`run '${runId}' was not found in the database`, 'run_not_found');
      if (row.status === 'succeeded' || row.status === 'failed' || row.status === 'cancelled') return;

      if (outcome.status !== 'succeeded') {
        await deps.db.query(`update run_waits set status = 'cancelled', decided_at = now() where run_id = $1 and status = 'pending'`, [runId]);
      }
      // Steps still `running` belong to an activity that was abandoned, e.g. on a worker that died while the run was cancelled.
      await deps.db.query(
        `update run_steps set status = 'interrupted', finished_at = now(), error = $2::jsonb where run_id = $1 and status = 'running'`,
        [runId, toJsonb({ message: `the run ended (${outcome.status}) while this step was in progress`, code: 'step_interrupted' })],
      );
      const recorder = await recorderFor(runId, row.rigor);
      await recorder.runFinished({ status: outcome.status, output: outcome.output, error: outcome.error, usage: outcome.usage }, startedAtMs === null ? null : new Date(startedAtMs));
      await durable.finished(runId);
      log.info({ runId, status: outcome.status, code: outcome.error?.code }, 'run finished');
    },
  };
}

/**
 * Aborts the step's signal when Temporal cancels the activity: as a cancellation when the run
 * was cancelled through the API, as the run timeout otherwise (the workflow's run timer), and
 * as a shutdown when the worker stops. Returns a function that stops forwarding.
 */
function forwardCancellation(context: Context, controller: AbortController, wasCancelled: () => Promise<boolean>, runTimeoutMs: number | undefined): () => void {
  const signal = context.cancellationSignal;
  const onAbort = () => {
    const reason = signal.reason as unknown;
    if (reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN') {
      controller.abort(new RunAbortedError('shutdown', 'the worker shut down while the step was in progress'));
      return;
    }
    void wasCancelled().then(
      (cancelled) => controller.abort(cancelled || runTimeoutMs === undefined ? new RunAbortedError('cancelled', 'the run was cancelled') : new RunAbortedError('timeout', `the run timed out after ${runTimeoutMs} ms (graph setting timeoutMs)`)),
      () => controller.abort(new RunAbortedError('cancelled', 'the run was cancelled')),
    );
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

async function cancelRequested(db: Database, runId: string): Promise<boolean> {
  const [row] = await db.query<{ cancel_requested: boolean }>('select cancel_requested from runs where id = $1', [runId]);
  return Boolean(row?.cancel_requested);
}
