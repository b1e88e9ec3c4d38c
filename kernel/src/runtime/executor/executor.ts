import type { MifyGraph } from '../../graphs/model.js';
import type { Logger } from '../../logger.js';
import type { ExpressionEvaluator, NodeRunner, NodeTypeResolver } from '../types.js';
import { emptyUsage, type ExecutorLimits, type RunContext, type RunOutcome } from './context.js';
import { describeError, RunAbortedError } from './errors.js';
import { interpret, type InterpreterHost } from './interpreter.js';
import { planGraph, type ExecutionPlan } from './plan.js';
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
 * in a deterministic order, through the run's journal. It stops at the first failure that
 * `onError` does not absorb, at cancellation, at the run timeout or when the run is
 * suspended. It keeps no state between runs, because the run service owns records, queues
 * and events.
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
   * Runs a planned graph to its end, or until it is suspended. Failures of nodes,
   * cancellation and timeouts come back as the outcome; a suspension (a wait or a pause) is
   * thrown as RunSuspendedError, and so is a failure of the recorder (e.g. the database).
   */
  async execute(run: RunContext): Promise<RunOutcome> {
    const progress: RunProgress = { seq: run.lastSeq ?? 0 };
    const host: InterpreterHost = {
      activate: (activation, stepKey, nodeOutputs) => {
        const override = run.overrides?.[stepKey];
        const effective = override === undefined ? activation : { ...activation, ports: { ...activation.ports, ...override } };
        return run.journal.activation(stepKey, () => this.steps.run(run, progress, effective, nodeOutputs));
      },
      checkpoint: () => {
        if (run.signal.aborted) throw run.signal.reason;
        run.checkpoint?.();
      },
    };

    try {
      const result = await interpret(run.plan, run.input, run.settings.maxIterations, host);
      return { status: result.status, output: result.output, error: result.error, usage: result.usage };
    } catch (error) {
      if (!(error instanceof RunAbortedError)) throw error;
      return { status: error.reason === 'cancelled' ? 'cancelled' : 'failed', output: [], error: describeError(error), usage: emptyUsage() };
    }
  }
}
