import { routeName, type RouteContribution } from '@mify/sdk';
import type { Context, Hono } from 'hono';
import { assertRole, type Role } from '../auth/roles.js';
import type { KernelServices } from '../container.js';
import { BadRequestError, ForbiddenError, MifyError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { HostCaller } from '../extensions/host-api/index.js';
import { hashGrant } from '../extensions/host-api/graphs-runs.js';
import { readJsonBody, resolvePrincipal } from './mount.js';
import type { RequestPipeline } from './middleware.js';
import type { AppEnv } from './request-context.js';
import { streamRunResponse, type StreamDirective } from './extension-streams.js';

/** Request headers passed to an extension route. Credentials and cookies are not passed to a sandbox. */
const FORWARDED_HEADERS = ['accept', 'content-type', 'user-agent', 'x-request-id', 'origin', 'host', 'x-forwarded-host', 'x-forwarded-proto', 'prefer', 'last-event-id', 'mcp-session-id', 'mcp-protocol-version', 'a2a-version'];

/** Maximum length of the Idempotency-Key header passed to a route, in characters; the kernel's own routes use the same bound. */
const IDEMPOTENCY_KEY_MAX_CHARS = 255;

/** Maximum wait of an API request for the extensions that `mify start` loads after it listens, in milliseconds. */
const EXTENSION_LOAD_WAIT_MS = 10_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Waits while a `start` loads the extensions. `mify start` listens before it loads them, so an
 * API request that arrives in that moment waits for the node types and routes they bring
 * instead of getting a 404 or a validation error (see `untilReady` in app.ts).
 *
 * @throws MifyError `extensions_loading` (503, Retry-After: 1) when loading takes longer than EXTENSION_LOAD_WAIT_MS.
 */
export async function waitForExtensions(host: KernelServices['extensionHost'], path: string): Promise<void> {
  const loaded = await Promise.race([host.whenStarted().then(() => true), delay(EXTENSION_LOAD_WAIT_MS).then(() => false)]);
  if (loaded) return;
  const error = new MifyError('extensions_loading', 503, `The kernel is still loading its extensions, which may serve ${path}. Retry in a moment.`);
  throw Object.assign(error, { headers: { 'retry-after': '1' } });
}

type ListedRoute = RouteContribution & { extensionId: string; healthy: boolean };

interface RouteOutput {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** With `grant`, a run of the grant's graph, started by an earlier request. */
  stream?: StreamDirective & { grant?: string };
}

/**
 * Returns the workspace of a run that a route streams with a grant from `runs.grant`: the
 * grant must belong to the extension, and the run to the grant's graph.
 *
 * @throws MifyError `invalid_grant` (403) for another extension's or an unknown grant, NotFound for a run of another graph.
 */
async function grantedRunWorkspace(services: KernelServices, extensionId: string, runId: string, grant: string): Promise<string> {
  const [row] = await services.db.query<{ workspace_id: string; graph_id: string }>(`select workspace_id, graph_id from run_grants where token_hash = $1 and extension_id = $2`, [hashGrant(String(grant)), extensionId]);
  if (!row) throw new MifyError('invalid_grant', 403, `Extension '${extensionId}' asked to stream run ${runId} with a grant that runs.grant did not return to it.`);
  const run = await services.runService.get(row.workspace_id, runId);
  if (run.graphId !== row.graph_id) throw new NotFoundError('Run', runId);
  return row.workspace_id;
}

function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.replace(/^\/+|\/+$/g, '').split('/');
  const pathParts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    let actual: string;
    try {
      actual = decodeURIComponent(pathParts[index]!);
    } catch {
      return null;
    }
    if (part.startsWith(':')) {
      // A parameter needs a value, so `:id` does not match the mount path itself.
      if (actual === '') return null;
      params[part.slice(1)] = actual;
    } else if (part !== actual) return null;
  }
  return params;
}

/** Finds the route for a method and path among candidates, or throws 405 or 404 naming the alternatives. */
function selectRoute(candidates: ListedRoute[], c: Context<AppEnv>, rest: string, notFound: string): { route: ListedRoute; params: Record<string, string> } {
  const method = c.req.method.toUpperCase();
  for (const route of candidates) {
    if (route.method !== method) continue;
    const params = matchRoute(route.path, rest);
    if (params) return { route, params };
  }
  const pathMatches = candidates.filter((route) => matchRoute(route.path, rest));
  if (pathMatches.length > 0) {
    const allowed = [...new Set(pathMatches.map((r) => r.method))].join(', ');
    throw Object.assign(new MifyError('method_not_allowed', 405, `${c.req.method} is not allowed on ${c.req.path}; use ${allowed}.`), { headers: { allow: allowed } });
  }
  throw new MifyError('route_not_found', 404, notFound);
}

/** Resolves who calls the route according to its declared auth, before the sandbox runs. */
async function authorize(c: Context<AppEnv>, services: KernelServices, route: ListedRoute): Promise<{ workspaceId: string | null; userId: string | null; caller: HostCaller }> {
  const method = c.req.method.toLowerCase();
  const { apiKeyPrincipal: apiKey, sessionUser: session, clientIp } = c.get('request');
  let workspaceId: string | null = null;
  let userId: string | null = session?.userId ?? null;
  let role: Role | null = null;

  if (route.auth === 'user' && !session) throw new UnauthorizedError('Sign in first: this route needs a browser session.');
  if (route.auth === 'workspace' || (route.auth === 'optional' && (apiKey || session))) {
    const principal = await resolvePrincipal(c, services);
    if (route.auth === 'workspace') assertRole(principal.role, route.access ?? (method === 'get' ? 'read' : 'write'), `${c.req.method} ${c.req.path}`);
    workspaceId = principal.workspaceId;
    userId = principal.userId;
    role = principal.role;
  }
  if (!route.healthy) throw new ForbiddenError(`Extension '${route.extensionId}' is unhealthy after repeated failures; its routes are paused until it recovers.`);
  return { workspaceId, userId, caller: { apiKeyId: apiKey?.apiKeyId ?? null, userId, role, clientIp } };
}

