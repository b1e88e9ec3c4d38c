/**
 * Vectorize (v2 indexes) through the REST API: POST `…/vectorize/v2/indexes/<index>/query`
 * with `{ vector, topK, returnValues, returnMetadata, filter, namespace }`, and POST
 * `…/upsert` with newline-delimited JSON vectors (`application/x-ndjson`).
 */
import type { Item, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../errors.js';
import { booleanParameter, enumParameter, integerParameter, optionalObject, optionalString, parametersFor, parseJsonParameter, requiredString, type IoNodeInput } from '../lib/parameters.js';
import { cloudflareCall, segment } from './client.js';
import { connectionCache, withOutput } from './common.js';

/** Largest `topK`: Cloudflare allows 100, or 20 when values or all metadata are returned. */
export const MAX_TOP_K = 100;
export const MAX_TOP_K_WITH_DATA = 20;

/** Largest number of vectors sent in one upsert request. */
export const MAX_UPSERT_BATCH = 1000;

const PERMISSION = 'Vectorize Edit';

function indexPath(parameters: Record<string, unknown>, action: 'query' | 'upsert'): { index: string; path: string } {
  const index = requiredString(parameters, 'index', 'my-index');
  return { index, path: `/vectorize/v2/indexes/${segment(index)}/${action}` };
}

function readVector(value: unknown, name: string): number[] {
  const vector = typeof value === 'string' ? parseJsonParameter(value, name) : value;
  if (!Array.isArray(vector) || vector.length === 0 || !vector.every((entry) => typeof entry === 'number' && Number.isFinite(entry))) {
    throw invalidParameter(`Parameter '${name}' must be a non-empty array of finite numbers, such as {{ $json.embedding }}; got ${Array.isArray(vector) ? `an array of ${vector.length} values that are not all numbers` : typeof vector}.`);
  }
  return vector as number[];
}

async function query(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: Awaited<ReturnType<ReturnType<typeof connectionCache>>>): Promise<Item[]> {
  const { index, path } = indexPath(parameters, 'query');
  const vector = readVector(parameters.vector ?? item.json.embedding, 'vector');
  const returnValues = booleanParameter(parameters, 'returnValues', false);
  const returnMetadata = enumParameter(parameters, 'returnMetadata', ['none', 'indexed', 'all'] as const, 'none');
  const maxTopK = returnValues || returnMetadata === 'all' ? MAX_TOP_K_WITH_DATA : MAX_TOP_K;
  const topK = integerParameter(parameters, 'topK', { min: 1, max: maxTopK, fallback: 5 });
  const body: Record<string, unknown> = { vector, topK, returnValues, returnMetadata };
  const filter = optionalObject(parameters, 'filter');
  if (filter !== undefined) body.filter = filter;
  const namespace = optionalString(parameters, 'namespace');
  if (namespace !== undefined) body.namespace = namespace;

  const envelope = await cloudflareCall<{ count?: number; matches?: Array<Record<string, unknown>> }>(ctx, call.connection, { operation: `Vectorize query of index '${index}'`, tokenPermission: PERMISSION, method: 'POST', path, json: body }, call.options);
  const matches = envelope.result?.matches ?? [];
  if (booleanParameter(parameters, 'splitMatches', false)) return matches.map((match, rank) => ({ json: { ...match, rank: rank + 1 } }));
  return [withOutput(item, parameters, 'matches', matches)];
}

/** Runs the Cloudflare Vectorize node: a query per item, or one upsert of every item's vector in batches. */
export async function executeVectorize(ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  const connectionFor = connectionCache(ctx);
  const items = input.items.length === 0 ? [{ json: {} }] : input.items;
  const first = parametersFor(input, 0);
  const operation = enumParameter(first, 'operation', ['query', 'upsert'] as const, 'query');

  if (operation === 'query') {
    const output: Item[] = [];
    for (let index = 0; index < items.length; index++) {
      const parameters = parametersFor(input, index);
      output.push(...(await query(ctx, items[index]!, parameters, await connectionFor(parameters))));
    }
    return { items: output };
  }

  // Upsert: the vectors of all items go to one index, in batches of batchSize lines.
  const call = await connectionFor(first);
  const { index, path } = indexPath(first, 'upsert');
  const batchSize = integerParameter(first, 'batchSize', { min: 1, max: MAX_UPSERT_BATCH, fallback: 500 });
  const lines = items.map((item, position) => {
    const parameters = parametersFor(input, position);
    const id = optionalString(parameters, 'id') ?? (typeof item.json.id === 'string' || typeof item.json.id === 'number' ? String(item.json.id) : undefined);
    if (id === undefined || id.length > 64) throw invalidParameter(`Item ${position} has no vector id of at most 64 characters; set 'id', for example to {{ $json.id }}.`);
    const vector: Record<string, unknown> = { id, values: readVector(parameters.values ?? item.json.embedding ?? item.json.values, 'values') };
    const metadata = optionalObject(parameters, 'metadata');
    if (metadata !== undefined) vector.metadata = metadata;
    const namespace = optionalString(parameters, 'namespace');
    if (namespace !== undefined) vector.namespace = namespace;
    return JSON.stringify(vector);
  });

  const output: Item[] = [];
  for (let start = 0; start < lines.length; start += batchSize) {
    const batch = lines.slice(start, start + batchSize);
    const envelope = await cloudflareCall<{ mutationId?: string }>(
      ctx,
      call.connection,
      { operation: `Vectorize upsert into index '${index}'`, tokenPermission: PERMISSION, method: 'POST', path, headers: { 'content-type': 'application/x-ndjson' }, body: `${batch.join('\n')}\n` },
      call.options,
    );
    for (let position = start; position < start + batch.length; position++) {
      output.push(withOutput(items[position]!, parametersFor(input, position), 'vectorize', { index, operation: 'upsert', mutationId: envelope.result?.mutationId ?? null }));
    }
  }
  return { items: output };
}
