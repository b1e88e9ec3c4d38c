import type { GraphNode, Item, MifyGraph } from '../graphs/model.js';
import type { WaitRequest, WaitResolution } from './executor/context.js';
import type { ExpressionError } from './expressions/errors.js';

/** Executor view of a node type, as declared in its extension's manifest. */
export interface NodeTypeInfo {
  type: string;
  typeVersion: number;
  extensionId: string;
  inputs: string[];
  outputs: string[];
  /** Deterministic outputs may be cached and reused by partial execution. */
  executionClass: 'deterministic' | 'probabilistic' | 'opaque';
  /**
   * Executor semantics beyond "run on the items received":
   * - `merge`: waits for every connected input (or the first, with parameter `mode: "first"`);
   * - `loop`: may be re-entered through an edge from downstream (a loop back edge);
   * - `subworkflow`: the executor runs another graph for it;
   * - `trigger`: starts a run; receives the run's input items;
   * - `wait`: may return `wait` to suspend the run until a timer, a decision or a resume, and
   *   runs again with `resume` to produce its output.
   */
  control: 'merge' | 'loop' | 'subworkflow' | 'trigger' | 'wait' | null;
  /** JSON Schema of the parameters. */
  parameters: Record<string, unknown>;
}

export interface NodeTypeResolver {
  /** Returns null for an unknown type or version. */
  resolve(type: string, typeVersion: number): NodeTypeInfo | null;
  /** Versions known for a type, for error messages. */
  versions(type: string): number[];
}

/** Identifies one attempt of one node execution within a run. */
export interface StepContext {
  runId: string;
  graphId: string | null;
  workspaceId: string;
  stepId: string;
  /** Same for every attempt and every resume of this step; nodes pass it to external APIs. */
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  /** True in audited runs, which hash each step's input. A runner may then keep a sandbox output's JSON for that hash. */
  audited?: boolean;
  /** Records partial output of the step as a `step.progress` event; resolves to whether it was recorded. Absent when the recorder keeps no events. */
  progress?: (delta: string) => Promise<boolean>;
}

/** Items per output port. */
export type PortItems = Record<string, Item[]>;

/**
 * Token and cost figures a node reports in the optional `usage` field of its output,
 * e.g. `{ items, usage: { tokens: 812, costUsd: 0.0031 } }`. The run record sums them.
 */
export interface StepUsage {
  /** Tokens in total; when left out, `inputTokens + outputTokens`. */
  tokens?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Cost in US dollars. */
  costUsd?: number;
}

/** One activation of one node, as handed to a NodeRunner. */
export interface NodeRunRequest {
  node: GraphNode;
  type: NodeTypeInfo;
  /** Parameters with expressions resolved for the first input item, or the raw parameters when they hold none. */
  parameters: Record<string, unknown>;
  /** Parameters resolved for each input item, in item order; only when the parameters hold expressions. */
  itemParameters?: Array<Record<string, unknown>>;
  input: { items: Item[]; ports: PortItems };
  /**
   * Loop nodes only: `state` is what the node returned as `state` at its previous activation
   * (undefined at the first activation after the loop is entered), and `iteration` counts the
   * activations since then, starting at 1.
   */
  loop?: { state: unknown; iteration: number };
  /** Wait nodes only, at their second call: how the wait they asked for ended. */
  resume?: WaitResolution;
  step: StepContext;
}

/** Output of one node activation. */
export interface NodeRunResult {
  ports: PortItems;
  usage?: StepUsage;
  /** Loop nodes only: handed back as `loop.state` at the next activation. */
  state?: unknown;
  /** Wait nodes only: suspend the run until this wait ends, then run the node again with `resume`. */
  wait?: WaitRequest;
}

/** Runs one node on its input. The extension-backed implementation calls the node's sandbox. */
export interface NodeRunner {
  execute(request: NodeRunRequest): Promise<NodeRunResult>;
}

/**
 * Loads the graph a sub-workflow node runs. `version` is a published version number, `live`
 * (the version currently published) or `draft` (the editable draft).
 */
export interface SubgraphLoader {
  load(workspaceId: string, graphId: string, version: number | 'live' | 'draft'): Promise<ExecutableGraph>;
}

/** Variables an expression can read while one node's parameters are evaluated for one item. */
export interface ExpressionScope {
  /** JSON of the current item (`$json`). */
  json: Record<string, unknown>;
  /** All items on the node's first input (`$input.all()`), and the current index (`$itemIndex`). */
  inputItems: Item[];
  itemIndex: number;
  /** Output items of nodes that already ran in this run, by node name (`$node["Name"]`, n8n's `$('Name')`). */
  nodeOutputs: Record<string, Item[]>;
  /** Graph variables (`$vars`). */
  vars: Record<string, unknown>;
  /** `$run`: id, graph id, workspace id, start time. */
  run: { id: string; graphId: string | null; workspaceId: string; startedAt: string };
  /** `$now`, ISO 8601; fixed per run so that replays evaluate the same. */
  now: string;
}

/** Parameters resolved for one item, or the ExpressionError that stopped them. */
export type ItemParameters = { ok: true; parameters: Record<string, unknown> } | { ok: false; error: ExpressionError };

export interface ExpressionEvaluator {
  /**
   * Returns `parameters` with every expression replaced by its value for the
   * item in `scope`. Values without expressions are returned unchanged.
   * Throws an ExpressionError naming the node, the parameter path and the expression.
   */
  resolveParameters(parameters: Record<string, unknown>, scope: ExpressionScope, where: { nodeName: string }): Promise<Record<string, unknown>>;
  /**
   * Resolves `parameters` for many items of one node, with as few sandbox calls as the data
   * size allows (one for typical batches), which is much cheaper per item than calling
   * `resolveParameters` for each. Result `i` belongs to `scopes[i]`; an item whose expression
   * fails gets its ExpressionError, and the other items still resolve.
   */
  resolveParametersForItems(parameters: Record<string, unknown>, scopes: readonly ExpressionScope[], where: { nodeName: string }): Promise<ItemParameters[]>;
  /** Returns whether any value inside contains an expression, so the executor can skip evaluation. */
  hasExpressions(value: unknown): boolean;
  dispose(): Promise<void>;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** A graph as the executor needs it: the document plus identifiers. */
export interface ExecutableGraph {
  id: string | null;
  versionId: string | null;
  workspaceId: string;
  graph: MifyGraph;
}
