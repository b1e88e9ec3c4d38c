/**
 * Chat sessions of a workspace: each message runs the session's graph with the message and
 * the last messages of the conversation (its memory), and stores the reply the run returns.
 */
import type { JsonObject, RouteContext, RouteRequest, RouteResponse } from '@mify/sdk';
import { redactPii } from './pii.js';

const SESSIONS = 'sessions';
const MESSAGES = 'messages';
/** Default and maximum number of earlier messages passed to the graph as `history`. */
export const DEFAULT_MEMORY_MESSAGES = 10;
export const MAX_MEMORY_MESSAGES = 50;
/** Maximum length of one message, in characters. */
export const MAX_MESSAGE_CHARS = 4_000;
/** Time a message waits for the graph's reply, in milliseconds. */
const REPLY_WAIT_MS = 25_000;

export function problem(status: number, code: string, detail: string): RouteResponse {
  return { status, headers: { 'content-type': 'application/problem+json' }, body: { type: `https://mify.dev/problems/${code.replace(/_/g, '-')}`, title: code.replace(/_/g, ' '), status, code, detail } };
}

interface Session {
  graphId: string;
  memoryMessages: number;
  redactPii: boolean;
}

export async function createSession(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (typeof body.graphId !== 'string' || body.graphId === '') return problem(422, 'validation_failed', 'graphId must name the graph that answers the messages.');
  const memory = body.memoryMessages ?? DEFAULT_MEMORY_MESSAGES;
  if (typeof memory !== 'number' || !Number.isInteger(memory) || memory < 0 || memory > MAX_MEMORY_MESSAGES) return problem(422, 'validation_failed', `memoryMessages must be an integer from 0 to ${MAX_MEMORY_MESSAGES}, got ${JSON.stringify(memory)}.`);
  try {
    await ctx.host.graphs.get(body.graphId);
  } catch {
    return problem(422, 'validation_failed', `graphId '${body.graphId}' is not a graph of this workspace.`);
  }
  const session: Session = { graphId: body.graphId, memoryMessages: memory, redactPii: body.redactPii !== false };
  const document = await ctx.host.collections.put(SESSIONS, { data: { ...session } as unknown as JsonObject });
  return { status: 201, headers: { location: `/api/chat/sessions/${document.id}` }, body: { id: document.id, ...session, createdAt: document.createdAt } as unknown as JsonObject };
}

async function history(ctx: RouteContext, sessionId: string, limit: number): Promise<Array<{ role: string; content: string }>> {
  if (limit === 0) return [];
  const page = await ctx.host.collections.find(MESSAGES, { where: { sessionId }, orderBy: [{ field: 'seq', direction: 'desc' }], limit });
  return page.data.reverse().map((document) => ({ role: String(document.data.role), content: String(document.data.content) }));
}

export async function getSession(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const session = await ctx.host.collections.get(SESSIONS, request.params.id ?? '');
  if (!session) return problem(404, 'not_found', `Chat session '${request.params.id}' was not found in this workspace.`);
  return { status: 200, body: { id: session.id, ...session.data, messages: await history(ctx, session.id, 200) } as unknown as JsonObject };
}

/** Stores the message, runs the graph with it and the conversation's memory, stores and returns the reply. */
export async function postMessage(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const document = await ctx.host.collections.get(SESSIONS, request.params.id ?? '');
  if (!document) return problem(404, 'not_found', `Chat session '${request.params.id}' was not found in this workspace.`);
  const session = document.data as unknown as Session;
  const content = (request.body as { content?: unknown } | null)?.content;
  if (typeof content !== 'string' || content.trim() === '' || content.length > MAX_MESSAGE_CHARS) return problem(422, 'validation_failed', `content must be a text of 1-${MAX_MESSAGE_CHARS} characters.`);

  const message = session.redactPii ? redactPii(content.trim()) : content.trim();
  const earlier = await history(ctx, document.id, session.memoryMessages);
  const seq = Date.now();
  await ctx.host.collections.put(MESSAGES, { data: { sessionId: document.id, role: 'user', content: message, seq } });

  const run = await ctx.host.runs.start(session.graphId, { items: [{ json: { message, history: earlier, sessionId: document.id } }] });
  const finished = await ctx.host.runs.get(run.id, { waitMs: REPLY_WAIT_MS });
  if (finished.status !== 'succeeded') return problem(502, 'reply_failed', `The chat graph's run ${run.id} ended ${finished.status}${finished.error ? `: ${finished.error}` : ' without a reply in time'}.`);
  const first = finished.output?.[0]?.json ?? {};
  const raw = typeof first.reply === 'string' ? first.reply : typeof first.text === 'string' ? first.text : JSON.stringify(first);
  const reply = session.redactPii ? redactPii(raw) : raw;
  await ctx.host.collections.put(MESSAGES, { data: { sessionId: document.id, role: 'assistant', content: reply, seq: seq + 1, runId: run.id } });
  return { status: 200, body: { reply, runId: run.id, message } };
}
