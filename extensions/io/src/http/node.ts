/**
 * The HTTP request node (`mify.io.http-request`): one request per input item, or several
 * with pagination, through the kernel's `http.fetch`. Its permission checks and address
 * guard apply to every request, including redirects and next-page URLs.
 */
import type { HttpRequest, HttpResponse, Item, NodeContext } from '@mify/sdk';
import { IoError, invalidParameter } from '../errors.js';
import { fetchWithRetries, parseRetryAfterMs, type RetryPolicy } from '../lib/fetch.js';
import {
  booleanParameter,
  enumParameter,
  integerParameter,
  mapItemsConcurrently,
  optionalInteger,
  optionalObject,
  optionalString,
  parametersFor,
  requiredString,
  type IoNodeInput,
} from '../lib/parameters.js';
import { appendQuery, checkHttpUrl, redactUrl, type QueryPair } from '../lib/url.js';
import { applyCredential, readCredential, type AppliedAuth } from './auth.js';
import { BODY_TYPES, buildBody } from './body.js';
import { firstPageQuery, nextPage, readPagination, type PaginationSettings } from './pagination.js';
import { bodyItems, decodeBody, fullItem, pageRecords, RESPONSE_FORMATS, type DecodedBody, type ResponseFormat } from './response.js';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Largest `timeoutMs` of one request; the kernel caps it further at MIFY_HTTP_TIMEOUT_MS. */
export const MAX_TIMEOUT_MS = 600_000;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_PREVIEW_CHARS = 300;

/** Everything one item's request needs, read from its parameters. */
interface RequestPlan {
  method: (typeof METHODS)[number];
  url: string;
  query: QueryPair[];
  headers: Record<string, string>;
  request: Pick<HttpRequest, 'body' | 'bodyBase64' | 'timeoutMs' | 'followRedirects' | 'maxResponseBytes'>;
  credential: string | undefined;
  responseFormat: ResponseFormat;
  output: 'full' | 'body';
  itemsPath: string | undefined;
  binaryProperty: string;
  neverError: boolean;
  retry: RetryPolicy;
  pagination: PaginationSettings;
}

function readQuery(parameters: Record<string, unknown>): QueryPair[] {
  const query = optionalObject(parameters, 'query') ?? {};
  const pairs: QueryPair[] = [];
  for (const [name, value] of Object.entries(query)) {
    for (const entry of Array.isArray(value) ? value : [value]) {
      if (entry === undefined || entry === null) continue;
      if (typeof entry === 'object') throw invalidParameter(`Query parameter '${name}' must be a string, number, boolean or an array of them, got an object; write it as JSON text with an expression if the API expects that.`);
      pairs.push([name, String(entry)]);
    }
  }
  return pairs;
}

function readHeaders(parameters: Record<string, unknown>): Record<string, string> {
  const headers = optionalObject(parameters, 'headers') ?? {};
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw invalidParameter(`Header name ${JSON.stringify(name)} is not a valid HTTP header name; use letters, digits and -, such as X-Request-Id.`);
    if (value === undefined || value === null) continue;
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (/[\r\n\0]/.test(text)) throw invalidParameter(`Header '${name}' contains a line break or NUL; header values must be one line.`);
    result[name.toLowerCase()] = text;
  }
  return result;
}

