/**
 * Requests to Cloudflare's REST API (`/client/v4/accounts/<account id>/…`) with an API token
 * credential. JSON responses come in Cloudflare's envelope `{ success, errors, messages,
 * result, result_info? }`; failures are turned into errors that name the operation, the
 * Cloudflare error codes and the fix.
 */
import type { HttpRequest, HttpResponse, NodeContext } from '@mify/sdk';
import { IoError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, fetchWithRetries, parseRetryAfterMs, type RetryPolicy } from '../lib/fetch.js';
import { integerParameter, optionalInteger, requiredString } from '../lib/parameters.js';
import { appendQuery, checkHttpUrl, redactUrl, type QueryPair } from '../lib/url.js';
import { CREDENTIAL_TYPES, readCredential } from '../http/auth.js';

/** Cloudflare's public API. */
export const DEFAULT_CLOUDFLARE_BASE_URL = 'https://api.cloudflare.com/client/v4';

const ACCOUNT_ID = /^[A-Za-z0-9]{1,64}$/;

/** An account and token from a `mify.io.cloudflare-api-token` credential. */
export interface CloudflareConnection {
  credential: string;
  accountId: string;
  apiToken: string;
  /** Base URL without a trailing slash, such as https://api.cloudflare.com/client/v4. */
  baseUrl: string;
}

/** Per-call settings of a Cloudflare node. */
export interface CloudflareCallOptions {
  retry: RetryPolicy;
  timeoutMs?: number;
}

/** One error entry of a Cloudflare envelope. */
interface CloudflareMessage {
  code?: number;
  message?: string;
}

/** A parsed Cloudflare envelope. */
export interface CloudflareEnvelope<T = unknown> {
  success: boolean;
  errors: CloudflareMessage[];
  messages: unknown[];
  result: T;
  result_info?: Record<string, unknown>;
}

/** A request relative to `/accounts/<account id>`. */
export interface CloudflareRequest {
  /** Operation for messages, such as `KV get of key 'a'`. */
  operation: string;
  /** Product permission the token needs, for messages, such as `Workers KV Storage Write`. */
  tokenPermission: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the account, starting with `/`, with every variable segment percent-encoded. */
  path: string;
  query?: QueryPair[];
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
  bodyBase64?: string;
  maxResponseBytes?: number;
}

/** Reads the Cloudflare connection from a credential reference. */
export async function resolveCloudflare(ctx: NodeContext, reference: string): Promise<CloudflareConnection> {
  const credential = await readCredential(ctx, reference);
  if (credential.type !== CREDENTIAL_TYPES.cloudflare) {
    throw new IoError('invalid_credential', `Credential '${reference}' has type '${credential.type}'; the Cloudflare nodes need type '${CREDENTIAL_TYPES.cloudflare}' with accountId and apiToken.`);
  }

  const { accountId, apiToken, baseUrl } = credential.data;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId.trim())) {
    throw new IoError('invalid_credential', `Credential '${reference}' needs accountId, the Cloudflare account id (letters and digits, shown in the dashboard's URL and overview page); got ${typeof accountId === 'string' ? JSON.stringify(accountId.slice(0, 70)) : 'none'}.`);
  }
  if (typeof apiToken !== 'string' || apiToken.trim() === '' || /[\r\n\0\s]/.test(apiToken.trim())) {
    throw new IoError('invalid_credential', `Credential '${reference}' needs apiToken, a Cloudflare API token without spaces; create one under My Profile > API Tokens.`);
  }
  let base = DEFAULT_CLOUDFLARE_BASE_URL;
  if (typeof baseUrl === 'string' && baseUrl.trim() !== '') {
    try {
      base = checkHttpUrl(baseUrl, 'baseUrl');
    } catch {
      throw new IoError('invalid_credential', `Credential '${reference}' has an invalid baseUrl ${JSON.stringify(baseUrl.slice(0, 200))}; use an http or https URL such as ${DEFAULT_CLOUDFLARE_BASE_URL}, or leave it empty.`);
    }
  }
  return { credential: reference, accountId: accountId.trim(), apiToken: apiToken.trim(), baseUrl: base.replace(/\/+$/, '') };
}

/** Reads the credential, retry and timeout parameters every Cloudflare node shares. */
export function readCallOptions(parameters: Record<string, unknown>): { credential: string; options: CloudflareCallOptions } {
  const options: CloudflareCallOptions = {
    retry: {
      ...DEFAULT_RETRY_POLICY,
      maxRetries: integerParameter(parameters, 'maxRetries', { min: 0, max: 10, fallback: DEFAULT_RETRY_POLICY.maxRetries }),
      initialDelayMs: integerParameter(parameters, 'retryDelayMs', { min: 0, max: 60_000, fallback: DEFAULT_RETRY_POLICY.initialDelayMs, unit: 'milliseconds' }),
    },
  };
  const timeoutMs = optionalInteger(parameters, 'timeoutMs', { min: 1, max: 600_000, unit: 'milliseconds' });
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  return { credential: requiredString(parameters, 'credential', 'the name of a Cloudflare API token credential'), options };
}

