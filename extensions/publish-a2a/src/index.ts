/**
 * The mify.publish-a2a extension: an Agent2Agent (A2A v1.0) agent whose skills are the
 * published graphs the caller can see. A task is one run of a graph's live version; the
 * message names the skill in `metadata.skillId` and carries the input in a data part.
 * JSON-RPC at /api/a2a-server/rpc, REST-style routes under /api/a2a-server/tasks.
 */
import { defineExtension, defineRoute, type EndpointProblem, type ExtensionContext, type JsonObject, type JsonValue, type RouteContext, type RouteRequest, type RouteResponse, type StreamEventInput, type StreamEventOutput } from '@mify/sdk';
import { artifactOf, messageInput, randomId, skillOf, status, taskOf, type TaskOutcome, type TaskRecord } from './tasks.js';

const BASE = '/api/a2a-server';
/** How long a task's record stays readable with GetTask, in milliseconds. */
const TASK_TTL_MS = 24 * 3_600_000;

/** A2A and JSON-RPC error codes, and server codes for access and rate limits. */
const ERRORS = { parse: -32700, invalidRequest: -32600, methodNotFound: -32601, invalidParams: -32602, taskNotFound: -32001, taskNotCancelable: -32002, unauthorized: -32041, forbidden: -32043, conflict: -32049, rateLimited: -32029 };

class A2aError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: JsonObject,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

function fromProblem(problem: EndpointProblem): A2aError {
  const code = { 401: ERRORS.unauthorized, 403: ERRORS.forbidden, 409: ERRORS.conflict, 429: ERRORS.rateLimited }[problem.status] ?? ERRORS.invalidParams;
  const data: JsonObject = { status: problem.status, code: problem.code };
  if (problem.errors) data.errors = problem.errors;
  if (problem.retryAfterSeconds !== undefined) data.retryAfterSeconds = problem.retryAfterSeconds;
  return new A2aError(code, problem.detail, data, problem.status);
}

function origin(request: RouteRequest): string {
  const host = request.headers['x-forwarded-host'] ?? request.headers.host ?? '127.0.0.1';
  return `${request.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${host}`;
}

async function agentCard(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const page = await ctx.host.endpoints.list({ limit: 100, ...(request.query.workspace ? { workspace: request.query.workspace } : {}) });
  const url = `${origin(request)}${BASE}/rpc`;
  return {
    status: 200,
    body: {
      name: 'MIFY workflows',
      description: 'Runs published MIFY graphs. Name the graph in the message metadata as skillId and send its input as a data part.',
      version: '1.0.0',
      supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
      capabilities: { streaming: true, pushNotifications: false },
      securitySchemes: { apiKey: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'A MIFY API key of the workspace; public graphs need none' } } },
      defaultInputModes: ['application/json', 'text/plain'],
      defaultOutputModes: ['application/json'],
      skills: page.data.map((endpoint) => ({
        id: endpoint.slug,
        name: endpoint.name,
        description: endpoint.description || `Runs the published graph '${endpoint.name}'.`,
        tags: ['workflow', endpoint.auth],
        inputModes: ['application/json'],
        outputModes: ['application/json'],
      })),
    },
  };
}

/** Validates SendMessage parameters and starts the run; with `wait`, waits for its outcome. */
async function startTask(ctx: RouteContext, params: JsonObject, wait: boolean, workspace: string | undefined) {
  const message = params.message;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new A2aError(ERRORS.invalidParams, 'params.message is required: { messageId, role: "ROLE_USER", parts: [...] }.');
  const skill = skillOf(message, params);
  if (!skill) throw new A2aError(ERRORS.invalidParams, 'Name the skill to run in message.metadata.skillId; the skills are listed in the agent card.');
  const input = messageInput(message);
  if (!input.ok) throw new A2aError(ERRORS.invalidParams, input.detail);

  const result = await ctx.host.endpoints.invoke(skill, { input: input.input, wait, ...(workspace ? { workspace } : {}) });
  if (!result.ok && result.problem.status < 500) throw fromProblem(result.problem);
  const record: TaskRecord = { contextId: typeof message.contextId === 'string' && message.contextId ? message.contextId : randomId(), message };
  if (!result.ok) {
    // A failed run is a failed task, not a protocol error. The task keeps the problem, because
    // the run may not be saved, or may not exist when the call failed before it started.
    const taskId = result.problem.runId ?? randomId();
    const outcome: TaskOutcome = { finished: true, problem: result.problem };
    await keepTask(ctx, taskId, { ...record, outcome });
    return { taskId, record, task: taskOf(taskId, record, outcome) };
  }
  const finished = wait && !result.timedOut;
  const outcome: TaskOutcome = { finished, ...(result.response ? { response: result.response } : {}) };
  // GetTask reads a saved run's state from the run; an unsaved run's task keeps its outcome.
  let stored: TaskRecord = record;
  if (!result.saved) stored = finished ? { ...record, outcome } : { ...record, unsaved: true };
  await keepTask(ctx, result.runId, stored);
  return { taskId: result.runId, record, task: taskOf(result.runId, record, outcome) };
}

