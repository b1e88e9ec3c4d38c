import { z } from 'zod';

/**
 * The graph document, `MifyGraph`. Data flows as items along edges from an
 * output port of one node to an input port of another. Parameters may hold
 * expressions (`{{ $json.field }}`, or n8n's `={{ … }}` form) that the
 * executor evaluates per item in a sandbox.
 */

export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const PORT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export const itemSchema = z.object({
  json: z.record(z.string(), z.unknown()),
  binary: z.record(z.string(), z.object({ mimeType: z.string(), fileName: z.string().optional(), data: z.string().describe('base64') })).optional(),
  /** Index of the input item this item came from, for $input pairing. */
  pairedItem: z.number().int().min(0).optional(),
});
export type Item = z.infer<typeof itemSchema>;

export const retrySchema = z.object({
  /** Attempts in total, including the first. */
  maxAttempts: z.number().int().min(1).max(20),
  /** Wait before the second attempt, in milliseconds. */
  backoffMs: z.number().int().min(0).max(3_600_000).default(1_000),
  /** Each later wait is the previous one times this factor. */
  backoffFactor: z.number().min(1).max(10).default(2),
  /** Maximum wait between attempts, in milliseconds. */
  maxBackoffMs: z.number().int().min(0).max(3_600_000).default(60_000),
});

export const nodeSettingsSchema = z.object({
  retry: retrySchema.optional(),
  /** Wall-clock limit of one attempt, in milliseconds, enforced by a watchdog while the node runs. */
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  /**
   * Failure handling. `fail` stops the run. `continue` passes the input items on with
   * an `error` field. `errorOutput` sends them to the node's `error` port.
   */
  onError: z.enum(['fail', 'continue', 'errorOutput']).default('fail'),
  /** Run the node even when it receives no items. */
  runOnEmptyInput: z.boolean().default(false),
});
export type NodeSettings = z.infer<typeof nodeSettingsSchema>;

export const graphNodeSchema = z.object({
  id: z.string().regex(NODE_ID_PATTERN, 'expected 1-64 characters of letters, digits, dash and underscore'),
  type: z.string().min(1).max(200),
  typeVersion: z.number().int().min(1),
  /** Unique within the graph; expressions refer to nodes by it (`$node["Fetch"]`). */
  name: z.string().min(1).max(200),
  parameters: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number(), y: z.number() }).default({ x: 0, y: 0 }),
  disabled: z.boolean().default(false),
  /** Credential slot → credential id or name in the vault. */
  credentials: z.record(z.string(), z.string()).default({}),
  settings: nodeSettingsSchema.default({ onError: 'fail', runOnEmptyInput: false }),
  notes: z.string().max(10_000).optional(),
});
export type GraphNode = z.infer<typeof graphNodeSchema>;

export const graphEdgeSchema = z.object({
  id: z.string().max(200).optional(),
  from: z.object({ node: z.string(), port: z.string().regex(PORT_NAME_PATTERN).default('main') }),
  to: z.object({ node: z.string(), port: z.string().regex(PORT_NAME_PATTERN).default('main') }),
});
export type GraphEdge = z.infer<typeof graphEdgeSchema>;

export const graphSettingsSchema = z.object({
  /** Wall-clock limit of a whole run, in milliseconds. */
  timeoutMs: z.number().int().min(1).max(7 * 86_400_000).optional(),
  /** Most activations of one loop node per run. */
  maxIterations: z.number().int().min(1).max(1_000_000).default(1_000),
  /** `audited` keeps every step's full input and output; `experimental` keeps trimmed previews. */
  rigor: z.enum(['audited', 'experimental']).default('audited'),
  /** Most runs of this graph executing at once; further runs wait in the queue. */
  maxConcurrentRuns: z.number().int().min(1).max(10_000).optional(),
  /** Values available to expressions as `$vars`. */
  variables: z.record(z.string(), z.unknown()).default({}),
});
export type GraphSettings = z.infer<typeof graphSettingsSchema>;

export const stickyNoteSchema = z.object({
  id: z.string(),
  content: z.string().max(100_000),
  position: z.object({ x: z.number(), y: z.number() }),
  size: z.object({ width: z.number(), height: z.number() }).optional(),
  color: z.string().optional(),
});

export const mifyGraphSchema = z.object({
  nodes: z.array(graphNodeSchema).max(5_000),
  edges: z.array(graphEdgeSchema).max(20_000),
  settings: graphSettingsSchema.default({ maxIterations: 1_000, rigor: 'audited', variables: {} }),
  /** Node id → items used instead of running the node. */
  pinnedData: z.record(z.string(), z.array(itemSchema)).default({}),
  stickyNotes: z.array(stickyNoteSchema).default([]),
});
export type MifyGraph = z.infer<typeof mifyGraphSchema>;
export type MifyGraphInput = z.input<typeof mifyGraphSchema>;
