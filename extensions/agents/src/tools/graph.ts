/**
 * The graph tool: runs the published (live) version of a graph of the workspace with the
 * model's arguments as the JSON of one input item, waits for the run, and returns its output
 * items' JSON as the observation.
 */
import type { Item, JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { ANY_OBJECT_SCHEMA, type AgentTool } from './types.js';

/** Default and maximum time the tool waits for the graph's run, in milliseconds. */
const DEFAULT_GRAPH_TIMEOUT_MS = 60_000;
const MAX_GRAPH_TIMEOUT_MS = 300_000;

type WaitedRun = Awaited<ReturnType<NodeContext['host']['runs']['wait']>>;

export function graphTool(ctx: NodeContext, declaration: JsonObject, base: { name: string; description: string; path: string }): AgentTool {
  const graphId = declaration.graphId;
  if (typeof graphId !== 'string' || graphId === '') throw invalidParameter(`${base.path}.graphId must be the id of a published graph of the workspace.`);
  const timeoutMs = declaration.timeoutMs ?? DEFAULT_GRAPH_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1_000 || timeoutMs > MAX_GRAPH_TIMEOUT_MS) {
    throw invalidParameter(`${base.path}.timeoutMs must be an integer from 1000 to ${MAX_GRAPH_TIMEOUT_MS}, got ${JSON.stringify(declaration.timeoutMs)}.`);
  }

  return {
    kind: 'graph',
    name: base.name,
    description: base.description || `Runs the graph ${graphId} with the arguments as its input item.`,
    parameters: (declaration.parameters as JsonObject | undefined) ?? ANY_OBJECT_SCHEMA,
    async invoke(args) {
      const started = await ctx.host.runs.start(graphId, { items: [{ json: args }] });
      const run: WaitedRun = await ctx.host.runs.wait(started.id, { timeoutMs });
      if (run.status === 'succeeded') {
        const items = (run.output ?? []) as Item[];
        const json = items.map((item) => item.json);
        return JSON.stringify(json.length === 1 ? json[0] : json) + (run.outputTruncated ? '\n[output truncated: the run record keeps a preview only]' : '');
      }
      if (run.status === 'failed' || run.status === 'cancelled') throw new Error(`the graph's run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ''}`);
      throw new Error(`the graph's run ${run.id} did not finish within ${timeoutMs} ms (status ${run.status})`);
    },
  };
}
