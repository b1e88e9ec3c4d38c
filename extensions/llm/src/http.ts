/**
 * Vendor requests through the kernel's `http.fetch`, with vendor failures turned into
 * `LlmError`s that name the provider, the model and the fix.
 */
import type { ExtensionContext, HttpResponse } from '@mify/sdk';
import { LlmError, subject } from './errors.js';
import { EventStreamParser, type ServerSentEvent } from './sse.js';

/** A vendor request, with the provider, model and credential it is for, which messages name. */
export interface VendorCall {
  provider: string;
  model: string;
  /** Credential reference the key came from, or null when the provider needs none. */
  credential: string | null;
  url: string;
  headers: Record<string, string>;
  /** JSON body; ignored when `rawBody` is set. */
  body: unknown;
  /** A body that is not JSON, such as a multipart upload, as base64 with its content type. */
  rawBody?: { contentType: string; base64: string };
  timeoutMs?: number;
}

const MAX_VENDOR_MESSAGE_CHARS = 500;

/**
 * POSTs a JSON body (or `rawBody`) and returns the response. Statuses other than 2xx are thrown as
 * `LlmError`s. The body is returned as text, because streamed responses are not JSON.
 */
export async function postJson(ctx: ExtensionContext, call: VendorCall): Promise<HttpResponse> {
  let response: HttpResponse;
  try {
    const body = call.rawBody ? { bodyBase64: call.rawBody.base64 } : { body: JSON.stringify(call.body) };
    response = await ctx.host.http.fetch(call.url, {
      method: 'POST',
      headers: { 'content-type': call.rawBody?.contentType ?? 'application/json', accept: 'application/json, text/event-stream', ...call.headers },
      ...body,
      ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
    });
  } catch (error) {
    throw fetchFailure(call, error as Error & { code?: string });
  }

  if (response.status >= 200 && response.status < 300) return response;
  throw statusFailure(call, response);
}

/**
 * POSTs a JSON body to a server-sent-events API and hands each batch of events to
 * `onEvents` as the response arrives, one batch per piece of the body the kernel delivers.
 * Statuses other than 2xx are read whole and thrown as `LlmError`s. Returns the text of an
 * event the body ended inside, '' when it ended cleanly.
 */
export async function postEventStream(ctx: ExtensionContext, call: VendorCall, onEvents: (events: ServerSentEvent[]) => Promise<void>): Promise<{ unterminated: string }> {
  let response: HttpResponse;
  try {
    response = await ctx.host.http.fetch(call.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...call.headers },
      body: JSON.stringify(call.body),
      stream: true,
      ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
    });
  } catch (error) {
    throw fetchFailure(call, error as Error & { code?: string });
  }
  const streamId = response.streamId;
  if (streamId === undefined) throw new LlmError('unavailable', `${subject(call.provider, call.model)} could not be streamed: the kernel returned no stream id. Update the kernel, or set stream to false.`);

  const parser = new EventStreamParser();
  let errorBody = '';
  const ok = response.status >= 200 && response.status < 300;
  for (;;) {
    let chunk: { text: string; done: boolean };
    try {
      chunk = await ctx.host.http.read(streamId);
    } catch (error) {
      throw fetchFailure(call, error as Error & { code?: string });
    }
    if (!ok) errorBody += chunk.text;
    else {
      const events = parser.push(chunk.text);
      if (events.length > 0) await onEvents(events);
    }
    if (chunk.done) break;
  }

  if (!ok) throw statusFailure(call, { ...response, body: errorBody });
  return { unterminated: parser.unterminated() };
}

/** Parses a JSON response body, or throws `invalid_provider_response` naming the provider and model. */
export function parseJsonBody(call: Pick<VendorCall, 'provider' | 'model' | 'url'>, body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below with a preview of the body.
  }
  throw new LlmError(
    'invalid_provider_response',
    `${subject(call.provider, call.model)} returned a body that is not a JSON object: ${preview(body)}. Check that the base URL ${origin(call.url)} points at the vendor's API, not a web page or another proxy.`,
  );
}

