import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MifyError, NotFoundError } from '../../errors.js';
import { storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** A run as extensions see it (the SDK's RunRecord). */
export interface HostRunRecord {
  id: string;
  graphId: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  /** Output items of a succeeded run. */
  output?: unknown[];
  /** Usage the steps reported, `{ tokens, inputTokens, outputTokens, costUsd }`, summed over the run. */
  usage?: Record<string, number>;
}

/** The kernel services behind `graphs.*` and `runs.*`, scoped by the caller's workspace. */
export interface HostGraphServices {
  getGraph(workspaceId: string, graphId: string, version: number | undefined): Promise<unknown>;
  listGraphs(workspaceId: string, options: { cursor?: string | undefined; limit: number }): Promise<{ data: unknown[]; nextCursor: string | null }>;
  /** Starts a run of the live version; `runId` sets the new run's id (see StartRunRequest.runId). */
  startRun(workspaceId: string, graphId: string, items: Array<{ json: Record<string, unknown> }>, runId?: string): Promise<HostRunRecord>;
  getRun(workspaceId: string, runId: string): Promise<HostRunRecord>;
}

/** How long a second `runs.start` with the same idempotency key waits for the first, in milliseconds. */
const IDEMPOTENT_WAIT_MS = 10_000;

/**
 * Age after which a claimed idempotency key whose run does not exist is taken over, in
 * milliseconds. Starting a run takes well under this, so such a claim belongs to a call
 * whose process died before the run was stored.
 */
const STALE_CLAIM_MS = 15_000;

/** Maximum wait `runs.get` accepts in `waitMs`, in milliseconds. */
export const MAX_RUN_GET_WAIT_MS = 30_000;

function workspaceOf(scope: HostCallScope, method: string): string {
  if (!scope.context.workspaceId) {
    throw new MifyError(
      'workspace_required',
      409,
      `Extension '${scope.context.extensionId}' called ${method} outside a workspace. Graphs and runs belong to workspaces, so call it while running a node or route of a workspace, or pass a grant from runs.grant.`,
      { extensionId: scope.context.extensionId },
    );
  }
  return scope.context.workspaceId;
}

function graphServices(scope: HostCallScope, method: string): HostGraphServices {
  const services = scope.services.graphs;
  if (!services) throw new MifyError('not_available', 501, `${method} is not available in this kernel: no graph runtime is configured.`);
  return services;
}

export const hashGrant = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Creates a grant with which calls of this extension that run outside a workspace (public
 * routes) start and read runs of one graph of the caller's workspace.
 */
async function createGrant(scope: HostCallScope, graphId: string): Promise<string> {
  const workspaceId = workspaceOf(scope, 'runs.grant');
  await graphServices(scope, 'runs.grant').getGraph(workspaceId, graphId, undefined);
  const token = `rgr_${randomBytes(24).toString('base64url')}`;
  await scope.services.db.query(`insert into run_grants (token_hash, extension_id, workspace_id, graph_id) values ($1, $2, $3, $4)`, [hashGrant(token), scope.context.extensionId, workspaceId, graphId]);
  scope.logger.info({ workspaceId, graphId }, 'run grant created');
  return token;
}

/**
 * Returns the workspace a call acts in: the caller's own, or, outside a workspace, the one of
 * a grant this extension holds for `graphId`.
 *
 * @throws MifyError `invalid_grant` (403) for an unknown grant or one for another graph or extension.
 */
async function actingWorkspace(scope: HostCallScope, method: string, grant: string | undefined, graphId: string | null): Promise<{ workspaceId: string; graphId: string | null }> {
  if (scope.context.workspaceId || grant === undefined) return { workspaceId: workspaceOf(scope, method), graphId: null };
  const [row] = await scope.services.db.query<{ workspace_id: string; graph_id: string }>(`select workspace_id, graph_id from run_grants where token_hash = $1 and extension_id = $2`, [hashGrant(grant), scope.context.extensionId]);
  if (!row || (graphId !== null && row.graph_id !== graphId)) {
    throw new MifyError('invalid_grant', 403, `${method}: the grant is not one that runs.grant returned to extension '${scope.context.extensionId}'${graphId ? ` for graph '${graphId}'` : ''}; create one while serving a member of the graph's workspace.`);
  }
  return { workspaceId: row.workspace_id, graphId: row.graph_id };
}

/**
 * Starts a run once per idempotency key and extension. The first call claims the key in the
 * extension's key-value rows with the id the run will get, then starts the run with that id.
 * A later call returns that run; when the run does not exist and the claim is older than
 * `STALE_CLAIM_MS`, the process that claimed it died before storing the run, so the later
 * call starts it with the same id. A crash therefore never leaves a key that blocks retries.
 */
async function startOnce(scope: HostCallScope, workspaceId: string, idempotencyKey: string, start: (runId: string) => Promise<HostRunRecord>): Promise<HostRunRecord> {
  const { db } = scope.services;
  const key = `__runs.start:${idempotencyKey}`;
  const ownKey = [scope.context.extensionId, scope.workspaceKey, key];
  const runId = `run_${randomBytes(16).toString('hex')}`;
  const claimed = await db.query(
    `insert into extension_kv (extension_id, workspace_id, key, value) values ($1, $2, $3, $4::jsonb) on conflict do nothing returning key`,
    [...ownKey, JSON.stringify({ runId })],
  );
  if (claimed.length === 1) return startOrFind(scope, workspaceId, runId, start);

  const deadline = Date.now() + IDEMPOTENT_WAIT_MS;
  while (Date.now() < deadline) {
    const [row] = await db.query<{ value: unknown; age_ms: number | string }>(
      `select value, extract(epoch from (now() - updated_at)) * 1000 as age_ms from extension_kv where extension_id = $1 and workspace_id = $2 and key = $3`,
      ownKey,
    );
    if (!row) return startOnce(scope, workspaceId, idempotencyKey, start);
    // A claim written before run ids were stored in it contains the run id itself.
    const stored = typeof row.value === 'string' ? row.value : (row.value as { runId?: string }).runId;
    if (typeof stored === 'string' && stored !== 'pending') {
      const existing = await findRun(scope, workspaceId, stored);
      if (existing) return existing;
      if (Number(row.age_ms) > STALE_CLAIM_MS) {
        // Moving updated_at marks the takeover, so one of several concurrent retries does it.
        const taken = await db.query(`update extension_kv set updated_at = now() where extension_id = $1 and workspace_id = $2 and key = $3 and updated_at < now() - make_interval(secs => $4::double precision / 1000) returning key`, [...ownKey, STALE_CLAIM_MS]);
        if (taken.length === 1) {
          scope.logger.warn({ idempotencyKey, runId: stored }, 'runs.start took over a claim whose run was never stored');
          return startOrFind(scope, workspaceId, stored, start);
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new MifyError('conflict', 409, `runs.start with idempotency key '${idempotencyKey}' is still starting in another call; retry it.`);
}

/** Starts the run with `runId`; when another call stored that run meanwhile, returns it. */
async function startOrFind(scope: HostCallScope, workspaceId: string, runId: string, start: (runId: string) => Promise<HostRunRecord>): Promise<HostRunRecord> {
  try {
    return await start(runId);
  } catch (error) {
    const existing = await findRun(scope, workspaceId, runId);
    if (existing) return existing;
    throw error;
  }
}

async function findRun(scope: HostCallScope, workspaceId: string, runId: string): Promise<HostRunRecord | null> {
  try {
    return await graphServices(scope, 'runs.start').getRun(workspaceId, runId);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** Reads a run, and with `waitMs` reads it again until it has finished or the time has passed. */
async function getRun(scope: HostCallScope, workspaceId: string, runId: string, waitMs: number): Promise<HostRunRecord> {
  const services = graphServices(scope, 'runs.get');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const run = await services.getRun(workspaceId, runId);
    if (['succeeded', 'failed', 'cancelled'].includes(run.status) || Date.now() >= deadline) return run;
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now()))));
  }
}

/** `graphs.get`, `graphs.list`, `runs.start`, `runs.get`, on the caller's workspace. */
export const graphRunMethods: HostMethod[] = [
  defineHostMethod({
    name: 'graphs.get',
    permission: 'graphs:read',
    parameters: { id: storableText(200).min(1), options: z.object({ version: z.number().int().min(1).optional() }).strict().optional() },
    target: ({ id }) => id,
    run: async ({ id, options }, scope) => graphServices(scope, 'graphs.get').getGraph(workspaceOf(scope, 'graphs.get'), id, options?.version),
  }),
  defineHostMethod({
    name: 'graphs.list',
    permission: 'graphs:read',
    parameters: { options: z.object({ cursor: storableText(500).optional(), limit: z.number().int().min(1).max(100).default(50) }).strict().default({ limit: 50 }) },
    run: async ({ options }, scope) => graphServices(scope, 'graphs.list').listGraphs(workspaceOf(scope, 'graphs.list'), options),
  }),
  defineHostMethod({
    name: 'runs.start',
    permission: 'runs:start',
    parameters: {
      graphId: storableText(200).min(1),
      options: z
        .object({
          items: z.array(z.object({ json: z.record(z.string(), z.unknown()) })).max(10_000).optional(),
          idempotencyKey: storableText(200).min(1).optional(),
          grant: storableText(200).min(1).optional(),
        })
        .strict()
        .default({}),
    },
    target: ({ graphId }) => graphId,
    run: async ({ graphId, options }, scope) => {
      const { workspaceId } = await actingWorkspace(scope, 'runs.start', options.grant, graphId);
      const services = graphServices(scope, 'runs.start');
      const start = (runId?: string) => services.startRun(workspaceId, graphId, options.items ?? [{ json: {} }], runId);
      const run = options.idempotencyKey ? await startOnce(scope, workspaceId, options.idempotencyKey, start) : await start();
      // A run started through a grant may be streamed by the route that started it.
      if (!scope.context.workspaceId) scope.context.startedRuns?.set(run.id, workspaceId);
      return run;
    },
  }),
  defineHostMethod({
    name: 'runs.get',
    permission: 'runs:read',
    parameters: {
      runId: storableText(200).min(1),
      options: z
        .object({
          grant: storableText(200).min(1).optional(),
          waitMs: z.number().int().min(0).max(MAX_RUN_GET_WAIT_MS).optional(),
        })
        .strict()
        .default({}),
    },
    target: ({ runId }) => runId,
    run: async ({ runId, options }, scope) => {
      const acting = await actingWorkspace(scope, 'runs.get', options.grant, null);
      const run = await getRun(scope, acting.workspaceId, runId, options.waitMs ?? 0);
      // A grant reads only the runs of its own graph.
      if (acting.graphId !== null && run.graphId !== acting.graphId) throw new NotFoundError('Run', runId);
      return run;
    },
  }),
  defineHostMethod({
    name: 'runs.grant',
    permission: 'runs:start',
    parameters: { graphId: storableText(200).min(1) },
    target: ({ graphId }) => graphId,
    run: async ({ graphId }, scope) => ({ grant: await createGrant(scope, graphId) }),
  }),
];
