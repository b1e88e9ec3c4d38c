import { z } from 'zod';
import { storableJson, storableText } from './arguments.js';
import { isUniqueViolation } from './collection-indexes.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum entries one `runs.trace` call accepts. */
export const MAX_TRACE_ENTRIES_PER_CALL = 100;

/** Maximum size of one trace entry, in bytes of UTF-8 JSON (64 KiB). */
export const MAX_TRACE_ENTRY_BYTES = 64 * 1024;

/** Maximum entries stored per step attempt. Entries past it are dropped and counted in `dropped`. */
export const MAX_TRACE_ENTRIES_PER_STEP = 2_000;

/** Attempts to insert when a concurrent call of the same step took the same sequence numbers. */
const MAX_INSERT_ATTEMPTS = 5;

/**
 * One trace entry: a JSON object with a `type` such as `thought`, `tool_call` or
 * `observation`, and any other fields the node chooses.
 */
const traceEntry = z
  .object({ type: storableText(64).min(1) })
  .catchall(z.json())
  .superRefine(storableJson(MAX_TRACE_ENTRY_BYTES));

const traceEntries = z
  .array(traceEntry)
  .min(1)
  .max(MAX_TRACE_ENTRIES_PER_CALL, `must contain at most ${MAX_TRACE_ENTRIES_PER_CALL} entries; record the rest in further calls`);

/** Result of `runs.trace`: entries stored, and entries dropped past the per-step limit. */
export interface TraceResult {
  recorded: number;
  dropped: number;
}

/**
 * Appends entries to the trace of the calling step. Each entry gets the next sequence number
 * of the step and `at`, the time the kernel stored it. The insert is guarded by the run's
 * workspace, so a call can write only to a run of its own workspace.
 */
async function appendTrace(scope: HostCallScope, entries: Array<Record<string, unknown>>): Promise<TraceResult> {
  const { runId, stepId, workspaceId } = scope.context;
  if (runId === undefined || stepId === undefined || workspaceId === null) return { recorded: 0, dropped: 0 };

  const at = new Date().toISOString();
  const stamped = entries.map((entry) => ({ ...entry, at }));
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await scope.services.db.query<{ recorded: number; run_found: number }>(
        `with existing as (select count(*)::int as stored, coalesce(max(seq), 0)::int as last from run_step_traces where step_id = $2),
         run as (select 1 from runs where id = $1 and workspace_id = $3),
         inserted as (
           insert into run_step_traces (run_id, step_id, seq, entry)
           select $1, $2, existing.last + entries.position, entries.entry
           from existing, jsonb_array_elements($4::jsonb) with ordinality as entries(entry, position)
           where exists (select 1 from run) and existing.stored + entries.position <= $5
           returning seq)
         select (select count(*) from inserted)::int as recorded, (select count(*) from run)::int as run_found`,
        [runId, stepId, workspaceId, JSON.stringify(stamped), MAX_TRACE_ENTRIES_PER_STEP],
      );
      if (!row || Number(row.run_found) === 0) return { recorded: 0, dropped: 0 };

      const recorded = Number(row.recorded);
      const dropped = entries.length - recorded;
      if (dropped > 0) scope.logger.warn({ runId, stepId, dropped, maxEntries: MAX_TRACE_ENTRIES_PER_STEP }, 'step trace passed its limit; later entries of the step are dropped');
      return { recorded, dropped };
    } catch (error) {
      // Two calls of one step that run at the same time can pick the same sequence numbers; the loser tries again.
      if (!isUniqueViolation(error) || attempt >= MAX_INSERT_ATTEMPTS) throw error;
    }
  }
}

/**
 * `runs.trace(entries)`: stores entries with the calling step attempt, where `GET
 * /api/runs/:id` and the run history return them as the step's `trace`. It needs no
 * permission, because it reaches only the caller's own step. Calls that belong to no step
 * (a route, a hook, a node run outside a run) resolve to `{ recorded: 0, dropped: 0 }`.
 */
export const traceMethods: HostMethod[] = [
  defineHostMethod({
    name: 'runs.trace',
    permission: null,
    parameters: { entries: traceEntries },
    target: () => undefined,
    run: async ({ entries }, scope) => appendTrace(scope, entries),
  }),
];