/** Calls the route in its sandbox and turns its output into a response: JSON, text, or a stream of a run's events. */
async function serveRoute(c: Context<AppEnv>, services: KernelServices, match: { route: ListedRoute; params: Record<string, string> }, rest: string): Promise<Response> {
  const { route, params } = match;
  const { workspaceId, userId, caller } = await authorize(c, services, route);

  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = c.req.header(name);
    if (value) headers[name] = value;
  }
  const method = c.req.method.toLowerCase();
  const body = ['get', 'head', 'delete'].includes(method) ? undefined : await readJsonBody(c);
  const startedRuns = new Map<string, string>();
  const idempotencyKey = c.req.header('idempotency-key') ?? null;
  if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > IDEMPOTENCY_KEY_MAX_CHARS)) {
    throw new BadRequestError('invalid_idempotency_key', `The Idempotency-Key header must have 1-${IDEMPOTENCY_KEY_MAX_CHARS} characters, got ${idempotencyKey.length}.`);
  }
  const input = {
    method: c.req.method,
    path: rest,
    params,
    query: c.req.query(),
    headers,
    body,
    idempotencyKey,
    caller: { workspaceId, userId, apiKeyId: caller.apiKeyId, requestId: c.get('request').requestId, clientIp: caller.clientIp },
  };
  const output = (await services.extensionHost.invoke(route.extensionId, { kind: 'route', name: routeName(route), input }, { workspaceId, caller, startedRuns })) as RouteOutput | undefined;

  const status = Number.isInteger(output?.status) && output!.status! >= 200 && output!.status! <= 599 ? output!.status! : 200;
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(output?.headers ?? {})) {
    if (!/^(set-cookie|content-length|transfer-encoding|connection)$/i.test(name)) responseHeaders.set(name, String(value));
  }
  if (output?.stream) {
    const granted = output.stream.grant === undefined ? null : await grantedRunWorkspace(services, route.extensionId, output.stream.runId, output.stream.grant);
    const runWorkspace = granted ?? startedRuns.get(output.stream.runId) ?? workspaceId;
    if (!runWorkspace) throw new MifyError('stream_run_not_allowed', 500, `Extension '${route.extensionId}' asked to stream run ${output.stream.runId}, which neither belongs to the caller's workspace nor was started by this request.`);
    return streamRunResponse(c, services, { extensionId: route.extensionId, workspaceId: runWorkspace, directive: output.stream, headers: responseHeaders });
  }
  if (output?.body === undefined || status === 204) return new Response(null, { status, headers: responseHeaders });
  if (typeof output.body === 'string' && responseHeaders.has('content-type')) return new Response(output.body, { status, headers: responseHeaders });
  // An object body keeps a JSON content type the route set, such as application/problem+json.
  if (!/json/i.test(responseHeaders.get('content-type') ?? '')) responseHeaders.set('content-type', 'application/json');
  return new Response(JSON.stringify(output.body), { status, headers: responseHeaders });
}

/**
 * Mounts the routes that extensions contribute under `/api/ext/<extension id>/…`, inside the
 * request pipeline. The routes are read per request, so installing or disabling an extension
 * takes effect without a restart. Each route's declared auth is enforced here, before the
 * sandbox runs.
 */
export function mountExtensionRoutes(app: Hono<AppEnv>, services: KernelServices, pipeline: RequestPipeline): void {
  const handle = async (c: Context<AppEnv>): Promise<Response> => {
    const extensionId = c.req.param('extensionId') ?? '';
    const rest = c.req.path.slice(`/api/ext/${extensionId}`.length) || '/';
    const active = services.extensionHost.activeManifest(extensionId);
    const candidates: ListedRoute[] = (active?.manifest.contributes?.routes ?? []).filter((route) => !route.mount).map((route) => ({ ...route, extensionId, healthy: active!.healthy }));
    const match = selectRoute(candidates, c, rest, `No route of extension '${extensionId}' matches ${c.req.method} ${c.req.path}. Its routes are listed at /api/extensions/contributions.`);
    return serveRoute(c, services, match, rest);
  };

  app.all('/api/ext/:extensionId/*', (c) => pipeline(c, handle));
}

/**
 * Serves a route that an extension mounts under a top-level base path of its own (such as
 * `/api/workflow-endpoints/…`), or returns null when no extension mounts the request's base
 * path. It runs for paths that no kernel route matches, so kernel routes win. The extension
 * host also rejects mounts that overlap them.
 */
export async function serveMountedExtensionRoute(c: Context<AppEnv>, services: KernelServices): Promise<Response | null> {
  const base = /^\/api\/[^/]+/.exec(c.req.path)?.[0];
  if (!base) return null;
  const host = services.extensionHost;
  const extensionId = host.routeMountTable().get(base);
  const active = extensionId ? host.activeManifest(extensionId) : undefined;
  if (!extensionId || !active) return null;

  const rest = c.req.path.slice(base.length) || '/';
  const candidates: ListedRoute[] = (active.manifest.contributes?.routes ?? []).filter((route) => route.mount === base).map((route) => ({ ...route, extensionId, healthy: active.healthy }));
  const match = selectRoute(candidates, c, rest, `No route under ${base} matches ${c.req.method} ${c.req.path}. The routes of extension '${extensionId}' are listed at /api/extensions/contributions.`);
  return serveRoute(c, services, match, rest);
}
