import { MifyError } from '../errors.js';
import type { Item } from '../graphs/model.js';
import type { RunService } from '../runtime/run-service.js';
import type { RunRecord } from '../runtime/run-store.js';
import { RESPOND_NODE_TYPE, RESPONSE_PORT, webhookResponseSchema } from './webhook-nodes.js';

/** Headers that a respond node may not set: framing headers of the HTTP server, and cookies on the kernel's origin. */
const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te', 'set-cookie']);
/**
 * Builds a JSON response with `new Response`. @hono/node-server swaps the global Response class
 * at start, and the route layer passes a handler's Response on only when it is an instance of that class.
 */
function jsonResponse(body: unknown, status: number, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** Statuses whose responses have no body in HTTP. */
const NO_BODY_STATUSES = new Set([204, 205, 304]);
/** Response header naming the run a webhook request started. */
export const RUN_ID_HEADER = 'x-mify-run-id';

/** Outcome of following a run for a waiting response mode. */
export type FollowOutcome = { kind: 'finished' } | { kind: 'responded'; stepId: string } | { kind: 'timeout' };

/**
 * Follows a run's events until it finishes, until a respond-to-webhook step has succeeded
 * (when `untilRespond`), or until `timeoutMs` have passed. Stopping the event stream at the
 * timeout leaves the run itself alone.
 */
export async function followRun(runService: RunService, input: { workspaceId: string; runId: string; untilRespond: boolean; timeoutMs: number }): Promise<FollowOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), input.timeoutMs);
  try {
    const events = await runService.events(input.workspaceId, input.runId, 0, controller.signal);
    if (events === null) return { kind: 'finished' };

    for await (const event of events) {
      const { data } = event;
      // A disabled or pinned respond node only passes its input on, so it describes no response.
      if (input.untilRespond && event.type === 'step.succeeded' && data.nodeType === RESPOND_NODE_TYPE && !data.disabled && !data.pinned) {
        return { kind: 'responded', stepId: String(data.stepId) };
      }
      if (event.type === 'run.finished') return { kind: 'finished' };
    }
    return { kind: 'timeout' };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Builds the 202 response: the run id and the routes that show the run, which need an API key of the workspace. */
export function acceptedResponse(run: Pick<RunRecord, 'id' | 'status'>, detail?: string): Response {
  const body = { runId: run.id, status: run.status, links: { run: `/api/runs/${run.id}`, events: `/api/runs/${run.id}/events` }, ...(detail ? { detail } : {}) };
  return jsonResponse(body, 202, { location: `/api/runs/${run.id}`, [RUN_ID_HEADER]: run.id });
}

/** Creates the error for a run that ended without succeeding. The run's error stays in the run record, which only workspace members can read. */
export function runFailedError(run: RunRecord): MifyError {
  const code = run.error?.code ?? 'unknown';
  return new MifyError('webhook_run_failed', 500, `Run ${run.id} of the webhook's graph ended with status '${run.status}' (error code ${code}). Members of the workspace can read the error at GET
 /api/runs/${run.id}.`, { runId: run.id, runStatus: run.status });
}

/**
 * Builds the response with the JSON of the run's output items, as an array.
 *
 * @throws MifyError `webhook_run_failed` (500) for a run that did not succeed, `webhook_output_truncated`
 * (500) when the run record contains only a trimmed preview of the output.
 */
export function lastNodeResponse(run: RunRecord): Response {
  if (run.status !== 'succeeded') throw runFailedError(run);

  const output = run.output as { items?: Item[]; truncated?: boolean } | null;
  if (output?.truncated) {
    throw new MifyError(
      'webhook_output_truncated',
      500,
      `Run ${run.id} succeeded, but its record keeps only a trimmed preview of the output, because the graph's rigor is experimental or the output is larger than MIFY_RUN_RECORD_MAX_BYTES. Set the graph's rigor to audited, or respond with a smaller body through a respond-to-webhook node.`,
      { runId: run.id },
    );
  }
  return jsonResponse((output?.items ?? []).map((item) => item.json), 200, { [RUN_ID_HEADER]: run.id });
}

/**
 * Sends the response a respond-to-webhook step described on its `response` port.
 *
 * @throws MifyError `webhook_response_truncated` or `webhook_invalid_response` (500) when the step
 * record contains no usable description.
 */
export function respondNodeResponse(run: RunRecord & { steps: Array<{ id: string; nodeName: string; output: unknown }> }, stepId: string): Response {
  const step = run.steps.find((candidate) => candidate.id === stepId);
  const output = step?.output as { ports?: Record<string, Item[]>; truncated?: boolean } | null | undefined;
  const invalid = (problem: string) => new MifyError('webhook_invalid_response', 500, `The respond-to-webhook step ${stepId} of run ${run.id} ${problem}`, { runId: run.id, stepId });

  if (!step || !output) throw invalid('has no recorded output; the run record may have failed to store it.');
  if (output.truncated) {
    throw new MifyError(
      'webhook_response_truncated',
      500,
      `The respond-to-webhook node '${step.nodeName}' of run ${run.id} ran, but its record keeps only a trimmed preview, because the response is larger than MIFY_RUN_RECORD_MAX_BYTES. Send a smaller body, or raise that limit.`,
      { runId: run.id, stepId },
    );
  }

  const item = output.ports?.[RESPONSE_PORT]?.[0];
  const parsed = webhookResponseSchema.safeParse(item?.json);
  if (!item || !parsed.success) throw invalid(`has no valid response description on its '${RESPONSE_PORT}' port; is the node a current mify.io.respond-to-webhook?`);
  const description = parsed.data;

  const headers = new Headers({ [RUN_ID_HEADER]: run.id });
  try {
    for (const [name, value] of Object.entries(description.headers)) {
      if (!DROPPED_RESPONSE_HEADERS.has(name.toLowerCase())) headers.set(name, value);
    }
  } catch (error) {
    throw invalid(`sets an invalid response header: ${(error as Error).message}.`);
  }

  if (NO_BODY_STATUSES.has(description.statusCode) || description.bodyType === 'empty') return new Response(null, { status: description.statusCode, headers });
  if (description.bodyType === 'json') {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8');
    return new Response(JSON.stringify(description.body ?? null), { status: description.statusCode, headers });
  }
  if (description.bodyType === 'text') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain; charset=utf-8');
    return new Response(typeof description.body === 'string' ? description.body : String(description.body ?? ''), { status: description.statusCode, headers });
  }

  const attachment = item.binary?.body;
  if (!attachment) throw invalid("describes a binary body but carries no binary attachment 'body'.");
  if (!headers.has('content-type')) headers.set('content-type', attachment.mimeType || 'application/octet-stream');
  return new Response(Buffer.from(attachment.data, 'base64'), { status: description.statusCode, headers });
}
