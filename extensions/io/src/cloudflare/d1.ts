/**
 * D1 through the REST API: POST `…/d1/database/<database id>/query` with `{ sql, params }`.
 * The result is one entry per SQL statement, each `{ results, success, meta }`.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../errors.js';
import { enumParameter, parametersFor, parseJsonParameter, requiredString, type IoNodeInput } from '../lib/parameters.js';
import { cloudflareCall, segment } from './client.js';
import { connectionCache, withOutput } from './common.js';

/** One statement's result as D1 returns it. */
interface D1StatementResult {
  results?: Array<Record<string, unknown>>;
  success?: boolean;
  meta?: Record<string, unknown>;
}

function readSqlParams(parameters: Record<string, unknown>): unknown[] {
  let value = parameters.params;
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') value = parseJsonParameter(value, 'params');
  if (!Array.isArray(value)) throw invalidParameter(`Parameter 'params' must be an array of values bound to the ? placeholders, such as ["{{ $json.email }}", 42].`);
  value.forEach((entry, index) => {
    if (entry !== null && typeof entry === 'object') throw invalidParameter(`params[${index}] is ${Array.isArray(entry) ? 'an array' : 'an object'}; bind strings, numbers, booleans or null, and JSON-encode structured values first.`);
  });
  return value;
}

/** Runs the Cloudflare D1 node: one query per input item. */
export async function executeD1(ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  const connectionFor = connectionCache(ctx);
  const items = input.items.length === 0 ? [{ json: {} }] : input.items;
  const output: Item[] = [];

  for (let index = 0; index < items.length; index++) {
    const parameters = parametersFor(input, index);
    const databaseId = requiredString(parameters, 'databaseId', 'the database id (a UUID) from the D1 dashboard');
    const sql = requiredString(parameters, 'sql', 'SELECT * FROM users WHERE id = ?');
    // NOTE: Cloudflare's API reference types params as strings; numbers and booleans are sent as JSON values, which D1 binds with their own types.
    const params = readSqlParams(parameters);
    const mode = enumParameter(parameters, 'output', ['rows', 'statements'] as const, 'rows');
    const call = await connectionFor(parameters);

    const envelope = await cloudflareCall<D1StatementResult[]>(
      ctx,
      call.connection,
      { operation: `D1 query on database '${databaseId}'`, tokenPermission: 'D1 Edit', method: 'POST', path: `/d1/database/${segment(databaseId)}/query`, json: { sql, params } },
      call.options,
    );
    const statements = Array.isArray(envelope.result) ? envelope.result : [];
    if (mode === 'statements') {
      output.push(withOutput(items[index]!, parameters, 'd1', statements));
      continue;
    }
    for (const statement of statements) for (const row of statement.results ?? []) output.push({ json: row });
  }
  return { items: output };
}
