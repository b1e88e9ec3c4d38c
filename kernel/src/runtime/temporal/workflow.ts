import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Item, NodeSettings } from '../../graphs/model.js';
import type { WaitRequest, WaitResolution } from '../executor/context.js';
import { interpret, type ActivationResult, type InterpretedRun } from '../executor/interpreter.js';
import { planGraph } from '../executor/plan.js';
import type { Activation } from '../executor/scheduling.js';
import { planResolver, RUN_SIGNALS, type ActivationRequest, type RunActivities, type RunWorkflowInput, type RunWorkflowResult, type WorkflowWait } from './contract.js';
import { jsonBytes, payloadTooLarge } from './payload.js';

/*
 * The run workflow. It runs inside Temporal's deterministic sandbox, so it imports only the
 * interpreter, the planner and types. Every effect (node calls, records, waits) is an activity.
 */

export const pauseSignal = defineSignal(RUN_SIGNALS.pause);
export const resumeSignal = defineSignal(RUN_SIGNALS.resume);
export const decideSignal = defineSignal<[waitId: string]>(RUN_SIGNALS.decide);

const statusKey = defineSearchAttributeKey('status', SearchAttributeType.KEYWORD);

/**
 * Start-to-close timeout of a node activity whose node has no `timeoutMs`. The heartbeat
 * timeout still catches a dead worker.
 */
const DEFAULT_ACTIVITY_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/**
 * Time an activity gets past the node's `timeoutMs` to record the timed-out step. The step's
 * own watchdog ends the node call at `timeoutMs`, so Temporal's limit only catches a stuck worker.
 */
const ACTIVITY_GRACE_MS = 10_000;
/**
 * Attempts Temporal adds to a node's own `retry.maxAttempts` for failures outside the node,
 * such as a worker that died mid-step. The step decides itself when a node failure is final.
 */
const INFRASTRUCTURE_ATTEMPTS = 5;

/** Activities that only touch the run tables, so they are short and retried on any failure. */
const bookkeeping = proxyActivities<RunActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/**
 * Runs one MIFY run: plans the graph over the node types resolved when the run started, then
 * interprets it, running each activation as a `runActivation` activity with the node's retry
 * and timeout settings.
 */
export async function mifyRun(input: RunWorkflowInput): Promise<RunWorkflowResult> {
  const run = new RunWorkflow(input);
  return run.execute();
}

class RunWorkflow {
  private paused = false;
  private readonly decided = new Set<string>();
  private readonly prefill: Map<string, ActivationResult>;
  private startedAtMs: number | null = null;
  private timedOut = false;

  constructor(private readonly input: RunWorkflowInput) {
    this.prefill = new Map(input.journal.map((entry) => [entry.stepKey, entry.result]));
    setHandler(pauseSignal, () => {
      this.paused = true;
    });
    setHandler(resumeSignal, () => {
      this.paused = false;
    });
    setHandler(decideSignal, (waitId) => {
      this.decided.add(waitId);
    });
  }

  async execute(): Promise<RunWorkflowResult> {
    const { runId, graph } = this.input;
    const timeoutMs = graph.graph.settings.timeoutMs;
    let result: RunWorkflowResult & Pick<InterpretedRun, 'output' | 'usage'>;

    try {
      this.setStatus('running');
      this.startedAtMs = (await bookkeeping.runStarted({ runId })).startedAtMs;
      const plan = planGraph(graph.graph, planResolver(this.input.nodeTypes));

      const body = new CancellationScope();
      let finished = false;
      const host = { activate: (activation: Activation, stepKey: string, outputs: () => Record<string, Item[]>) => this.activate(activation, stepKey, outputs), checkpoint: () => {} };
      const interpreted = body.run(() => interpret(plan, this.input.input, graph.graph.settings.maxIterations, host)).finally(() => {
        finished = true;
      });
      if (timeoutMs !== undefined) {
        // The run's timer. When it fires before the run ends, the running activity or wait is cancelled.
        void CancellationScope.nonCancellable(() => sleep(timeoutMs)).then(() => {
          if (finished) return;
          this.timedOut = true;
          body.cancel();
        });
      }
      const outcome = await interpreted;
      result = { status: outcome.status, error: outcome.error, output: outcome.output, usage: outcome.usage };
    } catch (error) {
      result = { ...this.describeStop(error, timeoutMs), output: [], usage: { tokens: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } };
    }

    if (result.output.length > 0 && jsonBytes(result.output) > this.input.maxPayloadBytes) {
      result = { status: 'failed', error: payloadTooLarge('the run output', this.input.maxPayloadBytes), output: [], usage: result.usage };
    }
    await CancellationScope.nonCancellable(async () => {
      this.setStatus(result.status);
      await bookkeeping.runFinished({ runId, outcome: result, startedAtMs: this.startedAtMs });
    });
    return { status: result.status, error: result.error };
  }

  /** Converts the error that stopped the interpreter (cancellation, the run timer, a failed activity) into the run's result. */
  private describeStop(error: unknown, timeoutMs: number | undefined): RunWorkflowResult {
    if (this.timedOut) return { status: 'failed', error: { message: `the run timed out after ${timeoutMs} ms (graph setting timeoutMs)`, code: 'run_timeout' } };
    if (isCancellation(error)) return { status: 'cancelled', error: { message: 'the run was cancelled', code: 'run_cancelled' } };

    // An ActivityFailure carries the activity's own failure as its cause.
    const failure = error as { message?: string; type?: string; cause?: { message?: string; type?: string } };
    const source = failure.cause ?? failure;
    const message = source.message ?? String(error);
    const code = source.type !== undefined && /^[a-z_]+$/.test(source.type) ? source.type : 'run_failed';
    return { status: 'failed', error: { message, code } };
  }

