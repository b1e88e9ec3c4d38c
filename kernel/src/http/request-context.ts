import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { Principal, SessionUser } from '../auth/identity.js';
import type { Logger } from '../logger.js';

/**
 * Per-request values that the middleware records. They are one object on the Hono context
 * (`c.get('request')`) rather than one context variable per field, because each variable
 * is a Map entry that every request would pay to write.
 */
export class RequestState {
  /** Child logger with the request id, created on the first `requestLog(c)` call. */
  log: Logger | undefined = undefined;
  /** The API key's principal, when the request carried a valid key. */
  apiKeyPrincipal: Principal | null = null;
  sessionUser: SessionUser | null = null;
  sessionToken: string | null = null;
  /** The response that already carries `responseHeaders`, so the request-context middleware does not copy them again. */
  responseWithHeaders: Response | undefined = undefined;

  constructor(
    readonly requestId: string,
    readonly clientIp: string,
    /**
     * Headers that every response to this request carries, by lowercase name: the request id,
     * the rate-limit state and CORS. Middleware adds to it before the route runs, and
     * `finishResponse` sends it as the response's header object.
     */
    readonly responseHeaders: Record<string, string>,
    /** The kernel's root logger. Use `requestLog(c)`, which adds the request id. */
    readonly rootLog: Logger,
  ) {}
}

/** Values the middleware stores on each Hono context. */
export interface RequestVariables {
  request: RequestState;
}

/** Bindings that @hono/node-server passes as `c.env`. Absent when the app is called through `app.request()`. */
export interface NodeBindings {
  incoming?: IncomingMessage;
}

export type AppEnv = { Variables: RequestVariables; Bindings: NodeBindings };

/**
 * Reads a request header by its lowercase name. Under @hono/node-server it reads Node's parsed
 * headers, because `c.req.header()` makes the adapter build a Fetch `Headers` object from the raw
 * headers on first use. Node joins repeated headers with ", " ("; " for Cookie) and keeps only the
 * first of some, such as Authorization and Content-Type.
 */
export function requestHeader(c: Context<AppEnv>, name: string): string | undefined {
  const incoming = c.env?.incoming;
  if (!incoming) return c.req.header(name);

  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Returns the request's logger, a child of the root logger with the request id, creating it on first use. */
export function requestLog(c: Context<AppEnv>): Logger {
  const state = c.get('request');
  state.log ??= state.rootLog.child({ requestId: state.requestId });
  return state.log;
}

/**
 * Builds a response that carries the request's shared headers (request id, rate limit, CORS),
 * then `headers`, which win on a clash, except that Vary values are merged. The header object
 * stays a plain object, which @hono/node-server passes to `writeHead` as it is, without
 * building a Fetch `Headers` object.
 */
export function finishResponse(c: Context<AppEnv>, body: string | null, init: { status: number; contentType?: string; headers?: Record<string, string> }): Response {
  // Missing only for a response to an error that Hono raised before the request pipeline ran.
  const state = c.get('request') as RequestState | undefined;

  // The shared record is used once per request, so it becomes the response's header object
  // unless the route adds headers of its own.
  const shared = state?.responseHeaders ?? {};
  const headers = init.headers ? { ...shared } : shared;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  else delete headers['content-type'];
  if (init.headers) {
    for (const name in init.headers) {
      const lowercase = name.toLowerCase();
      // Vary lists are merged, so that the route's own Vary does not drop the Origin that CORS adds.
      headers[lowercase] = lowercase === 'vary' && headers.vary ? `${headers.vary}, ${init.headers[name]}` : init.headers[name]!;
    }
  }

  const response = new Response(body, { status: init.status, headers });
  if (state) state.responseWithHeaders = response;
  return response;
}
