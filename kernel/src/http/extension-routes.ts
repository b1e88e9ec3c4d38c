import { routeName } from '@mify/sdk';
import type { Context, Hono } from 'hono';
import { assertRole } from '../auth/roles.js';
import type { KernelServices } from '../container.js';
import { ForbiddenError, MifyError, UnauthorizedError } from '../errors.js';
import { readJsonBody, resolvePrincipal } from './mount.js';
import type { AppEnv } from './request-context.js';

/** Request headers passed to an extension route. Credentials and cookies are not passed to a sandbox. */
const FORWARDED_HEADERS = ['accept', 'content-type', 'user-agent', 'x-request-id'];

function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.replace(/^\/+|\/+$/g, '').split('/');
  const pathParts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = decodeURIComponent(pathParts[index]!);
    if (part.startsWith(':')) params[part.slice(1)] = actual;
    else if (part !== actual) return null;
  }
  return params;
}

/**
 * Mounts the routes extensions contribute under `/api/ext/<extension id>/…`.
 * The route list is read per request, so installing or disabling an extension
 * takes effect without a restart. Each route's declared auth is enforced here,
 * before the sandbox runs.
 */
export function mountExtensionRoutes(app: Hono<AppEnv>, services: KernelServices): void {
  app.all('/api/ext/:extensionId/*', async (c: Context<AppEnv>) => {
    const extensionId = c.req.param('extensionId') ?? '';
    const rest = c.req.path.slice(`/api/ext/${extensionId}`.length) || '/';
    const method = c.req.method.toLowerCase();

    const candidates = services.contributions.list().routes.filter((route) => route.extensionId === extensionId);
    const match = candidates.map((route) => ({ route, params: matchRoute(route.path, rest) })).find((m) => m.params && m.route.method.toLowerCase() === method);
    if (!match) {
      const pathMatches = candidates.filter((route) => matchRoute(route.path, rest));
      if (pathMatches.length > 0) throw new MifyError('method_not_allowed', 405, `${c.req.method} is not allowed on ${c.req.path}; use ${pathMatches.map((r) => r.method.toUpperCase()).join(', ')}.`);
      throw new MifyError('route_not_found', 404, `No route of extension '${extensionId}' matches ${c.req.method} ${c.req.path}. Its routes are listed at /api/extensions/contributions.`);
    }

    const { route } = match;
    let workspaceId: string | null = null;
    let userId: string | null = c.get('sessionUser')?.userId ?? null;
    if (route.auth === 'user' && !c.get('sessionUser')) throw new UnauthorizedError('Sign in first: this route needs a browser session.');
    if (route.auth === 'workspace') {
      const principal = await resolvePrincipal(c, services);
      assertRole(principal.role, route.access ?? (method === 'get' ? 'read' : 'write'), `${c.req.method} ${c.req.path}`);
      workspaceId = principal.workspaceId;
      userId = principal.userId;
    }
    if (!route.healthy) throw new ForbiddenError(`Extension '${extensionId}' is unhealthy after repeated failures; its routes are paused until it recovers.`);

    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = c.req.header(name);
      if (value) headers[name] = value;
    }
    const body = ['get', 'head', 'delete'].includes(method) ? undefined : await readJsonBody(c);
    const output = (await services.extensionHost.invoke(
      extensionId,
      { kind: 'route', name: routeName(route), input: { method: c.req.method, path: rest, params: match.params, query: c.req.query(), headers, body, caller: { workspaceId, userId, requestId: c.get('requestId') } } },
      { workspaceId },
    )) as { status?: number; headers?: Record<string, string>; body?: unknown } | undefined;

    const status = Number.isInteger(output?.status) && output!.status! >= 200 && output!.status! <= 599 ? output!.status! : 200;
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(output?.headers ?? {})) {
      if (!/^(set-cookie|content-length|transfer-encoding|connection)$/i.test(name)) responseHeaders.set(name, String(value));
    }
    if (output?.body === undefined || status === 204) return new Response(null, { status, headers: responseHeaders });
    if (typeof output.body === 'string' && responseHeaders.has('content-type')) return new Response(output.body, { status, headers: responseHeaders });
    responseHeaders.set('content-type', 'application/json');
    return new Response(JSON.stringify(output.body), { status, headers: responseHeaders });
  });
}
