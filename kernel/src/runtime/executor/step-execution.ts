import { newId } from '../../auth/tokens.js';
import { ExtensionCallError } from '../../extensions/runtime/types.js';
import type { Item } from '../../graphs/model.js';
import type { Logger } from '../../logger.js';
import type { ExpressionEvaluator, NodeRunner, NodeRunResult, PortItems, StepUsage } from '../types.js';
import type { ExecutorLimits, RunContext, StepRecord, StepStatus, WaitRequest, WaitResolution } from './context.js';
import { describeError, RunAbortedError, RunSuspendedError, StepAttemptError, StepError, StepTimeoutError, type StepErrorInfo } from './errors.js';
import { stepKeyOf, type ActivationResult } from './interpreter.js';
import { checkItemCount, countItems, itemsWithError } from './items.js';
import { resolveParameters, type ResolvedParameters, type StepScope } from './parameters.js';
import { ERROR_PORT, type PlannedNode } from './plan.js';
import { backoffDelayMs, runWithWatchdog, sleep } from './retries.js';
import type { Activation } from './scheduling.js';
import { hashStepInput, measureStepInput } from './step-input.js';
import { runSubworkflow, type SubworkflowSupport } from './subworkflow.js';

export interface StepServices {
  runner: NodeRunner;
  evaluator: ExpressionEvaluator | null;
  subworkflows: SubworkflowSupport | null;
  limits: ExecutorLimits;
  logger: Logger;
}

/** Per-run counters the steps of one run share. */
export interface RunProgress {
  /** Last step sequence number handed out. */
  seq: number;
}

/** Measurements of one activation's input: its estimated JSON size, and its hash in audited runs. */
interface MeasuredInput {
  bytes: number;
  hash: string | null;
}

/** Result of the attempts at one node call. */
type AttemptsOutcome =
  | { ok: true; ports: PortItems; usage: StepUsage | null; state?: unknown; wait?: WaitRequest }
  | { ok: false; error: StepErrorInfo; fatal: boolean };

/**
 * Executes one activation of one node: pinned data, skipping, pass-through of disabled
 * nodes, limits, expressions, then the node itself with retries, a timeout watchdog per
 * attempt and its on-error setting. Records every step through the run's recorder.
 */
export class StepExecution {
  private readonly expressionNodes = new WeakMap<PlannedNode, boolean>();

  constructor(private readonly services: StepServices) {}

  /** `nodeOutputs` builds `$node` for expressions: the output of each node that has run, by node name. */
  async run(run: RunContext, progress: RunProgress, activation: Activation, nodeOutputs: () => Record<string, Item[]>): Promise<ActivationResult> {
    const { planned, ports } = activation;
    const node = planned.node;
    const firstInput = planned.inputs[0] ?? 'main';
    const firstOutput = planned.outputs[0] ?? 'main';

    if (activation.skip) {
      await this.recordOnce(run, progress, activation, 'skipped', {});
      return { kind: 'skipped' };
    }

    if (planned.pinned !== null) {
      const output = { [firstOutput]: planned.pinned };
      await this.recordOnce(run, progress, activation, 'succeeded', { pinned: true, output });
      return { kind: 'output', ports: output };
    }

    const itemCount = countItems(ports);
    const mustRun = node.settings.runOnEmptyInput || planned.control === 'trigger' || activation.reentry;
    if (itemCount === 0 && !mustRun) {
      await this.recordOnce(run, progress, activation, 'skipped', {});
      return { kind: 'skipped' };
    }

    let measured: MeasuredInput | null = null;
    try {
      checkItemCount(ports, node.name, this.services.limits);
      if (!node.disabled) measured = this.measureInput(run, planned, ports);
    } catch (error) {
      const info = describeError(error, node);
      await this.recordOnce(run, progress, activation, 'failed', { error: info, countOnly: true });
      return { kind: 'failed', error: info };
    }

    if (node.disabled) {
      const output = { [firstOutput]: ports[firstInput] ?? [] };
      await this.recordOnce(run, progress, activation, 'succeeded', { disabled: true, output, input: ports });
      return { kind: 'output', ports: output };
    }

    let resolved: ResolvedParameters;
    try {
      resolved = this.hasExpressions(planned)
        ? await resolveParameters(this.services.evaluator, true, node.parameters, ports[firstInput] ?? [], this.scope(run, nodeOutputs), node.name)
        : { parameters: node.parameters };
    } catch (error) {
      const info = describeError(error, node);
      await this.recordOnce(run, progress, activation, 'failed', { error: info, input: ports, measured });
      return this.applyOnError(planned, ports[firstInput] ?? [], info, false);
    }

    let outcome = await this.attempts(run, progress, activation, resolved, measured!);
    if (outcome.ok && outcome.wait !== undefined) {
      if (planned.control !== 'wait') {
        outcome = { ok: false, error: describeError(new StepError('invalid_node_output', `node '${node.name}' returned wait, but only node types with control "wait" may wait`, { retryable: false }), node), fatal: false };
      } else {
        const resolution = await run.waits.resolve({ stepKey: stepKeyOf(activation), nodeId: node.id, nodeName: node.name }, outcome.wait, run.signal);
        outcome = await this.attempts(run, progress, activation, resolved, measured!, resolution);
        if (outcome.ok && outcome.wait !== undefined) {
          outcome = { ok: false, error: describeError(new StepError('invalid_node_output', `node '${node.name}' returned wait again after its wait ended; on the call with resume it must return its output`, { retryable: false }), node), fatal: false };
        }
      }
    }
    if (!outcome.ok) return this.applyOnError(planned, ports[firstInput] ?? [], outcome.error, outcome.fatal);

    const result: ActivationResult = { kind: 'output', ports: outcome.ports };
    if (outcome.usage) result.usage = outcome.usage;
    if (outcome.state !== undefined) result.state = outcome.state;
    return result;
  }

