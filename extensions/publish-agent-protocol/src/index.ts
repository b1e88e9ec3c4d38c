/**
 * The mify.publish-agent-protocol extension: the LangGraph Agent Protocol over the published
 * graphs. An agent is a published graph (agent_id is its slug); invoke runs it and returns
 * its output, stream sends Server-Sent Events `metadata`, `updates`, `values` and `end`.
 */
import { defineExtension, defineRoute, type EndpointProblem, type ExtensionContext, type JsonObject, type JsonValue, type PublishedEndpoint, type RouteResponse, type StreamEventInput, type StreamEventOutput, type StreamFrame } from '@mify/sdk';

const BASE = '/api/agent-protocol';

function problem(value: EndpointProblem, instance: string): RouteResponse {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (value.retryAfterSeconds !== undefined) headers['retry-after'] = String(value.retryAfterSeconds);
  const body: JsonObject = { type: `urn:mify:problem:${value.code}`, title: value.title, status: value.status, code: value.code, detail: value.detail, instance };
  if (value.errors) body.errors = value.errors;
  if (value.retryAfterSeconds !== undefined) body.retryAfterSeconds = value.retryAfterSeconds;
  return { status: value.status, headers, body };
}

function notFound(agentId: string): EndpointProblem {
  return { status: 404, code: 'agent_not_found', title: 'Not Found', detail: `No agent '${agentId}' is visible to you: agents are published graphs with a slug. GET ${BASE}/agents lists them.` };
}

function agentOf(endpoint: PublishedEndpoint): JsonObject {
  return {
    agent_id: endpoint.slug,
    name: endpoint.name,
    description: endpoint.description,
    metadata: { graph_id: endpoint.graphId, version: endpoint.publishedVersion?.version ?? null, auth: endpoint.auth },
    capabilities: { 'ap.io.messages': false, 'ap.io.streaming': true },
  };
}

/** Reads `{ input }` from the request body; the input must be an object. */
function inputOf(body: JsonValue): { ok: true; input: JsonObject } | { ok: false; problem: EndpointProblem } {
  const input = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as JsonObject).input : undefined;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return { ok: true, input };
  return { ok: false, problem: { status: 422, code: 'invalid_input', title: 'Unprocessable Content', detail: 'Send a JSON body { "input": { … } } whose input matches the agent\'s input schema (GET …/agents/:id/schemas).', errors: [{ path: '$.input', message: 'expected an object' }] } };
}

async function formatStream(ctx: ExtensionContext, input: StreamEventInput): Promise<StreamEventOutput> {
  const context = input.context as { runId: string };
  const { type, data } = input.event;
  if (type === 'step.succeeded' || type === 'step.failed') {
    return { frames: [{ event: 'updates', data: { node: (data.nodeName ?? data.nodeId ?? null) as JsonValue, node_id: (data.nodeId ?? null) as JsonValue, status: type === 'step.succeeded' ? 'success' : 'error' } }] };
  }
  if (type !== 'run.finished') return { frames: [] };

  const outcome = await ctx.host.endpoints.result(context.runId);
  const frames: StreamFrame[] = outcome?.response
    ? [{ event: 'values', data: (outcome.response.body ?? null) as JsonValue }]
    : [{ event: 'error', data: { error: outcome?.problem?.code ?? 'run_failed', message: outcome?.problem?.detail ?? `Run ${context.runId} failed.` } }];
  frames.push({ event: 'end', data: { run_id: context.runId, status: outcome?.response ? 'success' : 'error' } });
  return { frames, end: true };
}

export default defineExtension({
  routes: {
    'GET agents': defineRoute({
      async handle(ctx, request) {
        const limit = Math.min(Math.max(Number(request.query.limit ?? 50) || 50, 1), 100);
        const page = await ctx.host.endpoints.list({ limit, ...(request.query.cursor ? { cursor: request.query.cursor } : {}), ...(request.query.workspace ? { workspace: request.query.workspace } : {}) });
        return { status: 200, body: { agents: page.data.map(agentOf), next_cursor: page.nextCursor } };
      },
    }),
    'GET agents/:id': defineRoute({
      async handle(ctx, request) {
        const id = request.params.id ?? '';
        const endpoint = await ctx.host.endpoints.get(id, request.query.workspace ? { workspace: request.query.workspace } : {});
        return endpoint?.publishedVersion ? { status: 200, body: agentOf(endpoint) } : problem(notFound(id), `${BASE}/agents/${id}`);
      },
    }),
    'GET agents/:id/schemas': defineRoute({
      async handle(ctx, request) {
        const id = request.params.id ?? '';
        const endpoint = await ctx.host.endpoints.get(id, request.query.workspace ? { workspace: request.query.workspace } : {});
        if (!endpoint?.publishedVersion) return problem(notFound(id), `${BASE}/agents/${id}/schemas`);
        return { status: 200, body: { agent_id: endpoint.slug, input_schema: endpoint.inputSchema, output_schema: endpoint.outputSchema, state_schema: null, config_schema: null } };
      },
    }),
    'POST agents/:id/invoke': defineRoute({
      async handle(ctx, request): Promise<RouteResponse> {
        const id = request.params.id ?? '';
        const instance = `${BASE}/agents/${id}/invoke`;
        const parsed = inputOf(request.body);
        if (!parsed.ok) return problem(parsed.problem, instance);
        const result = await ctx.host.endpoints.invoke(id, { input: parsed.input, wait: true, ...(request.query.workspace ? { workspace: request.query.workspace } : {}) });
        if (!result.ok) return problem(result.problem.status === 404 && result.problem.code === 'endpoint_not_found' ? notFound(id) : result.problem, instance);
        if (result.timedOut) return { status: 202, body: { run_id: result.runId, agent_id: id, status: 'pending' } };
        return { status: 200, body: { run_id: result.runId, agent_id: id, status: 'success', output: (result.response!.body ?? null) as JsonValue } };
      },
    }),
    'POST agents/:id/stream': defineRoute({
      async handle(ctx, request) {
        const id = request.params.id ?? '';
        const instance = `${BASE}/agents/${id}/stream`;
        const parsed = inputOf(request.body);
        if (!parsed.ok) return problem(parsed.problem, instance);
        const result = await ctx.host.endpoints.invoke(id, { input: parsed.input, wait: false, ...(request.query.workspace ? { workspace: request.query.workspace } : {}) });
        if (!result.ok) return problem(result.problem.status === 404 && result.problem.code === 'endpoint_not_found' ? notFound(id) : result.problem, instance);
        return { stream: { runId: result.runId, format: 'agent-protocol', context: { runId: result.runId }, initialFrames: [{ event: 'metadata', data: { run_id: result.runId, agent_id: id } }] } };
      },
    }),
  },
  hooks: {
    stream: (ctx, input) => (input.format === 'agent-protocol' ? formatStream(ctx, input) : { frames: [], end: true }),
  },
});
