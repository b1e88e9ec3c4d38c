import { z } from 'zod';
import { MifyError } from '../../errors.js';
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
}

/** The kernel services behind `graphs.*` and `runs.*`, scoped by the caller's workspace. */
export interface HostGraphServices {
  getGraph(workspaceId: string, graphId: string, version: number | undefined): Promise<unknown>;
  listGraphs(workspaceId: string, options: { cursor?: string | undefined; limit: number }): Promise<{ data: unknown[]; nextCursor: string | null }>;
  startRun(workspaceId: string, graphId: string, items: Array<{ json: Record<string, unknown> }>): Promise<HostRunRecord>;
  getRun(workspaceId: string, runId: string): Promise<HostRunRecord>;
}

/** How long a second `runs.start` with the same idempotency key waits for the first, in milliseconds. */
const IDEMPOTENT_WAIT_MS = 10_000;

function workspaceOf(scope: HostCallScope, method: string): string {
  if (!scope.context.workspaceId) {
    throw new MifyError(
      'workspace_required',
      409,
      `Extension '${scope.context.extensionId}' called ${method} outside a workspace. Graphs and runs belong to workspaces, so call it while running a node or route of a workspace.`,
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

/**
 * Starts a run once per idempotency key and extension: the first call claims the key in
 * the extension's key-value rows, later calls wait for that run id and return the same run.
 */
async function startOnce(scope: HostCallScope, workspaceId: string, idempotencyKey: string, start: () => Promise<HostRunRecord>): Promise<HostRunRecord> {
  const { db } = scope.services;
  const key = `__runs.start:${idempotencyKey}`;
  const claimed = await db.query(
    `insert into extension_kv (extension_id, workspace_id, key, value) values ($1, $2, $3, '"pending"'::jsonb) on conflict do nothing returning key`,
    [scope.context.extensionId, scope.workspaceKey, key],
  );
  if (claimed.length === 1) {
    try {
      const run = await start();
      await db.query(`update extension_kv set value = $4::jsonb, updated_at = now() where extension_id = $1 and workspace_id = $2 and key = $3`, [scope.context.extensionId, scope.workspaceKey, key, JSON.stringify(run.id)]);
      return run;
    } catch (error) {
      await db.query(`delete from extension_kv where extension_id = $1 and workspace_id = $2 and key = $3`, [scope.context.extensionId, scope.workspaceKey, key]);
      throw error;
    }
  }

  const deadline = Date.now() + IDEMPOTENT_WAIT_MS;
  while (Date.now() < deadline) {
    const [row] = await db.query<{ value: unknown }>(`select value from extension_kv where extension_id = $1 and workspace_id = $2 and key = $3`, [scope.context.extensionId, scope.workspaceKey, key]);
    if (!row) break;
    if (typeof row.value === 'string' && row.value !== 'pending') return graphServices(scope, 'runs.start').getRun(workspaceId, row.value);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new MifyError('conflict', 409, `runs.start with idempotency key '${idempotencyKey}' is still starting in another call; retry it.`);
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
        .object({ items: z.array(z.object({ json: z.record(z.string(), z.unknown()) })).max(10_000).optional(), idempotencyKey: storableText(200).min(1).optional() })
        .strict()
        .default({}),
    },
    target: ({ graphId }) => graphId,
    run: async ({ graphId, options }, scope) => {
      const workspaceId = workspaceOf(scope, 'runs.start');
      const services = graphServices(scope, 'runs.start');
      const start = () => services.startRun(workspaceId, graphId, options.items ?? [{ json: {} }]);
      return options.idempotencyKey ? startOnce(scope, workspaceId, options.idempotencyKey, start) : start();
    },
  }),
  defineHostMethod({
    name: 'runs.get',
    permission: 'runs:read',
    parameters: { runId: storableText(200).min(1) },
    target: ({ runId }) => runId,
    run: async ({ runId }, scope) => graphServices(scope, 'runs.get').getRun(workspaceOf(scope, 'runs.get'), runId),
  }),
];