  private async attempts(run: RunContext, progress: RunProgress, activation: Activation, resolved: ResolvedParameters, measured: MeasuredInput, resume?: WaitResolution): Promise<AttemptsOutcome> {
    const node = activation.planned.node;
    const retry = node.settings.retry;
    const maxAttempts = retry?.maxAttempts ?? 1;

    for (let attempt = run.externalRetry?.attempt ?? 1; ; attempt++) {
      const record = this.newRecord(run, progress, activation, 'running', attempt);
      record.input = activation.ports;
      record.inputHash = measured.hash;
      record.inputBytes = measured.bytes;
      await run.recorder.stepStarted(record);

      let result: NodeRunResult;
      try {
        result = await runWithWatchdog((signal) => this.invoke(run, activation, resolved, record, signal, resume), {
          timeoutMs: node.settings.timeoutMs,
          runSignal: run.signal,
          onTimeout: () => new StepTimeoutError(node.name, node.settings.timeoutMs!),
        });
      } catch (error) {
        if (error instanceof RunSuspendedError) {
          await this.finish(run, record, 'waiting', {});
          throw error;
        }
        if (run.signal.aborted) {
          const reason = run.signal.reason as unknown;
          const cancelled = reason instanceof RunAbortedError && reason.reason === 'cancelled';
          await this.finish(run, record, cancelled ? 'cancelled' : 'failed', { error: describeError(reason, node) });
          throw reason;
        }

        const info = describeError(error, node);
        if (isRetryable(error) && retry !== undefined && attempt < maxAttempts) {
          const retryInMs = backoffDelayMs(retry, attempt);
          await this.finish(run, record, 'failed', { error: { ...info, retryInMs } });
          this.services.logger.warn({ runId: run.runId, stepId: record.id, nodeId: node.id, attempt, retryInMs, err: error }, 'step failed; retrying');
          if (run.externalRetry) throw new StepAttemptError(info, retryInMs);
          await sleep(retryInMs, run.signal);
          continue;
        }

        await this.finish(run, record, 'failed', { error: info });
        this.services.logger.warn({ runId: run.runId, stepId: record.id, nodeId: node.id, attempt, onError: node.settings.onError, err: error }, 'step failed');
        return { ok: false, error: info, fatal: error instanceof StepError && error.fatal };
      }

      record.usage = result.usage ?? null;
      if (result.wait !== undefined) {
        await this.finish(run, record, 'waiting', {});
        return { ok: true, ports: {}, usage: result.usage ?? null, wait: result.wait };
      }
      await this.finish(run, record, 'succeeded', { output: result.ports });
      const outcome: AttemptsOutcome = { ok: true, ports: result.ports, usage: result.usage ?? null };
      if (result.state !== undefined) outcome.state = result.state;
      return outcome;
    }
  }

  private invoke(run: RunContext, activation: Activation, resolved: ResolvedParameters, record: StepRecord, signal: AbortSignal, resume: WaitResolution | undefined): Promise<NodeRunResult> {
    const { planned, ports } = activation;
    const items = ports[planned.inputs[0] ?? 'main'] ?? [];

    if (planned.control === 'subworkflow') {
      return runSubworkflow(this.services.subworkflows, {
        run,
        planned,
        stepKey: stepKeyOf(activation),
        parameters: resolved.parameters,
        items,
        signal,
        maxDepth: this.services.limits.maxSubworkflowDepth,
        onChildRun: async (runId) => {
          record.childRunId = runId;
          await run.recorder.stepLinked(record);
        },
      });
    }

    return this.services.runner.execute({
      node: planned.node,
      type: planned.type!,
      parameters: resolved.parameters,
      ...(resolved.itemParameters ? { itemParameters: resolved.itemParameters } : {}),
      input: { items, ports },
      ...(activation.loop ? { loop: activation.loop } : {}),
      ...(resume ? { resume } : {}),
      step: {
        runId: run.runId,
        graphId: run.graph.id,
        workspaceId: run.workspaceId,
        stepId: record.id,
        idempotencyKey: record.idempotencyKey,
        attempt: record.attempt,
        signal,
        ...(run.settings.rigor === 'audited' ? { audited: true } : {}),
        ...(run.recorder.stepProgress ? { progress: async (delta: string) => run.recorder.stepProgress!(record, delta) } : {}),
      },
    });
  }

