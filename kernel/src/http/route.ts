import type { Context } from 'hono';
import { z } from 'zod';
import type { Principal, SessionUser } from '../auth/identity.js';
import type { Access } from '../auth/roles.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Access rule of a route:
 * - `public`: anyone;
 * - `user`: a signed-in user (session cookie), no workspace needed;
 * - `workspace`: a session or API key acting in one workspace with at least `access`;
 * - `admin`: an instance administrator, for what all workspaces share (extensions).
 *   That is a signed-in administrator, or an owner-role API key created by one
 *   or by the `mify` CLI (which already has the server's data).
 */
export type RouteAuth = 'public' | 'user' | 'workspace' | 'admin';

export interface RouteResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

export interface RouteSpec<Params extends z.ZodType = z.ZodType, Query extends z.ZodType = z.ZodType, Body extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Hono path pattern under /api, e.g. `/api/api-keys/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  auth: RouteAuth;
  /** Required for `workspace` routes; defaults to `read` for GET and `write` otherwise. */
  access?: Access;
  params?: Params;
  query?: Query;
  body?: Body;
  responses: Record<number, RouteResponseSpec>;
  /** Honours the Idempotency-Key header: a repeated key replays the first response. */
  idempotent?: boolean;
  handler: (ctx: RouteContext<z.output<Params>, z.output<Query>, z.output<Body>>) => Promise<Response | RouteResult> | Response | RouteResult;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext<Params, Query, Body> {
  /**
   * The Hono context. Headers set on it with `c.header()` or Hono's cookie helpers reach only a
   * `Response` that the handler builds itself. A `RouteResult` carries its headers in `headers`.
   */
  c: Context;
  params: Params;
  query: Query;
  body: Body;
  /** Set on `workspace` routes. */
  principal: Principal | null;
  /** Set when the caller has a session cookie. */
  user: SessionUser | null;
  requestId: string;
}

/**
 * Declares a route. The same zod schemas validate requests and produce the
 * OpenAPI document, so the two cannot drift apart.
 *
 * @example
 * defineRoute({
 *   method: 'get', path: '/api/ping', operationId: 'ping', summary: 'Ping', tags: ['system'], auth: 'public',
 *   responses: { 200: { description: 'pong', schema: z.object({ pong: z.boolean() }) } },
 *   handler: () => ({ body: { pong: true } }),
 * });
 */
export function defineRoute<Params extends z.ZodType = z.ZodObject<{}>, Query extends z.ZodType = z.ZodObject<{}>, Body extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<Params, Query, Body>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}