function planRequest(parameters: Record<string, unknown>, item: Item, randomBoundary: () => string): RequestPlan {
  const method = enumParameter(parameters, 'method', METHODS, 'GET');
  const url = checkHttpUrl(requiredString(parameters, 'url', 'https://api.example.com/items'), 'url');
  const headers = readHeaders(parameters);
  const bodyType = enumParameter(parameters, 'bodyType', BODY_TYPES, 'none');
  const body = buildBody(bodyType, parameters, item, randomBoundary);
  if (body.contentType !== undefined && headers['content-type'] === undefined) headers['content-type'] = body.contentType;

  const timeoutMs = optionalInteger(parameters, 'timeoutMs', { min: 1, max: MAX_TIMEOUT_MS, unit: 'milliseconds' });
  const maxResponseBytes = optionalInteger(parameters, 'maxResponseBytes', { min: 1, max: 1024 * 1024 * 1024, unit: 'bytes' });
  const request: RequestPlan['request'] = { followRedirects: booleanParameter(parameters, 'followRedirects', true) };
  if (body.body !== undefined) request.body = body.body;
  if (body.bodyBase64 !== undefined) request.bodyBase64 = body.bodyBase64;
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  if (maxResponseBytes !== undefined) request.maxResponseBytes = maxResponseBytes;

  return {
    method,
    url,
    query: readQuery(parameters),
    headers,
    request,
    credential: optionalString(parameters, 'credential'),
    responseFormat: enumParameter(parameters, 'responseFormat', RESPONSE_FORMATS, 'auto'),
    output: enumParameter(parameters, 'output', ['full', 'body'] as const, 'full'),
    itemsPath: optionalString(parameters, 'itemsPath'),
    binaryProperty: optionalString(parameters, 'binaryProperty') ?? 'data',
    neverError: booleanParameter(parameters, 'neverError', false),
    retry: {
      maxRetries: integerParameter(parameters, 'maxRetries', { min: 0, max: 10, fallback: 3 }),
      initialDelayMs: integerParameter(parameters, 'retryDelayMs', { min: 0, max: 60_000, fallback: 1_000, unit: 'milliseconds' }),
      maxDelayMs: integerParameter(parameters, 'maxRetryDelayMs', { min: 0, max: 60_000, fallback: 30_000, unit: 'milliseconds' }),
      retryNetworkErrors: booleanParameter(parameters, 'retryOnNetworkError', true),
    },
    pagination: readPagination(parameters),
  };
}

/** Builds the URL of a page: the original URL with its query, where pagination values replace the user's. */
function pageUrl(plan: RequestPlan, paginationQuery: Record<string, string>, auth: AppliedAuth): string {
  const pairs = plan.query.filter(([name]) => !(name in paginationQuery));
  for (const [name, value] of Object.entries(paginationQuery)) pairs.push([name, value]);
  return appendQuery(plan.url, [...pairs, ...auth.query]);
}

/** Adds the credential's query parameters to a next-page URL from the server, unless it already has them. */
function withAuthQuery(url: string, auth: AppliedAuth): string {
  const missing = auth.query.filter(([name]) => !new RegExp(`[?&]${encodeURIComponent(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=`).test(url));
  return appendQuery(url, missing);
}

function messageOf(response: HttpResponse): string {
  const text = response.body.trim();
  if (text === '') return '';
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const error = parsed.error as Record<string, unknown> | string | undefined;
    let candidate: string | undefined;
    if (typeof error === 'string') candidate = error;
    else if (typeof error?.message === 'string') candidate = error.message;
    else if (typeof parsed.message === 'string') candidate = parsed.message;
    else if (typeof parsed.detail === 'string') candidate = parsed.detail;
    if (candidate !== undefined) return candidate.slice(0, MAX_PREVIEW_CHARS);
  } catch {
    // Not JSON: the text itself is the message.
  }
  return JSON.stringify(text.slice(0, MAX_PREVIEW_CHARS));
}

/** Creates the error of a non-2xx response, with the status, the server's message and the fix. */
function statusError(plan: RequestPlan, url: string, response: HttpResponse, attempts: number): IoError {
  const target = `${plan.method} ${redactUrl(url)}`;
  const serverMessage = messageOf(response);
  const detail = `HTTP ${response.status}${serverMessage ? `: ${serverMessage}` : ''}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const credential = plan.credential === undefined ? `The request has no credential; set the node's 'credential' parameter` : `Check credential '${plan.credential}'`;
  const details = { status: response.status, attempts };

  if (response.status === 401) return new IoError('unauthorized', `${target} was rejected as unauthenticated (${detail}). ${credential}.`, details);
  if (response.status === 403) return new IoError('forbidden', `${target} was rejected (${detail}). ${credential} and the permissions of its key.`, details);
  if (response.status === 404) return new IoError('not_found', `${target} was not found (${detail}). Check the URL and its path parameters.`, details);
  if (response.status === 429) {
    const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
    const wait = retryAfterMs === undefined ? '' : ` The server requests a wait of ${Math.ceil(retryAfterMs / 1000)} s, longer than maxRetryDelayMs allows, or the retries ran out.`;
    return new IoError('rate_limited', `${target} was rate limited${tries} (${detail}).${wait} Raise maxRetries or maxRetryDelayMs, or send fewer requests.`, details);
  }
  if (response.status >= 500) return new IoError('http_error', `${target} failed on the server${tries} (${detail}). Try again later, or raise maxRetries.`, details);
  return new IoError('http_error', `${target} was rejected (${detail}). Check the request's parameters, headers and body against the API's documentation, or set neverError to output the response instead.`, details);
}