  /** Turns a failure into output for `onError: continue` or `errorOutput`, or into a run failure. */
  private applyOnError(planned: PlannedNode, items: Item[], error: StepErrorInfo, fatal: boolean): ActivationResult {
    const onError = planned.node.settings.onError;
    if (fatal || onError === 'fail') return { kind: 'failed', error };

    const withError = itemsWithError(items, { message: error.message, code: error.code, nodeName: planned.node.name });
    const port = onError === 'errorOutput' ? ERROR_PORT : planned.outputs[0] ?? 'main';
    return { kind: 'output', ports: { [port]: withError } };
  }

  /**
   * Checks the input's estimated JSON size against the limit on every run. Only audited runs
   * also hash the input, in the same walk, because the hash costs about as much as serialising
   * the items and only audited records keep the full input that the hash identifies.
   *
   * @throws ItemsLimitError when the input passes `maxStepInputBytes`.
   */
  private measureInput(run: RunContext, planned: PlannedNode, ports: PortItems): MeasuredInput {
    const node = planned.node;
    if (run.settings.rigor === 'audited') {
      return hashStepInput({ type: node.type, typeVersion: node.typeVersion, parameters: node.parameters }, ports, node.name, this.services.limits);
    }
    return { bytes: measureStepInput(ports, node.name, this.services.limits), hash: null };
  }

  private hasExpressions(planned: PlannedNode): boolean {
    let known = this.expressionNodes.get(planned);
    if (known === undefined) {
      known = this.services.evaluator?.hasExpressions(planned.node.parameters) ?? false;
      this.expressionNodes.set(planned, known);
    }
    return known;
  }

  private scope(run: RunContext, nodeOutputs: () => Record<string, Item[]>): StepScope {
    return {
      nodeOutputs: nodeOutputs(),
      vars: run.settings.variables,
      run: { id: run.runId, graphId: run.graph.id, workspaceId: run.workspaceId, startedAt: run.startedAt.toISOString() },
      now: run.startedAt.toISOString(),
    };
  }

  private newRecord(run: RunContext, progress: RunProgress, activation: Activation, status: StepStatus, attempt: number): StepRecord {
    const node = activation.planned.node;
    progress.seq += 1;
    return {
      id: newId('step'),
      runId: run.runId,
      seq: progress.seq,
      nodeId: node.id,
      nodeName: node.name,
      nodeType: node.type,
      typeVersion: node.typeVersion,
      activation: activation.activation,
      attempt,
      status,
      pinned: false,
      disabled: false,
      childRunId: null,
      startedAt: new Date(),
      finishedAt: null,
      durationMs: null,
      inputHash: null,
      input: null,
      inputBytes: null,
      output: null,
      outputItemCount: null,
      error: null,
      idempotencyKey: `${run.runId}:${node.id}:${activation.activation}`,
      usage: null,
    };
  }

  private async finish(run: RunContext, record: StepRecord, status: StepStatus, result: { output?: PortItems; error?: StepRecord['error'] }): Promise<void> {
    record.status = status;
    record.finishedAt = new Date();
    record.durationMs = record.finishedAt.getTime() - record.startedAt.getTime();
    if (result.output) {
      record.output = result.output;
      record.outputItemCount = countItems(result.output);
    }
    record.error = result.error ?? null;
    await run.recorder.stepFinished(record);
  }

  /** Records a step that has no separate start: skipped, pinned, disabled, or failed before any attempt. */
  private async recordOnce(
    run: RunContext,
    progress: RunProgress,
    activation: Activation,
    status: StepStatus,
    details: { pinned?: boolean; disabled?: boolean; output?: PortItems; input?: PortItems; measured?: MeasuredInput | null; error?: StepErrorInfo; countOnly?: boolean },
  ): Promise<void> {
    const record = this.newRecord(run, progress, activation, status, 1);
    record.pinned = details.pinned ?? false;
    record.disabled = details.disabled ?? false;
    // An input over the limits is recorded by its item count only, so the record cannot grow with it.
    if (!details.countOnly && details.input) record.input = details.input;
    if (details.measured) {
      record.inputHash = details.measured.hash;
      record.inputBytes = details.measured.bytes;
    }
    await this.finish(run, record, status, { ...(details.output ? { output: details.output } : {}), ...(details.error ? { error: details.error } : {}) });
  }
}

/** Returns true for failures that another attempt may fix: every error except StepErrors marked otherwise and calls to a node the extension does not have. */
function isRetryable(error: unknown): boolean {
  if (error instanceof StepError) return error.retryable;
  return !(error instanceof ExtensionCallError && error.reason === 'not_found');
}
