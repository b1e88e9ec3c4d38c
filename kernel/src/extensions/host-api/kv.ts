import { z } from 'zod';
import type { Database } from '../../storage/database.js';
import { jsonValue, MAX_STORED_JSON_BYTES, storableJson, storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum length of a key, in characters. */
export const MAX_KV_KEY_CHARS = 512;

/** Maximum number of entries one `kv.list` returns. */
export const MAX_KV_LIST_LIMIT = 1_000;

/** Maximum time to live of an entry, in milliseconds (10 years). */
export const MAX_KV_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1_000;

const key = storableText(MAX_KV_KEY_CHARS).min(1);

const setOptions = z
  .object({
    ttlMs: z.number().int().min(1).max(MAX_KV_TTL_MS).optional(),
  })
  .strict()
  .optional();

const listOptions = z
  .object({
    prefix: storableText(MAX_KV_KEY_CHARS).default(''),
    limit: z.number().int().min(1).max(MAX_KV_LIST_LIMIT).default(100),
    cursor: storableText(MAX_KV_KEY_CHARS).optional(),
  })
  .strict()
  .default({ prefix: '', limit: 100 });

/** Rows of one extension in one workspace, and only those whose time to live has not run out. */
const OWN_LIVE_ROWS = `extension_id = $1 and workspace_id = $2 and (expires_at is null or expires_at > now())`;

async function getValue(scope: HostCallScope, entryKey: string): Promise<unknown> {
  const rows = await scope.services.db.query<{ value: unknown }>(
    `select value from extension_kv where ${OWN_LIVE_ROWS} and key = $3`,
    [scope.context.extensionId, scope.workspaceKey, entryKey],
  );
  return rows[0]?.value ?? null;
}

async function setValue(scope: HostCallScope, entryKey: string, value: unknown, ttlMs: number | undefined): Promise<void> {
  // The database clock sets the expiry, so every kernel process agrees on it.
  await scope.services.db.query(
    `insert into extension_kv (extension_id, workspace_id, key, value, expires_at, updated_at)
     values ($1, $2, $3, $4::jsonb, now() + $5::bigint * interval '1 millisecond', now())
     on conflict (extension_id, workspace_id, key)
     do update set value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    [scope.context.extensionId, scope.workspaceKey, entryKey, JSON.stringify(value), ttlMs ?? null],
  );
}

/** Deletes a key; returns whether it existed and had not expired. */
async function deleteValue(scope: HostCallScope, entryKey: string): Promise<boolean> {
  const rows = await scope.services.db.query<{ live: boolean }>(
    `delete from extension_kv where extension_id = $1 and workspace_id = $2 and key = $3
     returning (expires_at is null or expires_at > now()) as live`,
    [scope.context.extensionId, scope.workspaceKey, entryKey],
  );
  return rows[0]?.live === true;
}

async function listValues(scope: HostCallScope, options: z.output<typeof listOptions>) {
  const rows = await scope.services.db.query<{ key: string; value: unknown; expires_at: Date | string | null }>(
    `select key, value, expires_at from extension_kv
     where ${OWN_LIVE_ROWS} and starts_with(key, $3) and ($4::text is null or key > $4::text)
     order by key
     limit $5`,
    [scope.context.extensionId, scope.workspaceKey, options.prefix, options.cursor ?? null, options.limit + 1],
  );

  const page = rows.slice(0, options.limit);
  return {
    data: page.map((row) => ({ key: row.key, value: row.value, expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString() })),
    nextCursor: rows.length > options.limit ? page[page.length - 1]!.key : null,
  };
}

/**
 * Deletes entries whose time to live has run out, of every extension. Reads already skip
 * them; this only frees the space.
 *
 * @returns the number of rows deleted
 */
export async function purgeExpiredKeyValues(db: Database): Promise<number> {
  const rows = await db.query<{ count: number | string }>(
    `with gone as (delete from extension_kv where expires_at <= now() returning 1) select count(*) as count from gone`,
  );
  return Number(rows[0]?.count ?? 0);
}

/**
 * Key-value methods on table `extension_kv`, namespaced by extension and workspace. Values
 * are JSON of at most `MAX_STORED_JSON_BYTES`; an entry with `ttlMs` disappears from reads
 * once that many milliseconds have passed.
 */
export const kvMethods: HostMethod[] = [
  defineHostMethod({
    name: 'kv.get',
    permission: 'kv:read',
    parameters: { key },
    run: ({ key: entryKey }, scope) => getValue(scope, entryKey),
  }),
  defineHostMethod({
    name: 'kv.set',
    permission: 'kv:write',
    parameters: { key, value: jsonValue.superRefine(storableJson(MAX_STORED_JSON_BYTES)), options: setOptions },
    run: ({ key: entryKey, value, options }, scope) => setValue(scope, entryKey, value, options?.ttlMs),
  }),
  defineHostMethod({
    name: 'kv.delete',
    permission: 'kv:write',
    parameters: { key },
    run: ({ key: entryKey }, scope) => deleteValue(scope, entryKey),
  }),
  defineHostMethod({
    name: 'kv.list',
    permission: 'kv:read',
    parameters: { options: listOptions },
    run: ({ options }, scope) => listValues(scope, options),
  }),
];
