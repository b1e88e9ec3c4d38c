import { NotFoundError, ValidationError } from '../../errors.js';
import type { Item } from '../../graphs/model.js';
import type { RunService } from '../run-service.js';
import type { RunRecord } from '../run-store.js';
import type { PortItems } from '../types.js';

/** The step to go back to: its step key (`<nodeId>:<activation>`), or its `seq` in the run's step list. */
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
 * Replay and fork, on whichever back end runs them: a new run of the source run's graph and
 * input gets the source's journal up to the chosen step, so the activations before it return
 * their recorded results and the chosen step and everything after it run again. A fork also
 * replaces the chosen step's input items.
 */
export class TimeTravelService {
  constructor(private readonly runs: RunService) {}

  /** Re-executes a run from a step, reusing what came before it. */
  async replay(workspaceId: string, runId: string, from: StepPointer, by: string | null, wait: boolean): Promise<TimeTravelResult> {
    return this.branch(workspaceId, runId, from, by, wait, null);
  }

  /**
   * Starts a new run from a step of another with different input for that step: `input`
   * replaces the items on the step's first input port, `ports` the items of named ports.
   */
  async fork(workspaceId: string, runId: string, from: StepPointer, override: { input?: Item[] | undefined; ports?: PortItems | undefined }, by: string | null, wait: boolean): Promise<TimeTravelResult> {
    if (override.input === undefined && override.ports === undefined) {
      throw new ValidationError('A fork needs new input for the step: send input (items for its first input port) or ports (items by input port name).', [{ path: 'input', message: 'required unless ports is given' }]);
    }
    return this.branch(workspaceId, runId, from, by, wait, override);
  }

  private async branch(workspaceId: string, runId: string, from: StepPointer, by: string | null, wait: boolean, override: { input?: Item[] | undefined; ports?: PortItems | undefined } | null): Promise<TimeTravelResult> {
    const history = await this.runs.history(workspaceId, runId);
    const start = await this.runs.startingPoint(workspaceId, runId);
    const stepKey = this.resolveStep(history.steps, from, runId);

    const index = history.journal.findIndex((entry) => entry.stepKey === stepKey);
    // A step that failed ended the run without a journal entry: everything journaled came before it.
    const prefix = index === -1 ? history.journal : history.journal.slice(0, index);

    let overrides = start.overrides;
    if (override) {
      const node = start.graph.graph.nodes.find((candidate) => candidate.id === stepKey.split(':')[0]);
      const firstPort = this.firstInputPort(history.steps, stepKey) ?? 'main';
      const ports: PortItems = { ...(override.ports ?? {}) };
      if (override.input !== undefined) ports[firstPort] = override.input;
      overrides = { ...(overrides ?? {}), [stepKey]: ports };
      if (!node) throw new NotFoundError('Node', stepKey.split(':')[0]!);
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

  private resolveStep(steps: Array<{ seq: number; nodeId: string; activation: number; nodeName: string }>, from: StepPointer, runId: string): string {
    if (from.stepKey !== undefined) {
      if (!steps.some((step) => `${step.nodeId}:${step.activation}` === from.stepKey)) {
        const known = [...new Set(steps.map((step) => `${step.nodeId}:${step.activation}`))].slice(0, 20).join(', ');
        throw new ValidationError(`Run '${runId}' has no step '${from.stepKey}'; pick one of its step keys (<nodeId>:<activation>): ${known || 'it has no steps'}.`, [{ path: 'stepKey', message: 'not a step of the run' }]);
      }
      return from.stepKey;
    }
    if (from.seq !== undefined) {
      const step = steps.find((candidate) => candidate.seq === from.seq);
      if (!step) throw new ValidationError(`Run '${runId}' has no step with seq ${from.seq}; it has steps 1 to ${steps.length}.`, [{ path: 'seq', message: 'not a step of the run' }]);
      return `${step.nodeId}:${step.activation}`;
    }
    throw new ValidationError('Name the step to start from: stepKey (<nodeId>:<activation>) or seq.', [{ path: 'stepKey', message: 'required unless seq is given' }]);
  }

  private firstInputPort(steps: Array<{ nodeId: string; activation: number; input: unknown }>, stepKey: string): string | null {
    const step = steps.find((candidate) => `${candidate.nodeId}:${candidate.activation}` === stepKey && candidate.input !== null);
    const ports = (step?.input as { ports?: Record<string, unknown> } | null)?.ports;
    return ports ? (Object.keys(ports)[0] ?? null) : null;
  }
}
