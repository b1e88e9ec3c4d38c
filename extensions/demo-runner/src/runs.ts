/**
 * Demo runs: a visitor starts a starter template by id and reads its status and events.
 * Every start passes a per-IP rate limit and reserves tokens on a global counter per UTC
 * day, whose ceiling the database enforces (`kv.increment` with `max`). The run's measured
 * usage replaces the reservation once its status is read after it finished.
 */
import type { JsonObject, RouteContext, RouteRequest, RouteResponse } from '@mify/sdk';

/** Starts per client IP per hour. */
export const STARTS_PER_IP_PER_HOUR = 20;
/** Maximum size of a start's `input`, in characters of JSON. */
export const MAX_INPUT_CHARS = 16_000;
/** Maximum `waitMs` of a status read, in milliseconds. */
const MAX_STATUS_WAIT_MS = 25_000;
/** Lifetime of a day's token counter and of a run's record, in seconds: two days, longer than the UTC day they belong to. */
const DAY_RECORD_SECONDS = 2 * 24 * 60 * 60;
const TEMPLATE_ID_PATTERN = /^[a-z0-9-]{1,64}$/;

/** Record of a demo run this extension started; only runs with one can be read. */
interface DemoRun {
  templateId: string;
  grant: string;
  /** Tokens reserved on `tokens:<day>` at the start. */
  reserved: number;
  day: string;
}

export function problem(status: number, code: string, detail: string, headers: Record<string, string> = {}): RouteResponse {
  return { status, headers: { 'content-type': 'application/problem+json', ...headers }, body: { type: `https://mify.dev/problems/${code.replace(/_/g, '-')}`, title: code.replace(/_/g, ' '), status, code, detail } };
}

/** Returns a host call error's code and message, so kernel rejections (demo off, unknown template) reach the visitor. */
function hostError(error: unknown): { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : 'internal', message: typeof message === 'string' ? message : String(error) };
}

/** A template's demo graph with this extension's run grant for it, cached in kv. */
interface PreparedTemplate {
  grant: string;
  graphId: string;
  estimatedTokens: number;
}

