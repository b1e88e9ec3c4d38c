/**
 * R2 objects through Cloudflare's REST API, the one wrangler's `r2 object` commands use:
 * GET, PUT and DELETE on `…/r2/buckets/<bucket>/objects/<key>`, and GET `…/objects` to list.
 * The S3-compatible endpoint (`<account>.r2.cloudflarestorage.com`, SigV4 keys) is not used.
 *
 * NOTE: Cloudflare's public API reference documents R2 buckets but not these object
 * endpoints. Their shapes here follow wrangler's use of them: an object body on GET, the
 * JSON envelope otherwise, and a list whose `result` is an array of objects (or an object
 * with `objects`) with the next cursor in `result_info.cursor`.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { invalidParameter, IoError } from '../errors.js';
import { base64Encode, utf8Encode } from '../lib/bytes.js';
import { enumParameter, integerParameter, optionalInteger, optionalString, requiredString, type IoNodeInput } from '../lib/parameters.js';
import type { QueryPair } from '../lib/url.js';
import { cloudflareCall, cloudflareFetch, segment } from './client.js';
import { executeStorageNode, withOutput, type CloudflareCall } from './common.js';

const PERMISSION_READ = 'Workers R2 Storage Read';
const PERMISSION_WRITE = 'Workers R2 Storage Write';

/** Largest object key R2 accepts, in bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

function bucketOf(parameters: Record<string, unknown>): string {
  const bucket = requiredString(parameters, 'bucket', 'my-bucket');
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw invalidParameter(`Parameter 'bucket' is ${JSON.stringify(bucket)}; R2 bucket names have 3 to 63 lower-case letters, digits and hyphens, and start and end with a letter or digit.`);
  }
  return bucket;
}

function keyOf(parameters: Record<string, unknown>): string {
  const key = requiredString(parameters, 'key', 'reports/{{ $json.id }}.pdf');
  if (utf8Encode(key).length > MAX_OBJECT_KEY_BYTES) throw invalidParameter(`Parameter 'key' is longer than R2's maximum of ${MAX_OBJECT_KEY_BYTES} bytes; shorten it.`);
  return key;
}

function objectPath(bucket: string, key: string): string {
  return `/r2/buckets/${segment(bucket)}/objects/${segment(key)}`;
}

async function put(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item> {
  const bucket = bucketOf(parameters);
  const key = keyOf(parameters);
  const source = enumParameter(parameters, 'source', ['binary', 'text', 'json'] as const, 'binary');
  const headers: Record<string, string> = {};
  let bodyBase64: string;

  if (source === 'binary') {
    const property = optionalString(parameters, 'binaryProperty') ?? 'data';
    const binary = item.binary?.[property];
    if (!binary) {
      const available = Object.keys(item.binary ?? {});
      throw invalidParameter(`The item has no binary attachment '${property}' to upload (it has ${available.length === 0 ? 'none' : available.join(', ')}); set 'binaryProperty', or set source to text or json.`);
    }
    bodyBase64 = binary.data;
    headers['content-type'] = binary.mimeType || 'application/octet-stream';
  } else {
    const content = parameters.content;
    if (content === undefined || content === null) throw invalidParameter(`Parameter 'content' is required when source is ${source}; set it, for example to {{ $json.report }}.`);
    const text = source === 'json' || typeof content !== 'string' ? JSON.stringify(content) : content;
    bodyBase64 = base64Encode(utf8Encode(text));
    headers['content-type'] = source === 'json' ? 'application/json' : 'text/plain; charset=utf-8';
  }
  const contentType = optionalString(parameters, 'contentType');
  if (contentType !== undefined) {
    if (/[\r\n]/.test(contentType)) throw invalidParameter(`Parameter 'contentType' must be one line, such as image/png.`);
    headers['content-type'] = contentType;
  }

  const envelope = await cloudflareCall(ctx, call.connection, { operation: `R2 put of '${bucket}/${key}'`, tokenPermission: PERMISSION_WRITE, method: 'PUT', path: objectPath(bucket, key), headers, bodyBase64 }, call.options);
  return withOutput(item, parameters, 'r2', { bucket, key, operation: 'put', object: envelope.result ?? null });
}

async function get(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item> {
  const bucket = bucketOf(parameters);
  const key = keyOf(parameters);
  const format = enumParameter(parameters, 'format', ['binary', 'text', 'json'] as const, 'binary');
  const maxResponseBytes = optionalInteger(parameters, 'maxResponseBytes', { min: 1, max: 1024 * 1024 * 1024, unit: 'bytes' });
  const response = await cloudflareFetch(
    ctx,
    call.connection,
    { operation: `R2 get of '${bucket}/${key}'`, tokenPermission: PERMISSION_READ, method: 'GET', path: objectPath(bucket, key), headers: { accept: '*/*' }, ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }) },
    call.options,
  );

  if (format === 'text') return withOutput(item, parameters, 'content', response.body);
  if (format === 'json') {
    try {
      return withOutput(item, parameters, 'content', JSON.parse(response.body));
    } catch (error) {
      throw new IoError('invalid_response', `R2 object '${bucket}/${key}' is not valid JSON (${(error as Error).message}); read it with format text or binary.`);
    }
  }
  const property = optionalString(parameters, 'binaryProperty') ?? 'data';
  const data = response.bodyBase64 ?? base64Encode(utf8Encode(response.body));
  const fileName = key.slice(key.lastIndexOf('/') + 1) || key;
  const mimeType = response.headers['content-type']?.split(';')[0]?.trim() || 'application/octet-stream';
  return { json: { ...item.json, r2: { bucket, key, operation: 'get', etag: response.headers.etag ?? null } }, binary: { ...item.binary, [property]: { mimeType, fileName, data } } };
}