function fetchFailure(call: VendorCall, error: Error & { code?: string }): LlmError {
  const label = subject(call.provider, call.model);
  if (error.code === 'timeout') {
    return new LlmError('timeout', `${label} timed out: ${error.message} Ask for fewer output tokens (maxTokens), or raise timeoutMs in the node's parameters.`);
  }
  if (error.code === 'response_too_large') {
    return new LlmError('invalid_provider_response', `${label} sent more than the kernel accepts: ${error.message} Ask for fewer output tokens (maxTokens), or ask the operator to raise MIFY_HTTP_MAX_RESPONSE_BYTES.`);
  }
  if (error.code === 'address_blocked') {
    return new LlmError('unavailable', `${label} cannot be reached at ${origin(call.url)}: ${error.message}`);
  }
  if (error.code === 'permission_denied') {
    return new LlmError('permission_denied', `${label} cannot be reached at ${origin(call.url)}: ${error.message}`);
  }
  return new LlmError('unavailable', `${label} could not be reached at ${origin(call.url)}: ${error.message} Check the base URL in the credential and that the server is running.`);
}

function statusFailure(call: VendorCall, response: HttpResponse): LlmError {
  const label = subject(call.provider, call.model);
  const vendorMessage = extractVendorMessage(response.body);
  const detail = `HTTP ${response.status}${vendorMessage ? `: ${vendorMessage}` : ''}`;
  const credential = call.credential === null ? 'no credential' : `credential '${call.credential}'`;

  // The Gemini API rejects a bad key with 400 and reason API_KEY_INVALID instead of 401.
  const keyRejected = response.status === 400 && /API_KEY_INVALID|API key not valid/i.test(response.body);
  if (response.status === 401 || keyRejected) {
    return new LlmError('unauthorized', `${label} rejected the API key from ${credential} (${detail}). Check the key in that credential, or create a new key in the vendor's console.`);
  }
  if (response.status === 403) {
    return new LlmError('permission_denied', `${label} was denied access with the API key from ${credential} (${detail}). Check that the key's project or plan may use this model.`);
  }
  if (response.status === 404) {
    return new LlmError('not_found', `${label} was not found at ${origin(call.url)} (${detail}). Check the model name against the vendor's model list, and the base URL in the credential.`);
  }
  if (response.status === 429) {
    const retryAfterSeconds = parseRetryAfter(response.headers['retry-after']);
    const wait = retryAfterSeconds === undefined ? 'Wait before retrying' : `Retry after ${retryAfterSeconds} s`;
    return new LlmError('rate_limited', `${label} is rate limited (${detail}). ${wait}, set retries on the node, or raise the limits of the key's plan.`, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
  if (response.status >= 500) {
    return new LlmError('unavailable', `${label} failed on the vendor's side (${detail}). Try again later, or switch to another provider or model.`);
  }
  return new LlmError('invalid_argument', `${label} rejected the request (${detail}). Check the node's parameters, such as maxTokens, tools and the response schema, against what this model supports.`);
}

/** Reads `error.message` (OpenAI, Anthropic, Gemini and most compatible servers), or a preview of the body. */
export function extractVendorMessage(body: string): string {
  try {
    const value = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = value.error;
    if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return clip((error as { message: string }).message);
    if (typeof error === 'string') return clip(error);
    if (typeof value.message === 'string') return clip(value.message);
    if (typeof value.detail === 'string') return clip(value.detail);
  } catch {
    // Not JSON: fall back to the text itself.
  }
  return body.trim() === '' ? '' : preview(body);
}

/** Parses `retry-after` as seconds or an HTTP date; returns whole seconds, or undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));

  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function clip(text: string): string {
  return text.length > MAX_VENDOR_MESSAGE_CHARS ? `${text.slice(0, MAX_VENDOR_MESSAGE_CHARS)}…` : text;
}

function preview(body: string): string {
  const text = body.trim() === '' ? '(empty body)' : JSON.stringify(clip(body.trim()));
  return text;
}

/** Returns scheme, host and port of a URL, so messages never show query strings that may contain keys. */
export function origin(url: string): string {
  const match = /^(https?:\/\/[^/?#]+)/i.exec(url);
  return match ? match[1]! : '(invalid URL)';
}