function utcDay(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Returns the cached run grant of a template's demo graph, asking the kernel for one on first use. */
async function templateGrant(ctx: RouteContext, templateId: string, fresh: boolean): Promise<PreparedTemplate> {
  const key = `grant:${templateId}`;
  const cached = fresh ? null : ((await ctx.host.kv.get(key)) as PreparedTemplate | null);
  if (cached) return cached;

  const prepared = await ctx.host.demo.prepare(templateId);
  const entry: PreparedTemplate = { grant: prepared.grant, graphId: prepared.graphId, estimatedTokens: prepared.estimatedTokens };
  await ctx.host.kv.set(key, entry as unknown as JsonObject);
  return entry;
}

export async function startRun(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const templateId = body.templateId;
  if (typeof templateId !== 'string' || !TEMPLATE_ID_PATTERN.test(templateId)) return problem(422, 'validation_failed', `templateId must be the id of a starter template (GET /api/home/templates lists them), got ${JSON.stringify(templateId ?? null)}.`);
  const input = body.input ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return problem(422, 'validation_failed', 'input must be a JSON object, the run\'s input item.');
  if (JSON.stringify(input).length > MAX_INPUT_CHARS) return problem(422, 'validation_failed', `input must be at most ${MAX_INPUT_CHARS} characters of JSON.`);

  let settings: { dailyTokens: number; minTokensPerRun: number };
  let prepared: PreparedTemplate;
  try {
    settings = await ctx.host.demo.settings();
    prepared = await templateGrant(ctx, templateId, false);
  } catch (error) {
    const { code, message } = hostError(error);
    if (code === 'demo_disabled' || code === 'template_not_found') return problem(404, code, message);
    throw error;
  }

  const clientIp = request.caller?.clientIp ?? 'unknown';
  const hit = await ctx.host.limits.hit(`start:${clientIp}`, STARTS_PER_IP_PER_HOUR, 60 * 60);
  if (!hit.allowed) return problem(429, 'rate_limited', `Too many demo runs from this address: the limit is ${STARTS_PER_IP_PER_HOUR} per hour. Try again in ${hit.retryAfterSeconds} s.`, { 'retry-after': String(hit.retryAfterSeconds) });

  // The reservation is taken before the run starts, so concurrent starts cannot pass the ceiling together.
  const day = utcDay();
  const reserved = Math.max(prepared.estimatedTokens, settings.minTokensPerRun);
  const reservation = await ctx.host.kv.increment(`tokens:${day}`, reserved, { windowSeconds: DAY_RECORD_SECONDS, max: settings.dailyTokens });
  if (!reservation.applied) return problem(429, 'token_ceiling_reached', `The demo runs have used today's ${settings.dailyTokens} tokens (UTC); try again tomorrow.`);

  const items = [{ json: input as Record<string, unknown> }];
  const idempotency = request.idempotencyKey ? { idempotencyKey: `demo:${clientIp}:${request.idempotencyKey}` } : {};
  let run;
  try {
    run = await ctx.host.runs.start(prepared.graphId, { grant: prepared.grant, items, ...idempotency }).catch(async (error: unknown) => {
      // A stale cached grant (its graph was deleted since) is replaced once.
      if (hostError(error).code !== 'invalid_grant' && hostError(error).code !== 'not_found') throw error;
      prepared = await templateGrant(ctx, templateId, true);
      return ctx.host.runs.start(prepared.graphId, { grant: prepared.grant, items, ...idempotency });
    });
  } catch (error) {
    await ctx.host.kv.increment(`tokens:${day}`, -reserved);
    throw error;
  }

  const record: DemoRun = { templateId, grant: prepared.grant, reserved, day };
  await ctx.host.kv.set(`run:${run.id}`, record as unknown as JsonObject, { ttlMs: DAY_RECORD_SECONDS * 1_000 });
  ctx.log.info('demo run started', { runId: run.id, templateId, reserved });
  return {
    status: 202,
    headers: { location: `/api/public-demo-run/${run.id}/status` },
    body: { runId: run.id, templateId, status: run.status, statusUrl: `/api/public-demo-run/${run.id}/status`, eventsUrl: `/api/public-demo-run/${run.id}/events` },
  };
}

async function loadRun(ctx: RouteContext, runId: string | undefined): Promise<DemoRun | null> {
  if (!runId || runId.length > 200) return null;
  return (await ctx.host.kv.get(`run:${runId}`)) as DemoRun | null;
}

/** Replaces the run's reservation with its measured tokens (at least the minimum), once per run. */
async function settleTokens(ctx: RouteContext, runId: string, run: DemoRun, usedTokens: number, minTokensPerRun: number): Promise<void> {
  const first = await ctx.host.kv.increment(`settled:${runId}`, 1, { windowSeconds: DAY_RECORD_SECONDS, max: 1 });
  if (!first.applied) return;

  const delta = Math.max(usedTokens, minTokensPerRun) - run.reserved;
  if (delta !== 0) await ctx.host.kv.increment(`tokens:${run.day}`, delta, { windowSeconds: DAY_RECORD_SECONDS });
}

export async function runStatus(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const runId = request.params.runId;
  const run = await loadRun(ctx, runId);
  if (!run) return problem(404, 'not_found', `Demo run '${runId}' was not found; use the runId that POST /api/public-demo-run/start returned within the last two days.`);
  const waitMs = Number(request.query.waitMs ?? 0);
  if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_STATUS_WAIT_MS) return problem(422, 'validation_failed', `waitMs must be a whole number of milliseconds from 0 to ${MAX_STATUS_WAIT_MS}, got ${JSON.stringify(request.query.waitMs)}.`);

  const record = await ctx.host.runs.get(runId!, { grant: run.grant, waitMs });
  const tokens = record.usage?.tokens ?? 0;
  const finished = record.finishedAt !== null;
  if (finished) await settleTokens(ctx, runId!, run, tokens, (await ctx.host.demo.settings()).minTokensPerRun);

  return {
    status: 200,
    body: {
      runId: record.id,
      templateId: run.templateId,
      status: record.status,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      tokens,
      ...(record.error ? { error: record.error } : {}),
      ...(record.output ? { output: record.output } : {}),
    } as unknown as JsonObject,
  };
}

export async function runEvents(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const runId = request.params.runId;
  const run = await loadRun(ctx, runId);
  if (!run) return problem(404, 'not_found', `Demo run '${runId}' was not found; use the runId that POST /api/public-demo-run/start returned within the last two days.`);
  return { stream: { runId: runId!, grant: run.grant } };
}
