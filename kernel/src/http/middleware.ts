import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { parse as parseCookies } from 'hono/utils/cookie';
import type { ApiKeyService } from '../auth/api-keys.js';
import type { Principal } from '../auth/identity.js';
import type { SessionService } from '../auth/sessions.js';
import { RateLimitedError, UnauthorizedError } from '../errors.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { CorsPolicy } from './cors.js';
import { finishResponse, requestHeader, requestLog, RequestState, type AppEnv } from './request-context.js';

export const SESSION_COOKIE = 'mify_session';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const BEARER_PATTERN = /^Bearer\s+(\S+)$/i;
/** Window of both rate limits, in milliseconds. */
const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RequestPipelineOptions {
  logger: Logger;
  /** Takes the client address from X-Forwarded-For (MIFY_TRUST_PROXY). */
  trustProxy: boolean;
  apiKeys: ApiKeyService;
  sessions: SessionService;
  sharedState: SharedState;
  /** Requests per minute per client address, for requests without an API key. */
  perIpPerMinute: number;
  /** Requests per minute per API key. */
  perKeyPerMinute: number;
  /** Null when CORS is off. */
  cors: CorsPolicy | null;
  /** Body-limit middleware. GET and HEAD requests skip it, because checking it makes the Node adapter build a full Fetch `Request`. */
  limitBody: MiddlewareHandler<AppEnv>;
  /** The app's error handler, which turns an error into a problem response. */
  handleError: (error: Error, c: Context<AppEnv>) => Response | Promise<Response>;
  /** A promise to wait for before an API request of `path` is handled, or null to go on at once. */
  untilReady?: (path: string) => Promise<void> | null;
}

/** Handler that a request pipeline runs after its checks. */
export type PipelineHandler = (c: Context<AppEnv>) => Response | Promise<Response>;

/** Runs a handler inside the checks that every request shares. See `createRequestPipeline`. */
export type RequestPipeline = (c: Context<AppEnv>, handler: PipelineHandler) => Promise<Response>;

/**
 * Creates the pipeline that every route handler runs in. Routes are registered wrapped in it
 * rather than behind a Hono middleware, because a route that is the only match for its path
 * then skips Hono's middleware composition, which costs every request several promises. The
 * pipeline:
 *
 * 1. Assigns a request id (kept from X-Request-Id when well-formed) and starts the record of
 *    headers that every response carries (see `finishResponse`).
 * 2. Under /api: CORS (responding to preflight requests itself), the wait while a starting
 *    kernel loads its extensions (`untilReady`), the body limit, authentication, then the rate
 *    limit.
 * 3. Runs the handler. An error thrown by the checks or the handler goes to `handleError`.
 * 4. Copies the shared headers onto a response that was not built with `finishResponse`, such
 *    as an event stream, and writes an access log line (debug level, or error for a 5xx).
 *
 * Authentication reads `Authorization: Bearer <API key>` or the session cookie. A presented key
 * that is unknown or revoked is rejected with 401, so a wrong key never silently falls back to
 * anonymous access.
 *
 * Rate limits use a sliding window of one minute (see `RateLimiter.hit`): per API key for
 * requests that carry one, otherwise per client address. Every response reports the state in
 * RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds), and a rejected request
 * gets 429 with Retry-After.
 */
export function createRequestPipeline(options: RequestPipelineOptions): RequestPipeline {
  const { logger } = options;

  return async (c, handler) => {
    const incomingId = requestHeader(c, 'x-request-id');
    const requestId = incomingId !== undefined && REQUEST_ID_PATTERN.test(incomingId) ? incomingId : randomUUID();
    const state = new RequestState(requestId, clientAddress(c, options.trustProxy), { 'x-request-id': requestId }, logger);
    c.set('request', state);
    const started = performance.now();

    let response: Response;
    try {
      response = await checkThenHandle(c, handler, options);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      response = await options.handleError(error, c);
    }

    if (response !== state.responseWithHeaders) copyHeaders(state.responseHeaders, response.headers);

    const status = response.status;
    if (status >= 500 || logger.isLevelEnabled('debug')) {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      requestLog(c)[status >= 500 ? 'error' : 'debug']({ method: c.req.method, path: c.req.path, status, durationMs }, 'request');
    }
    return response;
  };
}

