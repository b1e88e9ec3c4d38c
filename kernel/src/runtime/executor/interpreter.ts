import type { Item } from '../../graphs/model.js';
import type { PortItems, StepUsage } from '../types.js';
import { describeError, RunFailure, type StepErrorInfo } from './errors.js';
import type { ExecutionPlan, PlannedNode } from './plan.js';
import { RunScheduler, type Activation } from './scheduling.js';

/**
 * What one activation of one node produced. Plain JSON data, so a journal can store it and a
 * Temporal workflow can receive it from an activity.
 */
export type ActivationResult =
  | { kind: 'output'; ports: PortItems; state?: unknown; usage?: StepUsage | null }
  | { kind: 'skipped' }
  /** The run must stop: the node failed with `onError: fail`, or hit a fatal limit. */
  | { kind: 'failed'; error: StepErrorInfo };

/** Where the interpreter gets activation results from: by running the node, or from a journal. */
export interface InterpreterHost {
  /**
   * Produces the result of one activation. `stepKey` (`<nodeId>:<activation>`) is stable for
   * a run: a durable host returns the stored result of a key that already finished.
   * `nodeOutputs` builds `$node` for expressions. May throw to stop the run (cancellation,
   * timeout, suspension); the interpreter lets such errors through.
   */
  activate(activation: Activation, stepKey: string, nodeOutputs: () => Record<string, Item[]>): Promise<ActivationResult>;
  /** Called before each activation; throws to stop or suspend the run. */
  checkpoint(): void;
}

export interface InterpretedRun {
  status: 'succeeded' | 'failed';
  output: Item[];
  error: StepErrorInfo | null;
  usage: Required<Pick<StepUsage, 'tokens' | 'inputTokens' | 'outputTokens' | 'costUsd'>>;
}

/**
 * Walks a planned graph from its input to its end, asking `host` for each activation's result
 * in the order the scheduler fixes. Given the same plan, input and results, it asks for the same
 * activations in the same order, which is what lets a journal (or Temporal's history) replay a
 * run: recorded results come back and only the rest runs.
 *
 * This module and what it imports hold no I/O and no clocks, so the Temporal workflow bundle
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
    if (result.kind === 'output') addUsage(usage, result.usage);
    scheduler.complete(planned, result.kind === 'skipped' ? null : result.ports, result.kind === 'output' ? result.state : undefined);
  }
  host.checkpoint();

  const unfinished = scheduler.unfinished();
  if (unfinished.length > 0) {
    const names = unfinished.map((planned) => `'${planned.node.name}'`).join(', ');
    const message = `the run stopped with nodes that can never get their input: ${names}; a node waits for an input that only arrives after the node itself has run`;
    return { status: 'failed', output: [], error: { message, code: 'run_stalled' }, usage };
  }

  return { status: 'succeeded', output: runOutput(plan, scheduler), error: null, usage };
}

/** `<nodeId>:<activation>`: names one activation in a journal, an idempotency key and a wait. */
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

/** Items of every output port of a node's latest activation, in port order. */
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