/** Keeps a task for GetTask. An outcome too large to keep is replaced by `unsaved`, so that GetTask explains why it has no state. */
async function keepTask(ctx: RouteContext, taskId: string, record: TaskRecord): Promise<void> {
  try {
    await ctx.host.kv.set(`task:${taskId}`, record as unknown as JsonObject, { ttlMs: TASK_TTL_MS });
  } catch (error) {
    if (!record.outcome) throw error;
    const { outcome: _dropped, ...rest } = record;
    await ctx.host.kv.set(`task:${taskId}`, { ...rest, unsaved: true } as unknown as JsonObject, { ttlMs: TASK_TTL_MS });
  }
}

async function getTask(ctx: RouteContext, taskId: unknown): Promise<JsonObject> {
  if (typeof taskId !== 'string' || taskId === '') throw new A2aError(ERRORS.invalidParams, 'params.id must be a task id.');
  const record = (await ctx.host.kv.get(`task:${taskId}`)) as TaskRecord | null;
  if (!record) throw new A2aError(ERRORS.taskNotFound, `Task '${taskId.slice(0, 100)}' was not found; tasks stay readable for 24 hours after SendMessage.`, undefined, 404);
  if (record.outcome) return taskOf(taskId, record, record.outcome);
  const outcome = await ctx.host.endpoints.result(taskId);
  if (outcome) return taskOf(taskId, record, outcome);
  if (record.unsaved) {
    throw new A2aError(
      ERRORS.taskNotFound,
      `Task '${taskId.slice(0, 100)}' has no state to read: the graph's settings.endpoint.runSaving keeps no record of its run. Set runSaving to 'all' to read tasks back with GetTask.`,
      undefined,
      404,
    );
  }
  throw new A2aError(ERRORS.taskNotFound, `Task '${taskId.slice(0, 100)}' was not found; tasks stay readable for 24 hours after SendMessage.`, undefined, 404);
}

function streamDirective(taskId: string, record: TaskRecord, rpcId: JsonValue | undefined): RouteResponse {
  const first: JsonObject = { task: { id: taskId, contextId: record.contextId, status: status('TASK_STATE_SUBMITTED', taskId, record.contextId), history: [{ ...record.message, taskId, contextId: record.contextId }] } };
  const context: JsonObject = { taskId, contextId: record.contextId, ...(rpcId === undefined ? {} : { rpcId }) };
  return { stream: { runId: taskId, format: 'a2a', context, initialFrames: [{ data: rpcId === undefined ? first : { jsonrpc: '2.0', id: rpcId, result: first } }] } };
}

function rpcBody(id: JsonValue, outcome: { result: JsonValue } | { error: A2aError }): JsonObject {
  if ('result' in outcome) return { jsonrpc: '2.0', id, result: outcome.result };
  const { code, message, data } = outcome.error;
  return { jsonrpc: '2.0', id, error: data ? { code, message, data } : { code, message } };
}

async function handleRpc(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const body = request.body as JsonObject | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 200, body: rpcBody(null, { error: new A2aError(ERRORS.parse, 'The body must be one JSON-RPC 2.0 request object.') }) };
  const id = (typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null) as JsonValue;
  if (body.jsonrpc !== '2.0' || typeof body.method !== 'string') return { status: 200, body: rpcBody(id, { error: new A2aError(ERRORS.invalidRequest, 'Invalid JSON-RPC request: expected jsonrpc "2.0" and a string method.') }) };
  const params = (typeof body.params === 'object' && body.params !== null ? body.params : {}) as JsonObject;
  const workspace = request.query.workspace || undefined;

  try {
    switch (body.method) {
      case 'SendMessage': {
        const configuration = (params.configuration ?? {}) as JsonObject;
        const { task } = await startTask(ctx, params, configuration.returnImmediately !== true, workspace);
        return { status: 200, body: rpcBody(id, { result: { task } }) };
      }
      case 'SendStreamingMessage': {
        const started = await startTask(ctx, params, false, workspace);
        if ((started.task.status as JsonObject).state === 'TASK_STATE_FAILED') return { status: 200, body: rpcBody(id, { result: { task: started.task } }) };
        return streamDirective(started.taskId, started.record, id);
      }
      case 'GetTask':
        return { status: 200, body: rpcBody(id, { result: await getTask(ctx, params.id) }) };
      case 'CancelTask':
        await getTask(ctx, params.id);
        throw new A2aError(ERRORS.taskNotCancelable, 'Tasks of published graphs cannot be canceled through A2A; a workspace member can cancel the run with POST /api/runs/:id/cancel.');
      default:
        throw new A2aError(ERRORS.methodNotFound, `Method '${String(body.method).slice(0, 100)}' is not supported; this agent offers SendMessage, SendStreamingMessage, GetTask and CancelTask.`);
    }
  } catch (error) {
    if (error instanceof A2aError) return { status: 200, body: rpcBody(id, { error }) };
    throw error;
  }
}

