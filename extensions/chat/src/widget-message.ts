/**
 * The public chat widget routes: POST /api/chat-widget/message answers a visitor's message
 * with the widget's graph, after a per-IP rate limit and the widget's daily quota, with the
 * visitor's conversation (per widget session id) as memory.
 */
import type { JsonObject, RouteContext, RouteRequest, RouteResponse } from '@mify/sdk';
import { redactPii } from './pii.js';
import { MAX_MESSAGE_CHARS, problem } from './sessions.js';
import { EXTENSION_SCOPE, WIDGET_MESSAGES, WIDGETS, type Widget } from './widgets.js';

/** Widget session ids: chosen by the embed page and kept in the visitor's browser. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{8,100}$/;
/** Time a message waits for the graph's reply, in milliseconds. */
const REPLY_WAIT_MS = 25_000;
/** Lifetime of a daily quota counter, in seconds: two days, so the counter of a UTC day outlives that day wherever its first message fell. */
const QUOTA_COUNTER_SECONDS = 2 * 24 * 60 * 60;

async function loadWidget(ctx: RouteContext, id: unknown): Promise<{ id: string; widget: Widget } | null> {
  if (typeof id !== 'string' || id === '' || id.length > 256) return null;
  const document = await ctx.host.collections.get(WIDGETS, id, EXTENSION_SCOPE);
  return document ? { id, widget: document.data as unknown as Widget } : null;
}

/**
 * True when the request comes from the kernel's own origin (the /embed/chat page), has no Origin, or from an allowed one.
 * NOTE: this restricts sites that call the route directly. Which sites may frame /embed/chat
 * is not restricted, because the studio sends no per-widget frame-ancestors header.
 */
function originAllowed(widget: Widget, request: RouteRequest): boolean {
  const origin = request.headers.origin;
  if (!origin || widget.allowedOrigins.length === 0) return true;
  const ownHost = request.headers['x-forwarded-host'] ?? request.headers.host;
  if (ownHost && origin.replace(/^https?:\/\//, '') === ownHost) return true;
  return widget.allowedOrigins.includes(origin);
}

/** Returns the public part of a widget, which the embed page shows. */
export async function getWidgetConfig(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const found = await loadWidget(ctx, request.params.id);
  if (!found) return problem(404, 'not_found', `Chat widget '${request.params.id}' does not exist; check the widget id in the embed URL.`);
  return { status: 200, headers: { 'cache-control': 'no-store' }, body: { id: found.id, title: found.widget.title, greeting: found.widget.greeting } };
}

async function conversationHistory(ctx: RouteContext, conversation: string, limit: number): Promise<Array<{ role: string; content: string }>> {
  if (limit === 0) return [];
  const page = await ctx.host.collections.find(WIDGET_MESSAGES, { where: { conversation }, orderBy: [{ field: 'seq', direction: 'desc' }], limit }, EXTENSION_SCOPE);
  return page.data.reverse().map((document) => ({ role: String(document.data.role), content: String(document.data.content) }));
}

/** Stores one message of a conversation under the owning workspace's id prefix, so its members can read it. */
async function storeMessage(ctx: RouteContext, widget: Widget, conversation: string, message: { role: string; content: string; runId?: string }): Promise<void> {
  const { value: seq } = await ctx.host.kv.increment(`seq:${conversation}`, 1);
  await ctx.host.collections.put(WIDGET_MESSAGES, { id: `${widget.workspaceId}:m:${conversation}:${seq}`, data: { conversation, seq, ...message } }, EXTENSION_SCOPE);
}

export async function postWidgetMessage(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const found = await loadWidget(ctx, body.widgetId);
  if (!found) return problem(404, 'not_found', `Chat widget ${JSON.stringify(body.widgetId ?? null)} does not exist; send the id of a widget created with POST /api/chat/widgets as widgetId.`);
  const { id: widgetId, widget } = found;
  if (!originAllowed(widget, request)) return problem(403, 'origin_not_allowed', `Origin ${request.headers.origin} may not use chat widget '${widgetId}'; add it to the widget's allowedOrigins.`);

  const sessionId = body.sessionId;
  if (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId)) return problem(422, 'validation_failed', `sessionId must be 8-100 letters, digits, '_' or '-', got ${JSON.stringify(sessionId ?? null)}.`);
  const content = body.content;
  if (typeof content !== 'string' || content.trim() === '' || content.length > MAX_MESSAGE_CHARS) return problem(422, 'validation_failed', `content must be a text of 1-${MAX_MESSAGE_CHARS} characters.`);

  // The rate limit comes first, so one client flooding the route cannot use up the widget's quota for everyone.
  const clientIp = request.caller?.clientIp ?? 'unknown';
  const hit = await ctx.host.limits.hit(`widget-ip:${widgetId}:${clientIp}`, widget.perIpPerMinute, 60);
  if (!hit.allowed) {
    const response = problem(429, 'rate_limited', `Too many messages from this address: the limit is ${widget.perIpPerMinute} per minute. Try again in ${hit.retryAfterSeconds} s.`);
    return { ...response, headers: { ...response.headers, 'retry-after': String(hit.retryAfterSeconds) } };
  }
  const day = new Date().toISOString().slice(0, 10);
  const quota = await ctx.host.kv.increment(`quota:${widgetId}:${day}`, 1, { windowSeconds: QUOTA_COUNTER_SECONDS, max: widget.dailyQuota });
  if (!quota.applied) return problem(429, 'quota_exhausted', `This chat has answered its ${widget.dailyQuota} messages for today (UTC); try again tomorrow.`);

  const conversation = `${widgetId}|${sessionId}`;
  const message = widget.redactPii ? redactPii(content.trim()) : content.trim();
  const earlier = await conversationHistory(ctx, conversation, widget.memoryMessages);
  await storeMessage(ctx, widget, conversation, { role: 'user', content: message });

  const run = await ctx.host.runs.start(widget.graphId, {
    grant: widget.grant,
    items: [{ json: { message, history: earlier, sessionId, widgetId } }],
    ...(request.idempotencyKey ? { idempotencyKey: `chat-widget:${conversation}:${request.idempotencyKey}` } : {}),
  });
  const finished = await ctx.host.runs.get(run.id, { grant: widget.grant, waitMs: REPLY_WAIT_MS });
  if (finished.status !== 'succeeded') {
    ctx.log.warn('chat widget run did not succeed', { widgetId, runId: run.id, status: finished.status });
    return problem(502, 'reply_failed', `The chat could not answer (run ${run.id} ended ${finished.status}); try again.`);
  }

  const first = finished.output?.[0]?.json ?? {};
  let raw = JSON.stringify(first);
  if (typeof first.text === 'string') raw = first.text;
  if (typeof first.reply === 'string') raw = first.reply;
  const reply = widget.redactPii ? redactPii(raw) : raw;
  await storeMessage(ctx, widget, conversation, { role: 'assistant', content: reply, runId: run.id });
  return { status: 200, body: { reply, message, remainingToday: widget.dailyQuota - quota.value } as unknown as JsonObject };
}
