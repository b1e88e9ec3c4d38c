import { ValidationError } from '../../errors.js';
import type { Item } from '../../graphs/model.js';
import type { RunService } from '../run-service.js';
import type { RunRecord } from '../run-store.js';
import type { ExecutableGraph, PortItems } from '../types.js';

/** Step to go back to, named by its step key (`<nodeId>:<activation>`) or by its `seq` in the run's step list. */
export interface StepPointer {
  stepKey?: string | undefined;
  seq?: number | undefined;
}

export interface TimeTravelResult {
  run: RunRecord;
  sourceRunId: string;
  /** Step key of the first activation that runs again. */
  fromStepKey: string;
  /** Activations reused from the source run's journal. */
  reusedSteps: number;
}

/**
 * Replay and fork of runs, on whichever back end executes them. Both start a new run of the
 * source run's graph and input with the source's journal up to the chosen step. The activations
 * before that step return their recorded results, and the step and everything after it run
 * again. A fork also replaces the chosen step's input items.
 */
export class TimeTravelService {
  constructor(private readonly runs: RunService) {}

  /** Starts a new run that re-executes a run from a step, reusing the journaled results before it. */
  async replay(workspaceId: string, runId: string, from: StepPointer, by: string | null, wait: boolean): Promise<TimeTravelResult> {
    return this.branch(workspaceId, runId, from, by, wait, null);
  }

  /**
   * Starts a new run from a step of another run, with different input for that step. `input`
   * replaces the items on the step's first input port, and `ports` replaces the items of named ports.
   *
   * @throws ValidationError (422) when neither is given, or the step's node is not in the graph.
   */
  async fork(workspaceId: string, runId: string, from: StepPointer, override: { input?: Item[] | undefined; ports?: PortItems | undefined }, by: string | null, wait: boolean): Promise<TimeTravelResult> {
    if (override.input === undefined && override.ports === undefined) {
      throw new ValidationError(
        'Missing input for the forked step: send input (items for its first input port) or ports (items by input port name).',
        [{ path: 'input', message: 'required unless ports is given' }],
      );
    }
    return this.branch(workspaceId, runId, from, by, wait, override);
  }

  private async branch(workspaceId: string, runId: string, from: StepPointer, by: string | null, wait: boolean, override: { input?: Item[] | undefined; ports?: PortItems | undefined } | null): Promise<TimeTravelResult> {
    const history = await this.runs.history(workspaceId, runId);
    const start = await this.runs.startingPoint(workspaceId, runId);
    const stepKey = this.resolveStep(history.steps, from, runId);
    if (override) this.checkNodeInGraph(start.graph, history.steps, stepKey, from, runId);

    // A step that failed ended the run without a journal entry, so everything journaled came before it.
    const index = history.journal.findIndex((entry) => entry.stepKey === stepKey);
    const prefix = index === -1 ? history.journal : history.journal.slice(0, index);

    let overrides = start.overrides;
    if (override) {
      const firstPort = this.firstInputPort(history.steps, stepKey) ?? 'main';
      const ports: PortItems = { ...(override.ports ?? {}) };
      if (override.input !== undefined) ports[firstPort] = override.input;
      overrides = { ...(overrides ?? {}), [stepKey]: ports };
    }

    const run = await this.runs.start({
      workspaceId,
      graph: start.graph,
      input: start.input,
      mode: override ? 'fork' : 'replay',
      createdBy: by,
      waitForCompletion: wait,
      journal: prefix.map((entry) => ({ stepKey: entry.stepKey, result: entry.result })),
      overrides,
    });
    return { run, sourceRunId: runId, fromStepKey: stepKey, reusedSteps: prefix.length };
  }

  /**
   * Returns the step key that `from` names.
   *
   * @throws ValidationError (422) when `from` names no step of the run, or names none at all.
   */
  private resolveStep(steps: Array<{ seq: number; nodeId: string; activation: number; nodeName: string }>, from: StepPointer, runId: string): string {
    if (from.stepKey !== undefined) {
      if (!steps.some((step) => stepKeyOf(step) === from.stepKey)) {
        const known = [...new Set(steps.map(stepKeyOf))].slice(0, 20).join(', ');
        throw new ValidationError(
          `Run '${runId}' has no step '${from.stepKey}'. Pick one of its step keys (<nodeId>:<activation>): ${known || 'none, because the run has no steps'}.`,
          [{ path: 'stepKey', message: 'not a step of the run' }],
        );
      }
      return from.stepKey;
    }

    if (from.seq !== undefined) {
      const step = steps.find((candidate) => candidate.seq === from.seq);
      if (!step) {
        throw new ValidationError(`Run '${runId}' has no step with seq ${from.seq}. Its steps are numbered 1 to ${steps.length}.`, [{ path: 'seq', message: 'not a step of the run' }]);
      }
      return stepKeyOf(step);
    }

    throw new ValidationError('Missing step to start from: send stepKey (<nodeId>:<activation>) or seq.', [{ path: 'stepKey', message: 'required unless seq is given' }]);
  }

  /**
   * Checks that the node of the step to fork from is in the run's stored graph, because the
   * fork's input override would otherwise never be applied.
   *
   * @throws ValidationError (422) naming the step key and listing the step keys whose nodes are in the graph.
   */
  private checkNodeInGraph(graph: ExecutableGraph, steps: Array<{ nodeId: string; activation: number }>, stepKey: string, from: StepPointer, runId: string): void {
    const nodeIds = new Set(graph.graph.nodes.map((node) => node.id));
    const nodeId = stepKey.slice(0, stepKey.lastIndexOf(':'));
    if (nodeIds.has(nodeId)) return;

    const valid = [...new Set(steps.filter((step) => nodeIds.has(step.nodeId)).map(stepKeyOf))].slice(0, 20).join(', ');
    const path = from.stepKey === undefined ? 'seq' : 'stepKey';
    throw new ValidationError(
      `Cannot fork run '${runId}' from step '${stepKey}': node '${nodeId}' is not in the run's graph. Pick one of these step keys: ${valid || 'none, because no step of the run belongs to a node of its graph'}.`,
      [{ path, message: `node '${nodeId}' is not in the graph` }],
    );
  }

  /** Returns the name of the first input port in the recorded input of a step, or null when no input was recorded. */
  private firstInputPort(steps: Array<{ nodeId: string; activation: number; input: unknown }>, stepKey: string): string | null {
    const step = steps.find((candidate) => stepKeyOf(candidate) === stepKey && candidate.input !== null);
    const ports = (step?.input as { ports?: Record<string, unknown> } | null)?.ports;
    return ports ? (Object.keys(ports)[0] ?? null) : null;
  }
}

function stepKeyOf(step: { nodeId: string; activation: number }): string {
  return `${step.nodeId}:${step.activation}`;
}
