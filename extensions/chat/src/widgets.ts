/**
 * Chat widgets: settings that members of a workspace store at the extension level, under
 * ids `<workspace id>:…` that the kernel confines to that workspace. The public route
 * POST /api/chat-widget/message finds a widget there by id and runs its graph in the
 * owning workspace through the widget's run grant.
 */
import type { JsonObject, RouteContext, RouteRequest, RouteResponse } from '@mify/sdk';
import { DEFAULT_MEMORY_MESSAGES, MAX_MEMORY_MESSAGES, problem } from './sessions.js';

export const WIDGETS = 'widgets';
export const WIDGET_MESSAGES = 'widget-messages';
export const EXTENSION_SCOPE = { scope: 'extension' } as const;

/** Default and maximum messages per widget per UTC day. */
export const DEFAULT_DAILY_QUOTA = 1_000;
export const MAX_DAILY_QUOTA = 1_000_000;
/** Default and maximum messages per client IP per minute. */
export const DEFAULT_PER_IP_PER_MINUTE = 20;
export const MAX_PER_IP_PER_MINUTE = 600;
const MAX_ALLOWED_ORIGINS = 20;
const MAX_TITLE_CHARS = 100;
const MAX_GREETING_CHARS = 500;
const ORIGIN_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/;

/** A widget as stored. `grant` lets the public route start and read runs of `graphId` only, and never leaves the kernel's side. */
export interface Widget {
  workspaceId: string;
  graphId: string;
  grant: string;
  title: string;
  greeting: string;
  dailyQuota: number;
  perIpPerMinute: number;
  memoryMessages: number;
  redactPii: boolean;
  /** Origins (`https://shop.example.com`) that may call the message route besides the kernel's own; empty allows any. */
  allowedOrigins: string[];
}

type Settings = Omit<Widget, 'workspaceId' | 'grant'>;