/** Percent-encodes one path segment, such as a KV key or an R2 object key (its `/` included). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** Sends a request and returns the raw response when it succeeded; failures are thrown. */
export async function cloudflareFetch(ctx: NodeContext, connection: CloudflareConnection, call: CloudflareRequest, options: CloudflareCallOptions): Promise<HttpResponse> {
  const url = appendQuery(`${connection.baseUrl}/accounts/${segment(connection.accountId)}${call.path}`, call.query ?? []);
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers, authorization: `Bearer ${connection.apiToken}` };
  const request: HttpRequest = { method: call.method, headers };
  if (call.json !== undefined) {
    request.body = JSON.stringify(call.json);
    headers['content-type'] ??= 'application/json';
  } else if (call.body !== undefined) {
    request.body = call.body;
  } else if (call.bodyBase64 !== undefined) {
    request.bodyBase64 = call.bodyBase64;
  }
  if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
  if (call.maxResponseBytes !== undefined) request.maxResponseBytes = call.maxResponseBytes;

  const { response, attempts } = await fetchWithRetries(ctx, url, request, options.retry, {
    subject: `Cloudflare ${call.operation}`,
    timeoutHint: 'Raise the node\'s timeoutMs (the kernel caps it at MIFY_HTTP_TIMEOUT_MS), or try again later.',
  });
  if (response.status >= 200 && response.status < 300) return response;
  throw cloudflareError(connection, call, url, response, attempts);
}

/** Sends a request whose response is a JSON envelope and returns the envelope of a success. */
export async function cloudflareCall<T = unknown>(ctx: NodeContext, connection: CloudflareConnection, call: CloudflareRequest, options: CloudflareCallOptions): Promise<CloudflareEnvelope<T>> {
  const response = await cloudflareFetch(ctx, connection, call, options);
  const envelope = parseEnvelope<T>(response);
  if (envelope === null) {
    throw new IoError('invalid_response', `Cloudflare ${call.operation} returned a body that is not Cloudflare's JSON envelope (HTTP ${response.status}): ${JSON.stringify(response.body.slice(0, 200))}. Check baseUrl in credential '${connection.credential}'.`);
  }
  if (!envelope.success) {
    throw new IoError('cloudflare_error', `Cloudflare ${call.operation} failed: ${describeErrors(envelope.errors)}.`, { status: response.status, codes: envelope.errors.map((error) => error.code ?? 0) });
  }
  return envelope;
}

function parseEnvelope<T>(response: HttpResponse): CloudflareEnvelope<T> | null {
  try {
    const value = JSON.parse(response.body) as Partial<CloudflareEnvelope<T>>;
    if (typeof value !== 'object' || value === null || typeof value.success !== 'boolean') return null;
    return { success: value.success, errors: Array.isArray(value.errors) ? value.errors : [], messages: Array.isArray(value.messages) ? value.messages : [], result: value.result as T, ...(value.result_info ? { result_info: value.result_info } : {}) };
  } catch {
    return null;
  }
}

function describeErrors(errors: CloudflareMessage[]): string {
  if (errors.length === 0) return 'no error details';
  return errors.map((error) => `code ${error.code ?? '?'}: ${String(error.message ?? '').slice(0, 300)}`).join('; ');
}

function cloudflareError(connection: CloudflareConnection, call: CloudflareRequest, url: string, response: HttpResponse, attempts: number): IoError {
  const envelope = parseEnvelope(response);
  const detail = `HTTP ${response.status}, ${envelope ? describeErrors(envelope.errors) : `body ${JSON.stringify(response.body.slice(0, 200))}`}`;
  const subject = `Cloudflare ${call.operation}`;
  const details = { status: response.status, attempts, codes: envelope?.errors.map((error) => error.code ?? 0) ?? [] };
  // Cloudflare rejects a missing or malformed token with 400 (codes 6003, 6111), an unknown one with 401 (code 10000) and a token without the permission with 403.
  const codes = new Set(details.codes);
  if (response.status === 401 || codes.has(10000) || codes.has(6003) || codes.has(6111) || codes.has(9106) || codes.has(9109)) {
    return new IoError('unauthorized', `${subject} was rejected: the API token of credential '${connection.credential}' is invalid or expired (${detail}). Create a token with the '${call.tokenPermission}' permission and store it in that credential.`, details);
  }
  if (response.status === 403) {
    return new IoError('forbidden', `${subject} was rejected for account '${connection.accountId}' (${detail}). Give the token of credential '${connection.credential}' the '${call.tokenPermission}' permission for this account.`, details);
  }
  if (response.status === 404) {
    return new IoError('not_found', `${subject} found nothing at ${redactUrl(url)} (${detail}). Check the names and ids in the node's parameters and the accountId in credential '${connection.credential}'.`, details);
  }
  if (response.status === 429) {
    const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
    return new IoError('rate_limited', `${subject} was rate limited after ${attempts} attempts (${detail}).${retryAfterMs === undefined ? '' : ` Cloudflare requests a wait of ${Math.ceil(retryAfterMs / 1000)} s.`} Send fewer requests or raise maxRetries.`, details);
  }
  if (response.status >= 500) return new IoError('cloudflare_error', `${subject} failed on Cloudflare's side after ${attempts} attempts (${detail}). Try again later.`, details);
  return new IoError('cloudflare_error', `${subject} was rejected (${detail}). Check the node's parameters.`, details);
}
