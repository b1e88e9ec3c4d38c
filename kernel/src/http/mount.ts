import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { Principal } from '../auth/identity.js';
import { assertRole, isRole, type Access } from '../auth/roles.js';
import type { UserService } from '../auth/users.js';
import { BadRequestError, ConflictError, ForbiddenError, MifyError, UnauthorizedError, ValidationError } from '../errors.js';
import type { Database } from '../storage/database.js';
import type { AppEnv } from './request-context.js';
import type { RouteResult, RouteSpec } from './route.js';

export const WORKSPACE_HEADER = 'x-mify-workspace';
const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** Stored idempotent responses are replayed for this long, in milliseconds. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface MountDeps {
  db: Database;
  userService: UserService;
}

function zodProblems(error: z.ZodError, prefix: string): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'), message: issue.message }));
}

export async function readJsonBody(c: Context): Promise<unknown> {
  const contentType = c.req.header('content-type') ?? '';
  const text = await c.req.text();
  if (text.length === 0) return undefined;
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType)) {
    throw new MifyError('unsupported_media_type', 415, `Content-Type '${contentType || '(none)'}' is not supported; send the body as JSON with 'Content-Type: application/json'.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError('malformed_json', `The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

/**
 * Finds the principal for a workspace route: the API key's workspace, or for a
 * session the workspace named in the X-Mify-Workspace header (id or slug),
 * else the user's first workspace. A workspace the caller is not a member of
 * is reported as not found, so its existence does not leak.
 */
export async function resolvePrincipal(c: Context<AppEnv>, deps: MountDeps): Promise<Principal> {
  const apiKey = c.get('apiKeyPrincipal');
  if (apiKey) return apiKey;

  const user = c.get('sessionUser');
  if (!user) throw new UnauthorizedError();

  const requested = c.req.header(WORKSPACE_HEADER);
  if (requested) {
    const workspace = await deps.userService.findWorkspace(requested);
    const role = workspace ? await deps.userService.roleIn(user.userId, workspace.id) : null;
    if (!workspace || !role) throw new MifyError('not_found', 404, `Workspace '${requested}' was not found among your workspaces.`, { resource: 'Workspace', id: requested });
    return { type: 'user', userId: user.userId, apiKeyId: null, workspaceId: workspace.id, role };
  }

  const memberships = await deps.userService.listMemberships(user.userId);
  const first = memberships[0];
  if (!first || !isRole(first.role)) throw new MifyError('no_workspace', 403, 'You are not a member of any workspace. Create one with POST /api/workspaces or ask an owner to add you.');
  return { type: 'user', userId: user.userId, apiKeyId: null, workspaceId: first.id, role: first.role };
}

async function assertAdmin(c: Context<AppEnv>, deps: MountDeps): Promise<void> {
  const user = c.get('sessionUser');
  const key = c.get('apiKeyPrincipal');
  if (!user && !key) throw new UnauthorizedError();
  const admin = user
    ? await deps.userService.isAdmin(user.userId)
    : key!.role === 'owner' && (key!.userId === null || (await deps.userService.isAdmin(key!.userId)));
  if (!admin) throw new ForbiddenError('Only an instance administrator can manage extensions. Ask the administrator who ran first-run setup.');
}

function toResponse(c: Context, result: Response | RouteResult): Response {
  if (result instanceof Response) return result;
  const status = result.status ?? 200;
  if (result.body === undefined) return c.body(null, status as 200, result.headers);
  return c.json(result.body as object, status as 200, result.headers);
}

/** Registers a route on the Hono app with validation, authorisation and idempotency. */
export function mountRoute(app: Hono<AppEnv>, route: RouteSpec, deps: MountDeps): void {
  const access: Access = route.access ?? (route.method === 'get' ? 'read' : 'write');

  app.on(route.method.toUpperCase(), route.path, async (c) => {
    let principal: Principal | null = null;
    if (route.auth === 'user' && !c.get('sessionUser')) throw new UnauthorizedError('Sign in first: this route needs a browser session.');
    if (route.auth === 'admin') await assertAdmin(c, deps);
    if (route.auth === 'workspace') {
      principal = await resolvePrincipal(c, deps);
      assertRole(principal.role, access, `${route.method.toUpperCase()} ${route.path}`);
    }

    const problems: Array<{ path: string; message: string }> = [];
    const parse = (schema: z.ZodType | undefined, value: unknown, prefix: string) => {
      if (!schema) return value;
      const result = schema.safeParse(value);
      if (!result.success) {
        problems.push(...zodProblems(result.error, prefix));
        return undefined;
      }
      return result.data;
    };

    const params = parse(route.params, c.req.param(), 'params');
    const query = parse(route.query, c.req.query(), 'query');
    let rawBody: unknown;
    if (route.body) {
      rawBody = await readJsonBody(c);
      if (rawBody === undefined) problems.push({ path: 'body', message: 'a JSON body is required' });
    }
    const body = route.body && rawBody !== undefined ? parse(route.body, rawBody, 'body') : undefined;
    if (problems.length > 0) throw new ValidationError(`The request is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, problems);

    const run = async () =>
      toResponse(c, await route.handler({ c, params, query, body, principal, user: c.get('sessionUser'), requestId: c.get('requestId') } as never));

    const idempotencyKey = c.req.header('idempotency-key');
    if (!route.idempotent || !idempotencyKey) return run();
    return withIdempotency(deps.db, { c, route, principal, key: idempotencyKey, rawBody }, run);
  });
}

/**
 * Replays the first response for a repeated Idempotency-Key. The key is scoped
 * to the caller and the route; the same key with a different body is rejected.
 */
async function withIdempotency(
  db: Database,
  input: { c: Context<AppEnv>; route: RouteSpec; principal: Principal | null; key: string; rawBody: unknown },
  run: () => Promise<Response>,
): Promise<Response> {
  const { c, route, principal, key } = input;
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new BadRequestError('invalid_idempotency_key', `The Idempotency-Key header must have 1-${IDEMPOTENCY_KEY_MAX_LENGTH} characters.`);
  }

  const caller = principal ? `${principal.workspaceId}:${principal.apiKeyId ?? principal.userId}` : `ip:${c.get('clientIp')}`;
  const scope = `${caller}:${route.operationId}:${c.req.path}`;
  const requestHash = createHash('sha256').update(JSON.stringify(input.rawBody ?? null)).digest('hex');

  await db.query(`delete from idempotency_keys where created_at < now() - interval '1 millisecond' * $1`, [IDEMPOTENCY_TTL_MS]);
  const claimed = await db.query(
    `insert into idempotency_keys (scope, key, request_hash, status, body) values ($1, $2, $3, 0, '') on conflict do nothing returning key`,
    [scope, key, requestHash],
  );

  if (claimed.length === 0) {
    const [stored] = await db.query<{ request_hash: string; status: number; body: string }>('select request_hash, status, body from idempotency_keys where scope = $1 and key = $2', [scope, key]);
    if (!stored) throw new ConflictError('The Idempotency-Key was released while this request waited; retry it.');
    if (stored.request_hash !== requestHash) {
      throw new MifyError('idempotency_key_reused', 422, `Idempotency-Key '${key}' was already used with a different request body; use a new key for a new request.`);
    }
    if (stored.status === 0) throw new ConflictError(`A request with Idempotency-Key '${key}' is still in progress; retry after it finishes.`);
    return new Response(stored.body || null, { status: stored.status, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' } });
  }

  let response: Response;
  try {
    response = await run();
  } catch (error) {
    await db.query('delete from idempotency_keys where scope = $1 and key = $2', [scope, key]);
    throw error;
  }

  if (response.status >= 500) {
    await db.query('delete from idempotency_keys where scope = $1 and key = $2', [scope, key]);
    return response;
  }
  const text = await response.clone().text();
  await db.query('update idempotency_keys set status = $3, body = $4 where scope = $1 and key = $2', [scope, key, response.status, text]);
  return response;
}