function integerIn(value: unknown, name: string, min: number, max: number, fallback: number): number | string {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`;
  return value;
}

/** Validates settings over `base` (a stored widget on update); returns them or the message of the first problem. */
function parseSettings(body: Record<string, unknown>, base: Settings | null): Settings | string {
  const graphId = body.graphId ?? base?.graphId;
  if (typeof graphId !== 'string' || graphId === '') return 'graphId must name the published graph that answers the messages.';

  const dailyQuota = integerIn(body.dailyQuota, 'dailyQuota', 1, MAX_DAILY_QUOTA, base?.dailyQuota ?? DEFAULT_DAILY_QUOTA);
  if (typeof dailyQuota === 'string') return dailyQuota;
  const perIpPerMinute = integerIn(body.perIpPerMinute, 'perIpPerMinute', 1, MAX_PER_IP_PER_MINUTE, base?.perIpPerMinute ?? DEFAULT_PER_IP_PER_MINUTE);
  if (typeof perIpPerMinute === 'string') return perIpPerMinute;
  const memoryMessages = integerIn(body.memoryMessages, 'memoryMessages', 0, MAX_MEMORY_MESSAGES, base?.memoryMessages ?? DEFAULT_MEMORY_MESSAGES);
  if (typeof memoryMessages === 'string') return memoryMessages;

  const redactPii = body.redactPii ?? base?.redactPii ?? true;
  if (typeof redactPii !== 'boolean') return `redactPii must be true or false, got ${JSON.stringify(redactPii)}.`;

  const title = body.title ?? base?.title ?? 'Chat';
  if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE_CHARS) return `title must be a text of 1-${MAX_TITLE_CHARS} characters.`;
  const greeting = body.greeting ?? base?.greeting ?? '';
  if (typeof greeting !== 'string' || greeting.length > MAX_GREETING_CHARS) return `greeting must be a text of at most ${MAX_GREETING_CHARS} characters.`;

  const allowedOrigins = body.allowedOrigins ?? base?.allowedOrigins ?? [];
  if (!Array.isArray(allowedOrigins) || allowedOrigins.length > MAX_ALLOWED_ORIGINS) return `allowedOrigins must be a list of at most ${MAX_ALLOWED_ORIGINS} origins such as "https://shop.example.com".`;
  const badOrigin = allowedOrigins.find((origin) => typeof origin !== 'string' || !ORIGIN_PATTERN.test(origin));
  if (badOrigin !== undefined) return `allowedOrigins contains ${JSON.stringify(badOrigin)}, which is not an origin; write scheme, host and optional port, such as "https://shop.example.com".`;

  return { graphId, dailyQuota, perIpPerMinute, memoryMessages, redactPii, title: title.trim(), greeting, allowedOrigins: allowedOrigins as string[] };
}

function widgetBody(id: string, widget: Widget): JsonObject {
  const { grant: _grant, ...visible } = widget;
  return { id, ...visible, embedPath: `/embed/chat?widget=${encodeURIComponent(id)}` } as unknown as JsonObject;
}

/** Reads a widget of the caller's workspace; null when missing or another workspace's (the kernel rejects those ids). */
export async function loadOwnWidget(ctx: RouteContext, id: string): Promise<Widget | null> {
  if (!ctx.workspaceId || !id.startsWith(`${ctx.workspaceId}:`)) return null;
  const document = await ctx.host.collections.get(WIDGETS, id, EXTENSION_SCOPE);
  return document ? (document.data as unknown as Widget) : null;
}

async function checkGraph(ctx: RouteContext, graphId: string): Promise<string | null> {
  try {
    await ctx.host.graphs.get(graphId);
    return null;
  } catch {
    return `graphId '${graphId}' is not a graph of this workspace.`;
  }
}

export async function createWidget(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const workspaceId = ctx.workspaceId;
  if (!workspaceId) return problem(401, 'unauthorized', 'Creating a chat widget needs a workspace: sign in or send an API key.');
  const settings = parseSettings((request.body ?? {}) as Record<string, unknown>, null);
  if (typeof settings === 'string') return problem(422, 'validation_failed', settings);
  const graphProblem = await checkGraph(ctx, settings.graphId);
  if (graphProblem) return problem(422, 'validation_failed', graphProblem);

  const { grant } = await ctx.host.runs.grant(settings.graphId);
  const widget: Widget = { workspaceId, grant, ...settings };
  const document = await ctx.host.collections.put(WIDGETS, { data: widget as unknown as JsonObject }, EXTENSION_SCOPE);
  return { status: 201, headers: { location: `/api/chat/widgets/${encodeURIComponent(document.id)}` }, body: widgetBody(document.id, widget) };
}

export async function getWidget(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const id = request.params.id ?? '';
  const widget = await loadOwnWidget(ctx, id);
  if (!widget) return problem(404, 'not_found', `Chat widget '${id}' was not found in this workspace.`);
  return { status: 200, body: widgetBody(id, widget) };
}

/** Replaces settings given in the body; a new graph gets a new grant. */
export async function updateWidget(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const id = request.params.id ?? '';
  const stored = await loadOwnWidget(ctx, id);
  if (!stored) return problem(404, 'not_found', `Chat widget '${id}' was not found in this workspace.`);
  const settings = parseSettings((request.body ?? {}) as Record<string, unknown>, stored);
  if (typeof settings === 'string') return problem(422, 'validation_failed', settings);

  let grant = stored.grant;
  if (settings.graphId !== stored.graphId) {
    const graphProblem = await checkGraph(ctx, settings.graphId);
    if (graphProblem) return problem(422, 'validation_failed', graphProblem);
    grant = (await ctx.host.runs.grant(settings.graphId)).grant;
  }
  const widget: Widget = { workspaceId: stored.workspaceId, grant, ...settings };
  await ctx.host.collections.put(WIDGETS, { id, data: widget as unknown as JsonObject }, EXTENSION_SCOPE);
  return { status: 200, body: widgetBody(id, widget) };
}

/** Lists the stored messages of one widget conversation, as redacted when stored. */
export async function listWidgetMessages(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const id = request.params.id ?? '';
  const widget = await loadOwnWidget(ctx, id);
  if (!widget) return problem(404, 'not_found', `Chat widget '${id}' was not found in this workspace.`);
  const sessionId = request.query.sessionId;
  if (!sessionId) return problem(422, 'validation_failed', 'sessionId is required: pass the widget session id as ?sessionId=.');

  const page = await ctx.host.collections.find(WIDGET_MESSAGES, { where: { conversation: `${id}|${sessionId}` }, orderBy: [{ field: 'seq', direction: 'asc' }], limit: 200 }, EXTENSION_SCOPE);
  return { status: 200, body: { items: page.data.map((document) => ({ role: document.data.role, content: document.data.content, createdAt: document.createdAt })) } as unknown as JsonObject };
}