function problemOf(error: A2aError, instance: string): RouteResponse {
  const status = error.code === ERRORS.taskNotFound ? 404 : error.httpStatus;
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (typeof error.data?.retryAfterSeconds === 'number') headers['retry-after'] = String(error.data.retryAfterSeconds);
  return { status, headers, body: { type: `urn:mify:problem:a2a_${error.code < 0 ? -error.code : error.code}`, title: 'A2A request failed', status, detail: error.message, instance, ...(error.data ?? {}) } };
}

/** Formats run events as A2A stream responses: WORKING when the run starts, the artifact and a final status when it ends. */
async function formatStream(ctx: ExtensionContext, input: StreamEventInput): Promise<StreamEventOutput> {
  const context = input.context as { taskId: string; contextId: string; rpcId?: JsonValue };
  const wrap = (result: JsonObject) => ({ data: context.rpcId === undefined ? result : { jsonrpc: '2.0', id: context.rpcId, result } });
  if (input.event.type === 'run.started') return { frames: [wrap({ statusUpdate: { taskId: context.taskId, contextId: context.contextId, status: status('TASK_STATE_WORKING', context.taskId, context.contextId) } })] };
  if (input.event.type !== 'run.finished') return { frames: [] };

  const outcome = await ctx.host.endpoints.result(context.taskId);
  const frames = [];
  if (outcome?.response) frames.push(wrap({ artifactUpdate: { taskId: context.taskId, contextId: context.contextId, artifact: artifactOf((outcome.response.body ?? null) as JsonValue), append: false, lastChunk: true } }));
  const state = outcome?.response ? 'TASK_STATE_COMPLETED' : 'TASK_STATE_FAILED';
  frames.push(wrap({ statusUpdate: { taskId: context.taskId, contextId: context.contextId, status: status(state, context.taskId, context.contextId, outcome?.problem?.detail) } }));
  return { frames, end: true };
}

export default defineExtension({
  routes: {
    'GET .well-known/agent-card': defineRoute({ handle: agentCard }),
    'GET .well-known/agent-card.json': defineRoute({ handle: agentCard }),
    'POST rpc': defineRoute({ handle: handleRpc }),
    'POST tasks/send': defineRoute({
      async handle(ctx, request) {
        try {
          const params = (request.body ?? {}) as JsonObject;
          const { task } = await startTask(ctx, params, true, request.query.workspace || undefined);
          return { status: 200, body: task };
        } catch (error) {
          if (error instanceof A2aError) return problemOf(error, `${BASE}/tasks/send`);
          throw error;
        }
      },
    }),
    'POST tasks/stream': defineRoute({
      async handle(ctx, request) {
        try {
          const started = await startTask(ctx, (request.body ?? {}) as JsonObject, false, request.query.workspace || undefined);
          if ((started.task.status as JsonObject).state === 'TASK_STATE_FAILED') return { status: 200, body: started.task };
          return streamDirective(started.taskId, started.record, undefined);
        } catch (error) {
          if (error instanceof A2aError) return problemOf(error, `${BASE}/tasks/stream`);
          throw error;
        }
      },
    }),
    'GET tasks/:id': defineRoute({
      async handle(ctx, request) {
        try {
          return { status: 200, body: await getTask(ctx, request.params.id) };
        } catch (error) {
          if (error instanceof A2aError) return problemOf(error, `${BASE}/tasks/${request.params.id}`);
          throw error;
        }
      },
    }),
  },
  hooks: {
    stream: (ctx, input) => (input.format === 'a2a' ? formatStream(ctx, input) : { frames: [], end: true }),
  },
});
