import { z } from 'zod';
import { MifyError, NotFoundError } from '../../errors.js';
import { storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum time one `runs.wait` call waits, in milliseconds (5 minutes). */
export const MAX_RUN_WAIT_MS = 300_000;

/** Default time `runs.wait` waits, in milliseconds. */
const DEFAULT_RUN_WAIT_MS = 60_000;

/** First and longest pause between two reads of the run, in milliseconds. */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 500;

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** A run as `runs.wait` returns it: the SDK's RunRecord with the output items of a succeeded run. */
interface WaitedRun {
  id: string;
  graphId: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  /** Output items as recorded; `outputTruncated` is true when the record keeps only a preview. */
  output?: unknown[];
  outputTruncated?: boolean;
}

interface RunRow {
  id: string;
  graph_id: string | null;
  status: string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  error: { message?: string } | null;
  output: { items?: unknown[]; truncated?: boolean } | null;
}

function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function toWaitedRun(row: RunRow): WaitedRun {
  const run: WaitedRun = { id: row.id, graphId: row.graph_id ?? '', status: row.status, startedAt: iso(row.started_at), finishedAt: iso(row.finished_at) };
  if (row.error?.message) run.error = row.error.message;
  if (row.status === 'succeeded' && row.output) {
    run.output = row.output.items ?? [];
    run.outputTruncated = row.output.truncated === true;
  }
  return run;
}

/**
 * Reads the run until it has finished or `timeoutMs` has passed, with growing pauses between
 * reads, and returns it as it then is. The read is scoped by the caller's workspace.
 */
async function waitForRun(scope: HostCallScope, runId: string, timeoutMs: number): Promise<WaitedRun> {
  const workspaceId = scope.context.workspaceId;
  if (!workspaceId) {
    throw new MifyError('workspace_required', 409, `Extension '${scope.context.extensionId}' called runs.wait outside a workspace. Runs belong to workspaces, so call it while running a node or route of a workspace.`);
  }

  const deadline = Date.now() + timeoutMs;
  let pauseMs = FIRST_POLL_MS;
  for (;;) {
    const [row] = await scope.services.db.query<RunRow>(
      'select id, graph_id, status, started_at, finished_at, error, output from runs where id = $1 and workspace_id = $2',
      [runId, workspaceId],
    );
    if (!row) throw new NotFoundError('Run', runId);
    if (FINISHED.has(row.status) || Date.now() >= deadline) return toWaitedRun(row);

    await new Promise((resolve) => setTimeout(resolve, Math.min(pauseMs, Math.max(0, deadline - Date.now()))));
    pauseMs = Math.min(pauseMs * 2, MAX_POLL_MS);
  }
}

/**
 * `runs.wait(runId, { timeoutMs })`: waits until a run of the caller's workspace has finished
 * and returns it with its output items, or returns it unfinished when `timeoutMs` passes.
 * Needs `runs:read`. The call's own time limit still applies, so a sandbox call that would
 * outlast it should wait in several shorter calls.
 */
export const runWaitMethods: HostMethod[] = [
  defineHostMethod({
    name: 'runs.wait',
    permission: 'runs:read',
    parameters: {
      runId: storableText(200).min(1),
      options: z.object({ timeoutMs: z.number().int().min(0).max(MAX_RUN_WAIT_MS, `must be at most ${MAX_RUN_WAIT_MS} ms; wait again with a further call`).optional() }).strict().default({}),
    },
    target: ({ runId }) => runId,
    run: async ({ runId, options }, scope) => waitForRun(scope, runId, options.timeoutMs ?? DEFAULT_RUN_WAIT_MS),
  }),
];
