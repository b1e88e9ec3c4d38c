import type { Item } from '../../graphs/model.js';
import { MifyError } from '../../errors.js';
import type { ExecutableGraph, NodeRunResult, SubgraphLoader } from '../types.js';
import type { RunContext, RunOutcome } from './context.js';
import { StepError } from './errors.js';
import type { PlannedNode } from './plan.js';

/** Creates and executes child runs; the run service implements it. */
export interface ChildRunStarter {
  /**
   * Records a run of `graph` below `parent` (parent run id, depth + 1), calls `onCreated`
   * with its id, and executes it to its end. Child runs take no concurrency slot, because
   * the parent already has one and waits for them. Aborting `signal` cancels the child.
   * `stepKey` names the parent's step, so a replayed parent finds the child it started.
   * Throws RunSuspendedError when the child waits.
   */
  runChild(request: { parent: RunContext; stepKey: string; graph: ExecutableGraph; input: Item[]; chain: string[]; signal: AbortSignal; onCreated: (runId: string) => Promise<void> }): Promise<{ runId: string; outcome: RunOutcome }>;
}

export interface SubworkflowSupport {
  loader: SubgraphLoader;
  starter: ChildRunStarter;
}

/** Label of a graph in depth-limit messages. */
export function graphLabel(graph: ExecutableGraph): string {
  return graph.id ?? 'inline graph';
}

/**
 * Runs the graph that a sub-workflow node names as a child run, with the node's input items
 * as the child's input. It returns the child's output on the node's first output port. The
 * node's parameter `graphId` names the graph, and `version` is a version number, `live` or
 * `draft` (default `live`).
 *
 * @throws StepError `subworkflow_depth` past `maxDepth`, naming the chain of graphs.
 */
export async function runSubworkflow(
  support: SubworkflowSupport | null,
  request: { run: RunContext; planned: PlannedNode; stepKey: string; parameters: Record<string, unknown>; items: Item[]; signal: AbortSignal; maxDepth: number; onChildRun: (runId: string) => Promise<void> },
): Promise<NodeRunResult> {
  const { run, planned, parameters } = request;
  const name = planned.node.name;
  if (support === null) {
    throw new StepError('subworkflows_unavailable', `node '${name}' runs a sub-workflow, but this kernel has no graph loader for sub-workflows`, { retryable: false });
  }

  const graphId = parameters.graphId;
  if (typeof graphId !== 'string' || graphId.length === 0) {
    throw new StepError('invalid_parameter', `node '${name}' needs parameter graphId, the id of the graph to run; got ${JSON.stringify(graphId) ?? 'nothing'}`, { retryable: false });
  }
  const version = parseVersion(parameters.version, name);

  const chain = [...run.chain, graphId];
  if (run.depth + 1 > request.maxDepth) {
    throw new StepError(
      'subworkflow_depth',
      `sub-workflow depth limit of ${request.maxDepth} reached at node '${name}': ${chain.join(' → ')}; a graph that runs itself needs a condition that ends the recursion, or raise MIFY_RUN_MAX_SUBWORKFLOW_DEPTH`,
      { retryable: false, details: { chain, maxDepth: request.maxDepth } },
    );
  }

  let graph: ExecutableGraph;
  try {
    graph = await support.loader.load(run.workspaceId, graphId, version);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof MifyError ? error.code : 'subworkflow_load_failed';
    throw new StepError(code, `node '${name}' could not load graph '${graphId}' (version ${version}): ${message}`, { retryable: false, cause: error });
  }

  const { runId, outcome } = await support.starter.runChild({ parent: run, stepKey: request.stepKey, graph, input: request.items, chain, signal: request.signal, onCreated: request.onChildRun });
  if (outcome.status !== 'succeeded') {
    throw new StepError('subworkflow_failed', `sub-workflow run ${runId} of graph '${graphId}' ${outcome.status}${outcome.error ? `: ${outcome.error.message}` : ''}`, { retryable: true, details: { childRunId: runId } });
  }

  const port = planned.outputs[0] ?? 'main';
  return { ports: { [port]: outcome.output }, usage: outcome.usage };
}

function parseVersion(value: unknown, nodeName: string): number | 'live' | 'draft' {
  if (value === undefined || value === null || value === '' || value === 'live') return 'live';
  if (value === 'draft') return 'draft';
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= 1) return number;
  throw new StepError('invalid_parameter', `node '${nodeName}' has version ${JSON.stringify(value)}; expected a version number, "live" or "draft"`, { retryable: false });
}
