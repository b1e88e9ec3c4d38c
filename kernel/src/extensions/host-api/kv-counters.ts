import { z } from 'zod';
import { InvalidArgumentError, storableText } from './arguments.js';
import { MAX_KV_KEY_CHARS } from './kv.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Largest step and ceiling of `kv.increment`, in either direction. Counters stay exact integers in jsonb and in JavaScript below 2^53. */
export const MAX_COUNTER_STEP = 1_000_000_000_000;

/** Maximum window of `kv.increment`, in seconds (400 days). */
export const MAX_COUNTER_WINDOW_SECONDS = 400 * 24 * 60 * 60;

const incrementOptions = z
  .object({
    /** Seconds the counter lives after its first increment; then the next increment starts it again at `by`. Default: no expiry. */
    windowSeconds: z.number().int().min(1).max(MAX_COUNTER_WINDOW_SECONDS).optional(),
    /** Ceiling: an increment that would take the counter above it is not applied. Default: none. */
    max: z.number().int().min(-MAX_COUNTER_STEP).max(MAX_COUNTER_STEP).optional(),
  })
  .strict()
  .optional();

/** Outcome of one `kv.increment`. */
export interface IncrementResult {
  /** The counter after the call: the new value when applied, otherwise the unchanged current value. */
  value: number;
  /** False when the increment would have passed `max`, so the counter was left as it was. */
  applied: boolean;
}

/** The live-row test for the conflicting row `kv` of the upsert below. */
const LIVE = `(kv.expires_at is null or kv.expires_at > now())`;

/**
 * Adds `by` to a numeric counter in one SQL statement: the insert creates the counter, and
 * its conflict branch adds to a live counter or restarts an expired one. PostgreSQL locks
 * the row for the update and re-checks the `where` against the newest version, so
 * concurrent increments are serialised and none passes `max`.
 */
async function incrementCounter(scope: HostCallScope, key: string, by: number, options: z.output<typeof incrementOptions>): Promise<IncrementResult> {
  const max = options?.max ?? null;
  const rows = await scope.services.db.query<{ value: string }>(
    `insert into extension_kv as kv (extension_id, workspace_id, key, value, expires_at, updated_at)
     select $1, $2, $3, to_jsonb($4::numeric), now() + $5::bigint * interval '1 second', now()
     where $6::numeric is null or $4::numeric <= $6::numeric
     on conflict (extension_id, workspace_id, key) do update set
       value = to_jsonb(case when ${LIVE} then (kv.value)::numeric + $4::numeric else $4::numeric end),
       expires_at = case when ${LIVE} then kv.expires_at else excluded.expires_at end,
       updated_at = now()
     where case
       when not ${LIVE} then true
       when jsonb_typeof(kv.value) <> 'number' then false
       else $6::numeric is null or (kv.value)::numeric + $4::numeric <= $6::numeric
     end
     returning (value)::numeric::text as value`,
    [scope.context.extensionId, scope.workspaceKey, key, by, options?.windowSeconds ?? null, max],
  );
  if (rows[0]) return { value: Number(rows[0].value), applied: true };

  // Not applied: report the current value, or explain why the key cannot count.
  const [current] = await scope.services.db.query<{ value: unknown }>(
    `select value from extension_kv where extension_id = $1 and workspace_id = $2 and key = $3 and (expires_at is null or expires_at > now())`,
    [scope.context.extensionId, scope.workspaceKey, key],
  );
  if (current && typeof current.value !== 'number') {
    throw new InvalidArgumentError(`kv.increment: key '${key}' contains a ${Array.isArray(current.value) ? 'array' : typeof current.value} set by kv.set, not a number. Use another key for the counter, or delete this one first.`, [{ path: 'key', message: 'holds a value that is not a number' }]);
  }
  return { value: typeof current?.value === 'number' ? current.value : 0, applied: false };
}

/**
 * Atomic counters on the rows of `kv.*`. A counter is an ordinary key whose value is a
 * number, so `kv.get` reads it and `kv.delete` resets it.
 */
export const kvCounterMethods: HostMethod[] = [
  defineHostMethod({
    name: 'kv.increment',
    permission: 'kv:write',
    parameters: { key: storableText(MAX_KV_KEY_CHARS).min(1), by: z.number().int().min(-MAX_COUNTER_STEP).max(MAX_COUNTER_STEP), options: incrementOptions },
    run: ({ key, by, options }, scope) => incrementCounter(scope, key, by, options),
  }),
];