  private async activate(activation: Activation, stepKey: string, nodeOutputs: () => Record<string, Item[]>): Promise<ActivationResult> {
    const known = this.prefill.get(stepKey);
    if (known !== undefined) return known;

    await this.holdWhilePaused();
    const { planned } = activation;
    const request: ActivationRequest = {
      runId: this.input.runId,
      nodeTypes: this.input.nodeTypes,
      nodeId: planned.node.id,
      activation: activation.activation,
      ports: { ...activation.ports, ...(this.input.overrides?.[stepKey] ?? {}) },
      loop: activation.loop,
      reentry: activation.reentry,
      skip: activation.skip,
    };
    if (!activation.skip && hasTemplate(planned.node.parameters)) request.nodeOutputs = nodeOutputs();
    if (jsonBytes(request) > this.input.maxPayloadBytes) {
      return { kind: 'failed', error: { ...payloadTooLarge(`the input of node '${planned.node.name}'`, this.input.maxPayloadBytes), nodeId: planned.node.id, nodeName: planned.node.name } };
    }

    const node = proxyActivities<RunActivities>(this.activityOptions(planned.node.settings));
    const outcome = await node.runActivation(request);
    if (outcome.kind !== 'wait') return outcome;

    request.resolution = await this.waitFor(stepKey, outcome);
    await this.holdWhilePaused();
    const resumed = await node.runActivation(request);
    if (resumed.kind !== 'wait') return resumed;
    // The step itself turns a second wait into a failure, so this only guards against a changed activity.
    return { kind: 'failed', error: { message: `node '${planned.node.name}' requested another wait after its wait ended`, code: 'invalid_node_output', nodeId: planned.node.id, nodeName: planned.node.name } };
  }

  /** Persists the wait a node requested, then sleeps until its timer, its decision or its `until` time. */
  private async waitFor(stepKey: string, requested: { request: WaitRequest; nodeId: string; nodeName: string }): Promise<WaitResolution> {
    const { runId } = this.input;
    this.setStatus('waiting');
    let wait: WorkflowWait = await bookkeeping.ensureWait({ runId, stepKey, nodeId: requested.nodeId, nodeName: requested.nodeName, request: requested.request });

    while (wait.resolution === null) {
      const remainingMs = wait.resumeAtMs === null ? null : Math.max(0, wait.resumeAtMs - Date.now());
      if (wait.kind === 'timer') {
        if (remainingMs !== null && remainingMs > 0) await sleep(remainingMs);
        wait = await bookkeeping.settleWait({ runId, waitId: wait.id, expire: 'elapsed' });
        continue;
      }

      const waitId = wait.id;
      let decided = true;
      if (remainingMs === null) {
        await condition(() => this.decided.has(waitId));
      } else {
        decided = await condition(() => this.decided.has(waitId), remainingMs);
      }
      wait = await bookkeeping.settleWait({ runId, waitId, expire: decided ? null : 'expired' });
      // The signal was for another wait, or arrived before the decision was stored, so check again at the next signal.
      if (wait.resolution === null) this.decided.delete(waitId);
    }

    this.setStatus('running');
    await bookkeeping.runStatus({ runId, status: 'running', event: 'run.resumed' });
    return wait.resolution;
  }

  /**
   * Blocks before an activation while the run is paused.
   * NOTE: a run paused during a wait stays `waiting` until the wait ends, then pauses.
   */

  private async holdWhilePaused(): Promise<void> {
    if (!this.paused) return;
    const { runId } = this.input;
    this.setStatus('paused');
    await bookkeeping.runStatus({ runId, status: 'paused', event: 'run.paused' });
    await condition(() => !this.paused);
    this.setStatus('running');
    await bookkeeping.runStatus({ runId, status: 'running', event: 'run.resumed' });
  }

  /** Activity options from the node's settings: `retry` becomes the retry policy and `timeoutMs` the start-to-close timeout. */
  private activityOptions(settings: NodeSettings): ActivityOptions {
    const retry = settings.retry;
    return {
      startToCloseTimeout: settings.timeoutMs === undefined ? DEFAULT_ACTIVITY_TIMEOUT_MS : settings.timeoutMs + ACTIVITY_GRACE_MS,
      heartbeatTimeout: this.input.heartbeatTimeoutMs,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: {
        maximumAttempts: (retry?.maxAttempts ?? 1) + INFRASTRUCTURE_ATTEMPTS,
        initialInterval: retry?.backoffMs ?? 1_000,
        backoffCoefficient: retry?.backoffFactor ?? 2,
        maximumInterval: retry?.maxBackoffMs ?? 30_000,
        nonRetryableErrorTypes: ['payload_too_large', 'run_not_found'],
      },
    };
  }

  private setStatus(status: string): void {
    upsertSearchAttributes([{ key: statusKey, value: status }]);
  }
}

/** Returns true when a value contains an expression (`{{ … }}`), so the node needs `$node` outputs. */
function hasTemplate(value: unknown): boolean {
  return JSON.stringify(value).includes('{{');
}
