import { ExtensionError, normalizeNodeOutput } from '@mify/sdk';
import type { ExtensionHost } from '../extensions/host.js';
import type { Item } from '../graphs/model.js';
import { type OutputJson, takeOutputJson } from '../extensions/runtime/output-json.js';
import { StepError } from './executor/errors.js';
import type { WaitRequest } from './executor/context.js';
import { rememberItemsJson, rememberItemsJsonSize } from './executor/step-input.js';
import type { NodeRunner, NodeRunRequest, NodeRunResult, NodeTypeInfo, PortItems, StepUsage } from './types.js';

/** Top-level output fields that are not ports, unless the node declares an output port of that name. */
const USAGE_FIELD = 'usage';
const STATE_FIELD = 'state';
const WAIT_FIELD = 'wait';
const WAIT_KINDS = new Set(['approval', 'timer', 'resume']);
const USAGE_KEYS = new Set(['tokens', 'inputTokens', 'outputTokens', 'costUsd']);

/**
 * Runs nodes in their extension's sandbox through `ExtensionHost.invoke`.
 *
 * The node's `execute(ctx, input)` receives as `input`:
 * - `items`, `ports`: the items on the first input port, and the items of every input port;
 * - `parameters`: resolved for the first item; `itemParameters`: resolved per item, present
 *   only when the parameters hold expressions;
 * - loop nodes only: `state`, what the node returned as `state` at its previous activation
 *   (absent at the first activation after the loop is entered), and `iteration` (from 1);
 * - `node`: `{ id, name, type, typeVersion, parameters }`;
 * - `run`: `{ id, workspaceId, stepId, idempotencyKey, attempt }`; `idempotencyKey` stays the
 *   same for every attempt of one activation.
 *
 * It returns `{ items }` for the first output port or items keyed by output port, and may
 * add `usage` (`{ tokens?, inputTokens?, outputTokens?, costUsd? }`, summed into the run), for
 * loop nodes `state`, and for wait nodes `wait` instead of items: `{ kind: 'timer', until }`,
 * `{ kind: 'approval', title?, instructions?, items?, allowEdit?, form?, until? }` or
 * `{ kind: 'resume', until? }`. The run then waits, and the node is called again with
 * `resume`: `{ waitId, kind, outcome, items?, form?, comment, decidedBy, decidedAt }`.
 */
export class ExtensionNodeRunner implements NodeRunner {
  constructor(private readonly host: Pick<ExtensionHost, 'invoke'>) {}

  async execute(request: NodeRunRequest): Promise<NodeRunResult> {
    const { node, type, step } = request;
    if (step.signal.aborted) throw step.signal.reason;

    const input: Record<string, unknown> = {
      items: request.input.items,
      ports: request.input.ports,
      parameters: request.parameters,
      node: { id: node.id, name: node.name, type: node.type, typeVersion: node.typeVersion, parameters: request.parameters },
      run: { id: step.runId, workspaceId: step.workspaceId, stepId: step.stepId, idempotencyKey: step.idempotencyKey, attempt: step.attempt },
    };
    if (request.itemParameters) input.itemParameters = request.itemParameters;
    if (request.loop) {
      if (request.loop.state !== undefined) input.state = request.loop.state;
      input.iteration = request.loop.iteration;
    }
    if (request.resume) input.resume = request.resume;

    // NOTE: ExtensionHost.invoke takes no AbortSignal, so a timed-out or cancelled call keeps
    // its isolate busy until the sandbox's own CPU and wall-clock limits end it. The executor
    // has already moved on by then and discards the late result.
    const output = await this.host.invoke(type.extensionId, { kind: 'node', name: node.type, input }, { workspaceId: step.workspaceId, runId: step.runId, nodeId: node.id, stepId: step.stepId, ...(step.progress ? { progress: step.progress } : {}) });
    const json = takeOutputJson(output);
    const result = normalizeRunOutput(output, type.outputs, node.name, type.control);
    if (json !== undefined) rememberSoleOutputJson(output as Record<string, unknown>, result.ports, json, step.audited === true);
    return result;
  }
}

/**
 * Hands the JSON of a sandboxed node's output to the executor when the node returned items on
 * one output port only. The executor then measures the items without walking them, and an
 * audited run hashes them without serialising them again. When the output is just that port's
 * array, written by `JSON.stringify`, the array's own text is cut out of it. Otherwise the
 * whole output's length is recorded as a size bound. With items on several ports the text
 * cannot be divided among them, and the executor measures each array itself.
 */
