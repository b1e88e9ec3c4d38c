import type { Item } from '../../graphs/model.js';
import type { Logger } from '../../logger.js';
import type { ExpressionEvaluator, NodeRunner, NodeTypeResolver, PortItems } from '../types.js';
import type { MifyGraph } from '../../graphs/model.js';
import { emptyUsage, type ExecutorLimits, type RunContext, type RunOutcome } from './context.js';
import { describeError, RunAbortedError, RunFailure } from './errors.js';
import { planGraph, type ExecutionPlan, type PlannedNode } from './plan.js';
import { RunScheduler } from './scheduling.js';
import { StepExecution, type RunProgress } from './step-execution.js';
import type { SubworkflowSupport } from './subworkflow.js';

export interface GraphExecutorOptions {
  resolver: NodeTypeResolver;
  runner: NodeRunner;
  /** Null runs parameters as they are written, expressions included. */
  evaluator: ExpressionEvaluator | null;
  /** Null makes sub-workflow nodes fail with a clear error. */
  subworkflows: SubworkflowSupport | null;
  limits: ExecutorLimits;
  logger: Logger;
}

/**
 * Executes graphs. It plans them and hands ready nodes to the step execution one at a time,
 * in a deterministic order. It stops at the first failure that `onError` does not absorb, at
 * cancellation or at the run timeout. It keeps no state between runs, because the run
 * service owns records, queues and events.
 */
export class GraphExecutor {
  private readonly steps: StepExecution;

  constructor(private readonly options: GraphExecutorOptions) {
    this.steps = new StepExecution(options);
  }

  /** @throws GraphPlanError when the graph cannot be run as it is. */
  plan(graph: MifyGraph): ExecutionPlan {
    return planGraph(graph, this.options.resolver);
  }

  /**
   * Runs a planned graph to its end. Failures of nodes, cancellation and timeouts come back
   * as the outcome; only a failure of the recorder (e.g. the database) is thrown.
   */
  async execute(run: RunContext): Promise<RunOutcome> {
    const scheduler = new RunScheduler(run.plan, run.input);
    const usage = emptyUsage();
    const progress: RunProgress = { seq: 0, usage, nodeOutputs: () => nodeOutputs(run.plan, scheduler) };

    try {
      for (let activation = scheduler.next(); activation !== undefined; activation = scheduler.next()) {
        if (run.signal.aborted) throw run.signal.reason;
        const { planned } = activation;

        if (planned.control === 'loop' && activation.activation > run.settings.maxIterations) {
          const failure = new RunFailure(
            'loop_limit',
            `loop node '${planned.node.name}' reached the limit of ${run.settings.maxIterations} iterations (graph setting maxIterations); make the loop finish sooner, or raise maxIterations`,
            planned.node,
          );
          return { status: 'failed', output: [], error: describeError(failure, planned.node), usage };
        }

        const result = await this.steps.run(run, progress, activation);
        if (result.kind === 'failed') return { status: 'failed', output: [], error: result.error, usage };
        scheduler.complete(planned, result.kind === 'skipped' ? null : result.ports, result.kind === 'output' ? result.state : undefined);
      }
      if (run.signal.aborted) throw run.signal.reason;

      const unfinished = scheduler.unfinished();
      if (unfinished.length > 0) {
        const names = unfinished.map((planned) => `'${planned.node.name}'`).join(', ');
        const failure = new RunFailure('run_stalled', `the run stopped with nodes that can never get their input: ${names}; a node waits for an input that only arrives after the node itself has run`);
        return { status: 'failed', output: [], error: describeError(failure), usage };
      }

      return { status: 'succeeded', output: runOutput(run.plan, scheduler), error: null, usage };
    } catch (error) {
      if (!(error instanceof RunAbortedError)) throw error;
      return { status: error.reason === 'cancelled' ? 'cancelled' : 'failed', output: [], error: describeError(error), usage };
    }
  }
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
