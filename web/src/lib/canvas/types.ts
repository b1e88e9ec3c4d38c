// Shapes the canvas works with: the kernel's graph document (`MifyGraph`), the
// node contributions of extensions, and run records, as they arrive over JSON.

/** One item flowing along an edge. Binary data is base64. */
export interface Item {
  json: Record<string, unknown>;
  binary?: Record<string, { mimeType: string; fileName?: string; data: string }>;
  pairedItem?: number;
}

export interface NodeSettings {
  retry?: { maxAttempts: number; backoffMs?: number; backoffFactor?: number; maxBackoffMs?: number };
  timeoutMs?: number;
  onError?: 'fail' | 'continue' | 'errorOutput';
  runOnEmptyInput?: boolean;
}

export interface GraphNode {
  id: string;
  type: string;
  typeVersion: number;
  /** Unique within the graph; expressions refer to nodes by it. */
  name: string;
  parameters: Record<string, unknown>;
  position: { x: number; y: number };
  disabled?: boolean;
  credentials?: Record<string, string>;
  settings?: NodeSettings;
  notes?: string;
}

export interface GraphEdge {
  id?: string;
  from: { node: string; port: string };
  to: { node: string; port: string };
}

export interface MifyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  settings?: Record<string, unknown> & { variables?: Record<string, unknown> };
  /** Node id → items used instead of running the node. */
  pinnedData?: Record<string, Item[]>;
  stickyNotes?: unknown[];
}

/** A port as a manifest declares it: a bare name or an object with a label. */
export type PortDeclaration = string | { name: string; label?: string; required?: boolean };

/** A node type from `GET /api/extensions/contributions`. */
export interface NodeContribution {
  type: string;
  typeVersion: number;
  name: string;
  description: string;
  category: string;
  icon?: string;
  inputs?: PortDeclaration[];
  outputs?: PortDeclaration[];
  parameters?: JsonSchema;
  executionClass: 'deterministic' | 'probabilistic' | 'opaque';
  docs?: string;
  control?: 'merge' | 'loop' | 'subworkflow' | 'trigger' | 'wait';
  credentials?: Array<{ type: string; required?: boolean }>;
  extensionId: string;
  extensionVersion: string;
  healthy: boolean;
}

export interface ContributionList {
  nodes: NodeContribution[];
  [point: string]: unknown[];
}

/** The subset of JSON Schema that parameter forms understand; other keywords pass through. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  [keyword: string]: unknown;
}

/** A port of a node on the canvas. */
export interface Port {
  name: string;
  label: string;
}

/** A problem of the graph as the kernel reports it (`GET /api/graphs/:id/validation`). */
export interface GraphProblem {
  code: string;
  path: string;
  message: string;
  nodeId?: string;
  nodeName?: string;
  edgeIndex?: number;
  parameter?: string;
}

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'waiting' | 'interrupted';

/** One step attempt of a run, as `GET /api/runs/:id` returns it. */
export interface RunStep {
  id: string;
  seq: number;
  nodeId: string;
  nodeName: string;
  nodeType: string;
  activation: number;
  attempt: number;
  status: StepStatus;
  pinned: boolean;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  input: StepItems | null;
  output: StepItems | null;
  outputItemCount: number | null;
  oversized: boolean;
  error: unknown;
}

/** Recorded items of a step, per port. */
export interface StepItems {
  ports?: Record<string, Item[]>;
  itemCounts?: Record<string, number>;
  truncated?: boolean;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
  id: string;
  graphId: string | null;
  status: RunStatus;
  mode: string;
  createdAt: string;
  error: { message: string; code: string; nodeId?: string; nodeName?: string } | null;
  steps?: RunStep[];
}

/** A node's entry in the response of `POST /api/canvas-execute`. */
export interface CanvasNodeResult {
  nodeId: string;
  nodeName: string;
  status: 'ran' | 'reused' | 'pinned' | 'skipped' | 'failed';
  dirty: boolean;
  oversized: boolean;
  cached: boolean;
  contentKey: string | null;
  notCacheable: string | null;
  itemCount: number | null;
  error: unknown;
}

export interface CanvasExecuteResult {
  runId: string;
  run: RunRecord;
  nodes: CanvasNodeResult[];
  cache: { reused: number; stored: number; oversized: number };
}

export interface CanvasExecuteInput {
  graphId: string;
  graph?: MifyGraph;
  input?: Item[];
  pinnedData?: Record<string, Item[]>;
  targetNodeId?: string;
}