function rememberSoleOutputJson(output: Record<string, unknown>, ports: PortItems, { json, stringified }: OutputJson, audited: boolean): void {
  let sole: Item[] | undefined;
  for (const port of Object.keys(ports)) {
    const items = ports[port]!;
    if (items.length === 0) continue;
    if (sole !== undefined) return;
    sole = items;
  }
  if (sole === undefined) return;

  const keys = Object.keys(output);
  if (stringified && keys.length === 1 && output[keys[0]!] === sole) {
    // JSON.stringify writes an object of one key as {"key":value}, with no spaces.
    const prefix = `{${JSON.stringify(keys[0])}:`;
    if (json.startsWith(prefix) && json.endsWith('}')) {
      // Only an audited run hashes the text, so other runs keep only its length.
      if (audited) rememberItemsJson(sole, json.slice(prefix.length, -1));
      else rememberItemsJsonSize(sole, json.length - prefix.length - 1);
      return;
    }
  }
  rememberItemsJsonSize(sole, json.length);
}

/**
 * Splits a node's output into ports, usage and loop state.
 *
 * @throws StepError `invalid_node_output` for an undeclared port, an item without a `json` object, or malformed usage.
 */
export function normalizeRunOutput(output: unknown, outputPorts: string[], nodeName: string, control: NodeTypeInfo['control']): NodeRunResult {
  const invalid = (message: string) => new StepError('invalid_node_output', `node '${nodeName}' returned invalid output: ${message}`, { retryable: false });
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    throw invalid(`expected { items } or items keyed by output port, got ${output === null ? 'null' : Array.isArray(output) ? 'an array' : typeof output}`);
  }

  const fields = { ...(output as Record<string, unknown>) };
  let usage: StepUsage | undefined;
  let state: unknown;
  if (Object.hasOwn(fields, USAGE_FIELD) && !outputPorts.includes(USAGE_FIELD)) {
    usage = parseUsage(fields[USAGE_FIELD], invalid);
    delete fields[USAGE_FIELD];
  }
  if (control === 'loop' && Object.hasOwn(fields, STATE_FIELD) && !outputPorts.includes(STATE_FIELD)) {
    state = fields[STATE_FIELD];
    delete fields[STATE_FIELD];
  }
  if (control === 'wait' && Object.hasOwn(fields, WAIT_FIELD) && !outputPorts.includes(WAIT_FIELD)) {
    const wait = parseWait(fields[WAIT_FIELD], invalid);
    return usage === undefined ? { ports: {}, wait } : { ports: {}, wait, usage };
  }

  let ports: NodeRunResult['ports'];
  try {
    ports = normalizeNodeOutput(fields, outputPorts);
  } catch (error) {
    if (error instanceof ExtensionError) throw invalid(error.message);
    throw error;
  }

  const result: NodeRunResult = { ports };
  if (usage !== undefined) result.usage = usage;
  if (state !== undefined) result.state = state;
  return result;
}

function parseUsage(value: unknown, invalid: (message: string) => StepError): StepUsage | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('usage must be an object such as { tokens: 120, costUsd: 0.002 }');

  const usage: StepUsage = {};
  for (const [key, amount] of Object.entries(value)) {
    if (!USAGE_KEYS.has(key)) continue;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) throw invalid(`usage.${key} must be a number of at least 0, got ${JSON.stringify(amount)}`);
    usage[key as keyof StepUsage] = amount;
  }
  return usage;
}

function parseWait(value: unknown, invalid: (message: string) => StepError): WaitRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('wait must be an object such as { kind: "timer", until: "2030-01-01T00:00:00Z" }');
  const wait = value as Record<string, unknown>;
  if (typeof wait.kind !== 'string' || !WAIT_KINDS.has(wait.kind)) throw invalid(`wait.kind must be "approval", "timer" or "resume", got ${JSON.stringify(wait.kind)}`);
  if (wait.until !== undefined && (typeof wait.until !== 'string' || Number.isNaN(Date.parse(wait.until)))) {
    throw invalid(`wait.until must be an ISO 8601 date-time such as 2030-01-01T00:00:00Z, got ${JSON.stringify(wait.until)}`);
  }
  if (wait.kind === 'timer' && wait.until === undefined) throw invalid('a timer wait needs until, the ISO 8601 date-time at which the run continues');
  if (wait.items !== undefined) {
    try {
      normalizeNodeOutput({ items: wait.items }, ['main']);
    } catch (error) {
      throw invalid(`wait.items must be an array of items such as [{ json: { id: 1 } }]: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const field of ['title', 'instructions'] as const) {
    if (wait[field] !== undefined && typeof wait[field] !== 'string') throw invalid(`wait.${field} must be a string`);
  }
  if (wait.form !== undefined && (typeof wait.form !== 'object' || wait.form === null || Array.isArray(wait.form))) throw invalid('wait.form must be a JSON Schema object');
  return wait as unknown as WaitRequest;
}
