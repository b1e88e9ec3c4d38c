import type { Item } from '../../graphs/model.js';
import type { PortItems, StepUsage } from '../types.js';
import { describeError, RunFailure, type StepErrorInfo } from './errors.js';
import type { ExecutionPlan, PlannedNode } from './plan.js';
import { RunScheduler, type Activation } from './scheduling.js';

/**
 * Result of one activation of one node. It is plain JSON data, so a journal can store it and a
 * Temporal workflow can receive it from an activity.
 */
export type ActivationResult =
  | { kind: 'output'; ports: PortItems; state?: unknown; usage?: StepUsage | null }
  | { kind: 'skipped' }
  /** Failure that stops the run, because the node failed with `onError: fail` or hit a fatal limit. */
  | { kind: 'failed'; error: StepErrorInfo };

/** Source of activation results for the interpreter, which runs the node or reads a journal. */
export interface InterpreterHost {
  /**
   * Produces the result of one activation. `stepKey` (`<nodeId>:<activation>`) is stable within
   * a run, so a durable host returns the stored result of a key that already finished.
   * `nodeOutputs` builds `$node` for expressions. The host may throw to stop the run on
   * cancellation, timeout or suspension, and the interpreter passes such errors through.
   */
  activate(activation: Activation, stepKey: string, nodeOutputs: () => Record<string, Item[]>): Promise<ActivationResult>;
  /** Called before each activation and once after the last. Throws to stop or suspend the run. */
  checkpoint(): void;
}

export interface InterpretedRun {
  status: 'succeeded' | 'failed';
  output: Item[];
  error: StepErrorInfo | null;
  usage: Required<Pick<StepUsage, 'tokens' | 'inputTokens' | 'outputTokens' | 'costUsd'>>;
}

/**
 * Walks a planned graph from its input to its end and requests each activation's result from
 * `host`, in the order the scheduler sets. Given the same plan, input and results, it requests
 * the same activations in the same order. That is what lets a journal or Temporal's history
 * replay a run: recorded results come back, and only the remaining activations run.
 *
 * This module and its imports do no I/O and read no clock, so the Temporal workflow bundle
 * runs the same code.
 */
export async function interpret(plan: ExecutionPlan, input: Item[], maxIterations: number, host: InterpreterHost): Promise<InterpretedRun> {
  const scheduler = new RunScheduler(plan, input);
  const usage = { tokens: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const outputs = () => nodeOutputs(plan, scheduler);

  for (let activation = scheduler.next(); activation !== undefined; activation = scheduler.next()) {
    host.checkpoint();
    const { planned } = activation;

    if (planned.control === 'loop' && activation.activation > maxIterations) {
      const failure = new RunFailure(
        'loop_limit',
        `loop node '${planned.node.name}' reached the limit of ${maxIterations} iterations (graph setting maxIterations); make the loop finish sooner, or raise maxIterations`,
        planned.node,
      );
      return { status: 'failed', output: [], error: describeError(failure, planned.node), usage };
    }

    const result = await host.activate(activation, stepKeyOf(activation), outputs);
    if (result.kind === 'failed') return { status: 'failed', output: [], error: result.error, usage };
    if (result.kind === 'skipped') {
      scheduler.complete(planned, null, undefined);
    } else {
      addUsage(usage, result.usage);
      scheduler.complete(planned, result.ports, result.state);
    }
  }
  host.checkpoint();

  const unfinished = scheduler.unfinished();
  if (unfinished.length > 0) {
    const names = unfinished.map((planned) => `'${planned.node.name}'`).join(', ');
    const message = `the run stopped with nodes that can never receive their input: ${names}. Each waits for an input that only arrives after the node itself has run`;
    return { status: 'failed', output: [], error: { message, code: 'run_stalled' }, usage };
  }

  return { status: 'succeeded', output: runOutput(plan, scheduler), error: null, usage };
}

/** Returns the step key `<nodeId>:<activation>`, which names one activation in a journal, an idempotency key and a wait. */
export function stepKeyOf(activation: Pick<Activation, 'planned' | 'activation'>): string {
  return `${activation.planned.node.id}:${activation.activation}`;
}

/** Adds a step's usage to a run's. `tokens` defaults to input plus output tokens. */
export function addUsage(total: InterpretedRun['usage'], usage: StepUsage | null | undefined): void {
  if (!usage) return;
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  total.inputTokens += inputTokens;
  total.outputTokens += outputTokens;
  total.tokens += usage.tokens ?? inputTokens + outputTokens;
  total.costUsd += usage.costUsd ?? 0;
}

/** Concatenates the items of every output port, declared ports first and undeclared ones after them. */
function flatten(planned: PlannedNode, ports: PortItems): Item[] {
  const names = [...planned.outputs, ...Object.keys(ports).filter((port) => !planned.outputs.includes(port))];
  let items: Item[] = [];
  for (const port of names) {
    const portItems = ports[port];
    if (portItems !== undefined && portItems.length > 0) items = items.length === 0 ? portItems : items.concat(portItems);
  }
  return items;
}

function nodeOutputs(plan: ExecutionPlan, scheduler: RunScheduler): Record<string, Item[]> {
  const outputs: Record<string, Item[]> = {};
  for (const planned of plan.nodes) {
    const ports = scheduler.lastOutput(planned);
    if (ports !== null) outputs[planned.node.name] = flatten(planned, ports);
  }
  return outputs;
}

function runOutput(plan: ExecutionPlan, scheduler: RunScheduler): Item[] {
  let items: Item[] = [];
  for (const planned of plan.nodes) {
    if (!planned.isSink) continue;
    const ports = scheduler.lastOutput(planned);
    if (ports !== null) items = items.concat(flatten(planned, ports));
  }
  return items;
}
