/**
 * How a published graph's endpoint is described: its input and output JSON Schemas, rate
 * limit and timeout, derived from the published definition and the graph's metadata settings.
 *
 * The metadata setting `endpoint` may hold `{ inputSchema, outputSchema, rateLimit: { limit,
 * windowSeconds }, timeoutMs, runSaving }`. Without `inputSchema`, the schema is the trigger node's
 * `inputSchema` parameter when it has one, else any object. Without `outputSchema`, it follows
 * the respond-to-webhook node's body mode, else an array of the output items' JSON.
 */
import { z } from 'zod';
import type { MifyGraph } from '../graphs/model.js';
import { RESPOND_NODE_TYPE, WEBHOOK_NODE_TYPE, webhookSettingsSchema } from '../webhooks/webhook-nodes.js';

/** Calls per window when the graph sets no rate limit. */
export const DEFAULT_ENDPOINT_RATE_LIMIT = 600;
/** Window of the default rate limit, in seconds. */
export const DEFAULT_ENDPOINT_WINDOW_SECONDS = 60;
/** Time a synchronous call waits for its run when the graph sets none, in milliseconds. */
export const DEFAULT_ENDPOINT_TIMEOUT_MS = 30_000;
export const MAX_ENDPOINT_TIMEOUT_MS = 120_000;

const jsonSchemaObject = z.record(z.string(), z.unknown());

/**
 * Modes in which synchronous calls run and keep their records. `durable` (the default): the run is
 * journaled step by step and survives a kernel stop. The others run directly in the
 * process that took the call, without a journal, and write the run's records in one
 * statement when it ends: `all` for every run, `failed` only for runs that did not
 * succeed, `none` never. Asynchronous and streamed calls are always durable.
 */
export const RUN_SAVING_MODES = ['durable', 'all', 'failed', 'none'] as const;
export type RunSaving = (typeof RUN_SAVING_MODES)[number];

/** The `endpoint` key of a graph's metadata settings. */
export const endpointSettingsSchema = z
  .object({
    inputSchema: jsonSchemaObject.optional(),
    outputSchema: jsonSchemaObject.optional(),
    rateLimit: z.object({ limit: z.number().int().min(1).max(1_000_000_000), windowSeconds: z.number().int().min(1).max(86_400) }).optional(),
    timeoutMs: z.number().int().min(100).max(MAX_ENDPOINT_TIMEOUT_MS).optional(),
    runSaving: z.enum(RUN_SAVING_MODES).optional(),
  })
  .strip();
export type EndpointSettings = z.output<typeof endpointSettingsSchema>;

/** What the endpoint needs from a published definition, computed once per version. */
export interface EndpointShape {
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  /** The webhook trigger's path and method, when the graph starts with a mify.io.webhook node. */
  webhook: { path: string; method: string } | null;
  /** Whether the graph has a respond-to-webhook node, whose response the call returns. */
  hasRespondNode: boolean;
}

/**
 * Reads the `endpoint` settings. A malformed value is reported by `problem` so the caller can
 * name the setting; the defaults then apply to nothing, because the call is refused.
 */
export function readEndpointSettings(settings: Record<string, unknown>): { settings: EndpointSettings; problem: string | null } {
  const raw = settings.endpoint;
  if (raw === undefined || raw === null) return { settings: {}, problem: null };
  const parsed = endpointSettingsSchema.safeParse(raw);
  if (parsed.success) return { settings: parsed.data, problem: null };
  const issues = parsed.error.issues.map((issue) => `endpoint.${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
  return { settings: {}, problem: issues };
}

function triggerNodes(graph: MifyGraph): MifyGraph['nodes'] {
  const targets = new Set(graph.edges.map((edge) => edge.to.node));
  return graph.nodes.filter((node) => !targets.has(node.id) && !node.disabled);
}

function respondOutputSchema(graph: MifyGraph): Record<string, unknown> | null {
  const respond = graph.nodes.find((node) => node.type === RESPOND_NODE_TYPE && !node.disabled);
  if (!respond) return null;
  const mode = respond.parameters.body ?? 'firstItemJson';
  if (mode === 'allItemsJson') return { type: 'array', items: { type: 'object' }, description: "Every item's JSON, as the respond-to-webhook node sends it" };
  if (mode === 'text') return { type: 'string', description: 'The text the respond-to-webhook node sends' };
  if (mode === 'noData') return { type: 'null', description: 'The respond-to-webhook node sends no body' };
  return { type: 'object', description: "The first item's JSON, as the respond-to-webhook node sends it" };
}

/** Derives the schemas and the trigger's webhook settings from a published definition. */
export function endpointShape(graph: MifyGraph, settings: EndpointSettings): EndpointShape {
  const triggers = triggerNodes(graph);
  const webhookNode = triggers.find((node) => node.type === WEBHOOK_NODE_TYPE);
  let webhook: EndpointShape['webhook'] = null;
  if (webhookNode) {
    const parsed = webhookSettingsSchema.safeParse(webhookNode.parameters);
    if (parsed.success) webhook = { path: parsed.data.path, method: parsed.data.methods.includes('POST') ? 'POST' : parsed.data.methods[0]! };
  }

  const triggerSchema = triggers.map((node) => node.parameters.inputSchema).find((value) => typeof value === 'object' && value !== null && !Array.isArray(value)) as Record<string, unknown> | undefined;
  const inputSchema = settings.inputSchema ?? triggerSchema ?? { type: 'object', description: webhook ? 'Sent to the graph as the body of a webhook request item' : "The JSON of the trigger's input item", additionalProperties: true };
  const respondSchema = respondOutputSchema(graph);
  const outputSchema = settings.outputSchema ?? respondSchema ?? { type: 'array', items: { type: 'object' }, description: "The JSON of the run's output items" };
  return { inputSchema, outputSchema, webhook, hasRespondNode: respondSchema !== null };
}
