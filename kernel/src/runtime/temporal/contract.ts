import type { Item } from '../../graphs/model.js';
import type { WaitRequest, WaitResolution } from '../executor/context.js';
import type { StepErrorInfo } from '../executor/errors.js';
import type { ActivationResult, InterpretedRun } from '../executor/interpreter.js';
import type { ExecutableGraph, NodeTypeInfo, NodeTypeResolver, PortItems, RunStatus } from '../types.js';

/*
 * What the run workflow, its activities and the client agree on. Deterministic code only,
 * because the workflow bundle imports this file.
 */

/** Workflow type of a MIFY run. */
export const RUN_WORKFLOW_TYPE = 'mifyRun';

/** Signal names of the run workflow. */
export const RUN_SIGNALS = {
  /** Stop before the next activation until `resume`. */
  pause: 'mify.pause',
  resume: 'mify.resume',
  /** A wait of the run was decided; the argument is the wait id. */
  decide: 'mify.decide',
} as const;

/** Custom search attributes of run workflows, all of type Keyword. */
export const RUN_SEARCH_ATTRIBUTES = ['graphId', 'userId', 'status'] as const;

/** Node type as the workflow and the activity plan with it: a NodeTypeInfo without its parameter schema, which planning never reads. */
export type PlanNodeType = Omit<NodeTypeInfo, 'parameters'>;

/** Input of the run workflow. */
export interface RunWorkflowInput {
  runId: string;
  workspaceId: string;
  graph: ExecutableGraph;
  /** Every node type the graph uses, resolved when the run started, so a later change of extensions does not change the plan. */
  nodeTypes: PlanNodeType[];
  input: Item[];
  /** Activation results to reuse instead of running them (replay, fork), by step key. */
  journal: Array<{ stepKey: string; result: ActivationResult }>;
  /** Input items that replace what these activations receive, by step key (a fork); absent for other runs. */
  overrides?: Record<string, Record<string, Item[]>> | null;
  /** Time without a heartbeat after which Temporal retries a node activity, in milliseconds. */
  heartbeatTimeoutMs: number;
  /** Largest JSON sent to or returned from one activity, in bytes. */
  maxPayloadBytes: number;
}

/** Result of the workflow: the end status only, since the run record stores the rest. */
export interface RunWorkflowResult {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
  error: StepErrorInfo | null;
}

/** Input of `runActivation`: one activation of one node. */
export interface ActivationRequest {
  runId: string;
  nodeTypes: PlanNodeType[];
  nodeId: string;
  activation: number;
  ports: PortItems;
  loop: { state: unknown; iteration: number } | null;
  reentry: boolean;
  skip: boolean;
  /** Output items of the nodes that have run, by node name; sent only to nodes whose parameters hold expressions. */
  nodeOutputs?: Record<string, Item[]>;
  /** Resolution of the node's wait, when the activation runs again after its wait. */
  resolution?: WaitResolution;
}

/** Result of `runActivation`: the activation's result, or the wait the node asked for. */
export type ActivationOutcome = ActivationResult | { kind: 'wait'; request: WaitRequest; nodeId: string; nodeName: string };

/** A wait as the workflow tracks it. */
export interface WorkflowWait {
  id: string;
  kind: WaitRequest['kind'];
  /** Epoch milliseconds at which a timer elapses or a decision expires; null for none. */
  resumeAtMs: number | null;
  /** Set once the wait has ended. */
  resolution: WaitResolution | null;
}

/** Activities of the run workflow, implemented in activities.ts. */
export interface RunActivities {
  /** Marks the run running and records `run.started`; returns the start time in epoch milliseconds. */
  runStarted(request: { runId: string }): Promise<{ startedAtMs: number }>;
  runActivation(request: ActivationRequest): Promise<ActivationOutcome>;
  /** Creates the wait of a step (or returns the one created before) and parks the run as `waiting`. */
  ensureWait(request: { runId: string; stepKey: string; nodeId: string; nodeName: string; request: WaitRequest }): Promise<WorkflowWait>;
  /** Reads a wait after a decision, or ends it as `elapsed`/`expired` when its time has come. */
  settleWait(request: { runId: string; waitId: string; expire: 'elapsed' | 'expired' | null }): Promise<WorkflowWait>;
  /** Records a change between running and paused or waiting, with its event. */
  runStatus(request: { runId: string; status: 'running' | 'paused'; event: 'run.paused' | 'run.resumed' }): Promise<void>;
  /** Records the end of the run, and cancels its open waits when it did not succeed. */
  runFinished(request: { runId: string; outcome: Pick<InterpretedRun, 'output' | 'usage'> & RunWorkflowResult; startedAtMs: number | null }): Promise<void>;
}

/** Resolves node types from the list a run started with. */
export function planResolver(types: PlanNodeType[]): NodeTypeResolver {
  const byKey = new Map<string, NodeTypeInfo>(types.map((type) => [`${type.type}@${type.typeVersion}`, { ...type, parameters: {} }]));
  return {
    resolve: (type, typeVersion) => byKey.get(`${type}@${typeVersion}`) ?? null,
    versions: (type) => types.filter((known) => known.type === type).map((known) => known.typeVersion),
  };
}