function isSuccess(status: number, followRedirects: boolean | undefined): boolean {
  return (status >= 200 && status < 300) || (followRedirects === false && status >= 300 && status < 400);
}

/** Decodes the body of a failed response for neverError output, keeping undecodable JSON as text. */
function decodeLeniently(response: HttpResponse, plan: RequestPlan, url: string): DecodedBody {
  try {
    return decodeBody(response, plan.responseFormat, url);
  } catch {
    return { kind: 'text', value: response.body };
  }
}

/** Runs the requests of one input item and returns its output items. */
async function executeItem(ctx: NodeContext, plan: RequestPlan): Promise<Item[]> {
  let auth: AppliedAuth = { headers: {}, query: [] };
  if (plan.credential !== undefined) auth = applyCredential(plan.credential, await readCredential(ctx, plan.credential));

  const { pagination } = plan;
  const paginated = pagination.mode !== 'none';
  const output: Item[] = [];
  const seenUrls = new Set<string>();
  let paginationQuery = firstPageQuery(pagination);
  let url = pageUrl(plan, paginationQuery, auth);

  for (let pageIndex = 0; ; pageIndex++) {
    seenUrls.add(url);
    const request: HttpRequest = { ...plan.request, method: plan.method, headers: { ...plan.headers, ...auth.headers } };
    if (pageIndex > 0 && pagination.pageDelayMs > 0) request.delayMs = pagination.pageDelayMs;

    const { response, attempts } = await fetchWithRetries(ctx, url, request, plan.retry, {
      subject: `HTTP ${plan.method}`,
      timeoutHint: 'Raise timeoutMs (the kernel caps it at MIFY_HTTP_TIMEOUT_MS), or request less data.',
    });
    const succeeded = isSuccess(response.status, plan.request.followRedirects);
    if (!succeeded && !plan.neverError) throw statusError(plan, url, response, attempts);

    const body = succeeded ? decodeBody(response, plan.responseFormat, url) : decodeLeniently(response, plan, url);
    const extra: Record<string, unknown> = { url: redactUrl((response as HttpResponse & { url?: string }).url ?? url), attempts };
    if (paginated) extra.page = pageIndex + 1;
    if (plan.output === 'full' || !succeeded) output.push(fullItem(response, body, extra, plan.binaryProperty));
    else output.push(...bodyItems(body, plan.itemsPath, plan.binaryProperty));
    if (!succeeded) return output;

    const next = nextPage(pagination, { response, body, url, pageIndex, records: pageRecords(body, plan.itemsPath), query: paginationQuery });
    if (next === null) return output;
    if (pageIndex + 1 >= pagination.maxPages) {
      ctx.log.warn('pagination stopped at maxPages; more pages remain', { maxPages: pagination.maxPages, url: redactUrl(url) });
      return output;
    }

    if ('url' in next) {
      url = withAuthQuery(checkHttpUrl(next.url, 'next page URL'), auth);
    } else {
      paginationQuery = next.query;
      url = pageUrl(plan, paginationQuery, auth);
    }
    if (seenUrls.has(url)) {
      ctx.log.warn('pagination stopped: the next page URL repeats an earlier one', { url: redactUrl(url) });
      return output;
    }
  }
}

/** Random text for multipart boundaries. */
function randomBoundary(): string {
  return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

/** Runs the HTTP request node over its input items. */
export async function executeHttpRequest(ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  const concurrency = integerParameter(input.parameters ?? {}, 'concurrency', { min: 1, max: 16, fallback: 1 });
  // A node with no input items (the first node of a run without input) sends one request.
  const items = input.items.length === 0 ? [{ json: {} }] : input.items;
  const perItem = await mapItemsConcurrently(items, concurrency, (item, index) => executeItem(ctx, planRequest(parametersFor(input, index), item, randomBoundary)));
  return { items: perItem.flat() };
}