async function remove(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item> {
  const bucket = bucketOf(parameters);
  const key = keyOf(parameters);
  await cloudflareCall(ctx, call.connection, { operation: `R2 delete of '${bucket}/${key}'`, tokenPermission: PERMISSION_WRITE, method: 'DELETE', path: objectPath(bucket, key) }, call.options);
  return withOutput(item, parameters, 'r2', { bucket, key, operation: 'delete', deleted: true });
}

async function list(ctx: NodeContext, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item[]> {
  const bucket = bucketOf(parameters);
  const prefix = optionalString(parameters, 'prefix');
  const delimiter = optionalString(parameters, 'delimiter');
  const limit = integerParameter(parameters, 'limit', { min: 1, max: 100_000, fallback: 1000 });
  const output: Item[] = [];
  let cursor: string | undefined;

  do {
    const query: QueryPair[] = [['per_page', String(Math.min(1000, limit - output.length))]];
    if (prefix !== undefined) query.push(['prefix', prefix]);
    if (delimiter !== undefined) query.push(['delimiter', delimiter]);
    if (cursor !== undefined) query.push(['cursor', cursor]);
    const envelope = await cloudflareCall<unknown>(ctx, call.connection, { operation: `R2 list of bucket '${bucket}'`, tokenPermission: PERMISSION_READ, method: 'GET', path: `/r2/buckets/${segment(bucket)}/objects`, query }, call.options);

    const result = envelope.result as { objects?: unknown[] } | unknown[] | null;
    let objects: unknown[] = [];
    if (Array.isArray(result)) objects = result;
    else if (Array.isArray(result?.objects)) objects = result.objects;
    for (const object of objects) {
      if (output.length >= limit) break;
      output.push({ json: { bucket, ...(object as Record<string, unknown>) } });
    }
    const info = envelope.result_info ?? {};
    const next = info.cursor;
    const truncated = info.is_truncated;
    cursor = typeof next === 'string' && next !== '' && truncated !== false && truncated !== 'false' && objects.length > 0 ? next : undefined;
  } while (cursor !== undefined && output.length < limit);
  return output;
}

/** Runs the Cloudflare R2 node: get, put and delete per item, or list once per item. */
export function executeR2(ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  return executeStorageNode(ctx, input, { get, put, remove, list });
}
