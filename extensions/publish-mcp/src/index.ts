/**
 * The mify.publish-mcp extension: a Model Context Protocol server over Streamable HTTP whose
 * tools are the published graphs of the caller's workspace (or the public ones). Requests are
 * JSON-RPC 2.0 over POST, answered with application/json; the server sends no requests of its
 * own, so GET answers 405. Sessions are kept in the extension's key-value store for 24 hours.
 */
import { defineExtension, defineRoute, type JsonObject, type JsonValue, type RouteContext, type RouteRequest, type RouteResponse } from '@mify/sdk';
import { INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, problemError, rpcError, rpcResult, validateMessage, type JsonRpcRequest } from './jsonrpc.js';
import { callTool, listTools } from './tools.js';

/** Protocol revisions this server speaks, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const SESSION_HEADER = 'mcp-session-id';
/** Lifetime of an idle session, in milliseconds. */
const SESSION_TTL_MS = 24 * 3_600_000;
const SERVER_INFO = { name: 'mify-workflows', title: 'MIFY published workflows', version: '1.0.0' };

function newSessionId(): string {
  let id = '';
  for (let index = 0; index < 32; index += 1) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

function json(status: number, body: JsonValue, headers: Record<string, string> = {}): RouteResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body };
}

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Content', 429: 'Too Many Requests' };

function problem(status: number, code: string, detail: string, extra: JsonObject = {}): RouteResponse {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (typeof extra.retryAfterSeconds === 'number') headers['retry-after'] = String(extra.retryAfterSeconds);
  return { status, headers, body: { type: `urn:mify:problem:${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...extra } };
}

async function handleRequest(ctx: RouteContext, request: JsonRpcRequest, workspace: string | undefined): Promise<JsonObject> {
  const id = request.id ?? null;
  const params = request.params ?? {};
  switch (request.method) {
    case 'initialize': {
      const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
      const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : SUPPORTED_PROTOCOL_VERSIONS[0]!;
      return rpcResult(id, { protocolVersion, capabilities: { tools: { listChanged: false } }, serverInfo: SERVER_INFO, instructions: 'Each tool runs the published version of a MIFY graph with the arguments as its input.' });
    }
    case 'ping':
      return rpcResult(id, {});
    case 'tools/list':
      return rpcResult(id, (await listTools(ctx.host, typeof params.cursor === 'string' ? params.cursor : undefined, workspace)) as unknown as JsonObject);
    case 'tools/call': {
      const outcome = await callTool(ctx.host, params.name, params.arguments, workspace);
      return outcome.ok ? rpcResult(id, outcome.result) : problemError(id, outcome.problem);
    }
    default:
      return rpcError(id, METHOD_NOT_FOUND, `Method '${request.method}' is not supported; this server offers initialize, ping, tools/list and tools/call.`);
  }
}

async function handlePost(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const body = request.body;
  if (typeof body === 'string' || body === null || body === undefined) return json(400, rpcError(null, PARSE_ERROR, 'The body must be a JSON-RPC 2.0 message as JSON with Content-Type: application/json.'));
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0) return json(400, rpcError(null, INVALID_REQUEST, 'An empty batch is not a valid JSON-RPC request.'));

  const validated = messages.map(validateMessage);
  const isInitialize = validated.some((entry) => 'request' in entry && entry.request.method === 'initialize');
  let sessionId = request.headers[SESSION_HEADER];
  if (isInitialize) {
    if (messages.length > 1) return json(400, rpcError(null, INVALID_REQUEST, 'initialize must be sent alone, not in a batch.'));
    sessionId = newSessionId();
    await ctx.host.kv.set(`session:${sessionId}`, { createdAt: new Date().toISOString() }, { ttlMs: SESSION_TTL_MS });
  } else if (sessionId) {
    // An unknown or ended session gets 404, which tells the client to initialize again.
    if ((await ctx.host.kv.get(`session:${sessionId}`)) === null) return json(404, rpcError(null, INVALID_REQUEST, `Session '${sessionId.slice(0, 64)}' is unknown or has ended; send initialize again.`));
  } else {
    return json(400, rpcError(null, INVALID_REQUEST, `The ${SESSION_HEADER} header is missing; send initialize first and repeat the session id it returns on every request.`));
  }

  const workspace = request.query.workspace || undefined;
  const responses: JsonObject[] = [];
  for (const entry of validated) {
    if ('error' in entry) responses.push(entry.error);
    else if (entry.request.id !== undefined) responses.push(await handleRequest(ctx, entry.request, workspace));
  }

  const headers = { [SESSION_HEADER]: sessionId };
  // Notifications and responses from the client get 202 with no body.
  if (responses.length === 0) return { status: 202, headers };
  return json(200, Array.isArray(body) ? responses : responses[0]!, headers);
}

export default defineExtension({
  routes: {
    'POST mcp': defineRoute({ handle: handlePost }),
    'GET mcp': defineRoute({
      handle: () => ({ status: 405, headers: { allow: 'POST, DELETE', 'content-type': 'application/problem+json' }, body: { type: 'urn:mify:problem:method_not_allowed', title: 'Method Not Allowed', status: 405, code: 'method_not_allowed', detail: 'This MCP server sends no requests of its own, so it offers no GET event stream; send JSON-RPC requests with POST.' } }),
    }),
    'DELETE mcp': defineRoute({
      async handle(ctx, request) {
        const sessionId = request.headers[SESSION_HEADER];
        if (!sessionId) return problem(400, 'session_id_missing', `Send the ${SESSION_HEADER} header of the session to end.`);
        const existed = await ctx.host.kv.delete(`session:${sessionId}`);
        return existed ? { status: 204 } : problem(404, 'session_not_found', `Session '${sessionId.slice(0, 64)}' is unknown or has already ended.`);
      },
    }),
    'GET list_tools': defineRoute({
      async handle(ctx, request) {
        return json(200, (await listTools(ctx.host, request.query.cursor || undefined, request.query.workspace || undefined)) as unknown as JsonObject);
      },
    }),
    'POST call_tool': defineRoute({
      async handle(ctx, request) {
        const body = request.body as { name?: unknown; arguments?: unknown } | null;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return problem(400, 'invalid_body', 'Send a JSON body { "name": "<tool name>", "arguments": { … } }.');
        const outcome = await callTool(ctx.host, body.name, body.arguments ?? {}, request.query.workspace || undefined);
        if (outcome.ok) return json(200, outcome.result);
        const { status, code, detail, errors, retryAfterSeconds } = outcome.problem;
        return problem(status, code, detail, { ...(errors ? { errors } : {}), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
      },
    }),
  },
});