/** Runs the checks that apply to the request, then the handler. Throws what either throws. */
async function checkThenHandle(c: Context<AppEnv>, handler: PipelineHandler, options: RequestPipelineOptions): Promise<Response> {
  if (!isApiPath(c.req.path)) return handler(c);

  const method = c.req.method;
  const headers = c.get('request').responseHeaders;
  if (options.cors && method === 'OPTIONS') {
    options.cors.addPreflightHeaders(requestHeader(c, 'origin'), headers);
    return finishResponse(c, null, { status: 204 });
  }
  options.cors?.addHeaders(requestHeader(c, 'origin'), headers);
  const ready = options.untilReady?.(c.req.path);
  if (ready) await ready;

  if (method === 'GET' || method === 'HEAD') {
    await authenticateAndLimit(c, options);
    return handler(c);
  }

  // The body-limit middleware reads the body first and responds with 413 itself when it is too
  // large. Otherwise it calls `next`, whose errors reach the pipeline's error handler.
  let response: Response | undefined;
  const limited = await options.limitBody(c, async () => {
    await authenticateAndLimit(c, options);
    response = await handler(c);
  });
  if (limited instanceof Response) return limited;
  if (!response) throw new Error(`The body-limit middleware neither responded nor called the route for ${method} ${c.req.path}.`);
  return response;
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/** Authenticates the request, then counts it against its rate limit. */
async function authenticateAndLimit(c: Context<AppEnv>, options: RequestPipelineOptions): Promise<void> {
  const authenticating = authenticate(c, options);
  if (authenticating) await authenticating;

  const state = c.get('request');
  const principal = state.apiKeyPrincipal;
  const limit = principal ? options.perKeyPerMinute : options.perIpPerMinute;
  const result = await options.sharedState.rateLimiter.hit(principal ? apiKeyBucket(principal) : `rl:ip:${state.clientIp}`, limit, RATE_LIMIT_WINDOW_MS);

  const headers = state.responseHeaders;
  headers['ratelimit-limit'] = String(result.limit);
  headers['ratelimit-remaining'] = String(Math.max(0, result.remaining));
  headers['ratelimit-reset'] = String(Math.ceil(result.resetMs / 1000));
  if (!result.allowed) {
    const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    const caller = principal ? 'this API key' : 'your address';
    throw new RateLimitedError(`Rate limit of ${limit} requests per minute for ${caller} exceeded; retry after ${retryAfterSeconds} s.`, retryAfterSeconds);
  }
}

/**
 * Rate-limit bucket names of API keys, kept per principal object. The key cache hands out the
 * same principal for 30 s, so the limiter's map finds an already-hashed string instead of a
 * new one built on every request.
 */
const apiKeyBuckets = new WeakMap<Principal, string>();

function apiKeyBucket(principal: Principal): string {
  let bucket = apiKeyBuckets.get(principal);
  if (bucket === undefined) {
    bucket = `rl:key:${principal.apiKeyId}`;
    apiKeyBuckets.set(principal, bucket);
  }
  return bucket;
}

/** Copies the shared headers onto a response that was not built with them, keeping its own body headers. */
function copyHeaders(from: Record<string, string>, to: Headers): void {
  for (const name in from) {
    if (name === 'content-type' || name === 'content-length') continue;
    if (name !== 'vary') to.set(name, from[name]!);
    else if (!to.get('vary')?.includes(from[name]!)) to.append(name, from[name]!);
  }
}

function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = requestHeader(c, 'x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Sets the request's API key principal or session user. Returns a promise only when it has to
 * wait for the database, so a request with a cached key does not wait for a microtask.
 */
function authenticate(c: Context<AppEnv>, deps: { apiKeys: ApiKeyService; sessions: SessionService }): Promise<void> | undefined {
  const authorization = requestHeader(c, 'authorization');
  if (authorization) {
    const match = BEARER_PATTERN.exec(authorization);
    if (!match) throw new UnauthorizedError('The Authorization header must have the form "Bearer <API key>".');

    const key = match[1]!;
    const cached = deps.apiKeys.cachedPrincipal(key);
    if (cached !== undefined) {
      acceptApiKey(c, cached);
      return undefined;
    }
    return deps.apiKeys.resolve(key).then((principal) => acceptApiKey(c, principal));
  }

  const cookie = requestHeader(c, 'cookie');
  const token = cookie ? parseCookies(cookie, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
  if (!token) return undefined;

  return deps.sessions.resolve(token).then((user) => {
    if (!user) return;
    const state = c.get('request');
    state.sessionUser = user;
    state.sessionToken = token;
  });
}

function acceptApiKey(c: Context<AppEnv>, principal: Principal | null): void {
  if (!principal) throw new UnauthorizedError('The API key is invalid or revoked. Create a new key with `mify api-key create` or on the API keys page.');
  c.get('request').apiKeyPrincipal = principal;
}
