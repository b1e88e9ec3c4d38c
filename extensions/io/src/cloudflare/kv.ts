/**
 * Workers KV through the REST API: `…/storage/kv/namespaces/<namespace id>/values/<key>`
 * for get, put and delete, and `…/keys` for list. Values are sent and returned as they are
 * stored, not in the JSON envelope.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { invalidParameter, IoError } from '../errors.js';
import { base64Decode, base64Encode, concatBytes, utf8Encode } from '../lib/bytes.js';
import { enumParameter, integerParameter, optionalInteger, optionalObject, optionalString, requiredString, booleanParameter, type IoNodeInput } from '../lib/parameters.js';
import type { QueryPair } from '../lib/url.js';
import { cloudflareCall, cloudflareFetch, segment } from './client.js';
import { executeStorageNode, withOutput, type CloudflareCall } from './common.js';

const PERMISSION_READ = 'Workers KV Storage Read';
const PERMISSION_WRITE = 'Workers KV Storage Write';

/** Largest key Cloudflare accepts, in bytes. */
export const MAX_KEY_BYTES = 512;

/** Smallest `expirationTtl` Cloudflare accepts, in seconds. */
export const MIN_EXPIRATION_TTL_SECONDS = 60;

function keyOf(parameters: Record<string, unknown>): string {
  const key = requiredString(parameters, 'key', '{{ $json.id }}');
  if (key === '.' || key === '..') throw invalidParameter(`Parameter 'key' is ${JSON.stringify(key)}, which KV does not allow; choose another key.`);
  if (utf8Encode(key).length > MAX_KEY_BYTES) throw invalidParameter(`Parameter 'key' is longer than KV's maximum of ${MAX_KEY_BYTES} bytes; shorten it.`);
  return key;
}

function valuePath(parameters: Record<string, unknown>, key: string): string {
  return `/storage/kv/namespaces/${segment(requiredString(parameters, 'namespaceId', 'the namespace id from the KV dashboard'))}/values/${segment(key)}`;
}

/** Builds a multipart/form-data body with the `value` and `metadata` parts that KV expects. */
function multipartValue(value: Uint8Array, metadata: Record<string, unknown>): { bodyBase64: string; contentType: string } {
  const boundary = `----mify-kv-${Math.random().toString(36).slice(2)}`;
  const parts = [
    utf8Encode(`--${boundary}\r\nContent-Disposition: form-data; name="value"\r\n\r\n`),
    value,
    utf8Encode(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${JSON.stringify(metadata)}\r\n--${boundary}--\r\n`),
  ];
  return { bodyBase64: base64Encode(concatBytes(parts)), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function put(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item> {
  const key = keyOf(parameters);
  const valueType = enumParameter(parameters, 'valueType', ['text', 'json', 'binary'] as const, 'text');
  let bytes: Uint8Array | null = null;
  let bodyBase64: string | undefined;
  if (valueType === 'binary') {
    const property = optionalString(parameters, 'binaryProperty') ?? 'data';
    const binary = item.binary?.[property];
    if (!binary) throw invalidParameter(`The item has no binary attachment '${property}' to store; set 'binaryProperty' to one of its attachments.`);
    bodyBase64 = binary.data;
  } else {
    const value = parameters.value;
    if (value === undefined || value === null) throw invalidParameter(`Parameter 'value' is required for put; set it, for example to {{ $json.text }}.`);
    const text = valueType === 'text' && typeof value === 'string' ? value : JSON.stringify(value);
    bytes = utf8Encode(text);
  }

  const query: QueryPair[] = [];
  const ttl = optionalInteger(parameters, 'expirationTtl', { min: MIN_EXPIRATION_TTL_SECONDS, max: 10 * 365 * 24 * 3600, unit: 'seconds' });
  const expiration = optionalInteger(parameters, 'expiration', { min: 1, max: 253_402_300_799, unit: 'seconds since 1970' });
  if (ttl !== undefined) query.push(['expiration_ttl', String(ttl)]);
  else if (expiration !== undefined) query.push(['expiration', String(expiration)]);

  const metadata = optionalObject(parameters, 'metadata');
  let request: { body?: string; bodyBase64?: string; headers: Record<string, string> };
  if (metadata !== undefined) {
    const source = bytes ?? base64Decode(bodyBase64!);
    if (source === null) throw invalidParameter(`The binary attachment '${optionalString(parameters, 'binaryProperty') ?? 'data'}' is not valid base64.`);
    const multipart = multipartValue(source, metadata);
    request = { bodyBase64: multipart.bodyBase64, headers: { 'content-type': multipart.contentType } };
  } else if (bytes !== null) {
    request = { bodyBase64: base64Encode(bytes), headers: { 'content-type': 'application/octet-stream' } };
  } else {
    request = { bodyBase64: bodyBase64!, headers: { 'content-type': 'application/octet-stream' } };
  }

  await cloudflareCall(ctx, call.connection, { operation: `KV put of key '${key}'`, tokenPermission: PERMISSION_WRITE, method: 'PUT', path: valuePath(parameters, key), query, ...request }, call.options);
  return withOutput(item, parameters, 'kv', { key, operation: 'put', stored: true });
}

async function get(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item> {
  const key = keyOf(parameters);
  const valueType = enumParameter(parameters, 'valueType', ['text', 'json', 'binary'] as const, 'text');
  const failIfMissing = booleanParameter(parameters, 'failIfMissing', false);

  let response;
  try {
    response = await cloudflareFetch(ctx, call.connection, { operation: `KV get of key '${key}'`, tokenPermission: PERMISSION_READ, method: 'GET', path: valuePath(parameters, key), headers: { accept: '*/*' } }, call.options);
  } catch (error) {
    // KV returns 404 with code 10009 for a missing key; unless asked to fail, that is a null value.
    if (!failIfMissing && error instanceof IoError && error.code === 'not_found' && (error.details as { codes?: number[] } | undefined)?.codes?.includes(10009)) {
      return withOutput(item, parameters, 'value', null);
    }
    throw error;
  }

  if (valueType === 'binary') {
    const property = optionalString(parameters, 'binaryProperty') ?? 'data';
    const data = response.bodyBase64 ?? base64Encode(utf8Encode(response.body));
    return { ...item, binary: { ...item.binary, [property]: { mimeType: response.headers['content-type']?.split(';')[0] || 'application/octet-stream', fileName: key, data } } };
  }
  if (valueType === 'json') {
    try {
      return withOutput(item, parameters, 'value', JSON.parse(response.body));
    } catch (error) {
      throw new IoError('invalid_response', `KV value of key '${key}' is not valid JSON (${(error as Error).message}); read it with valueType text.`);
    }
  }
  return withOutput(item, parameters, 'value', response.body);
}

async function remove(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item> {
  const key = keyOf(parameters);
  await cloudflareCall(ctx, call.connection, { operation: `KV delete of key '${key}'`, tokenPermission: PERMISSION_WRITE, method: 'DELETE', path: valuePath(parameters, key) }, call.options);
  return withOutput(item, parameters, 'kv', { key, operation: 'delete', deleted: true });
}

interface KvKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

async function list(ctx: NodeContext, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item[]> {
  const namespaceId = requiredString(parameters, 'namespaceId', 'the namespace id from the KV dashboard');
  const prefix = optionalString(parameters, 'prefix');
  const limit = integerParameter(parameters, 'limit', { min: 1, max: 100_000, fallback: 1000 });
  const output: Item[] = [];
  let cursor: string | undefined;

  do {
    // Cloudflare returns 10 to 1000 keys per page.
    const query: QueryPair[] = [['limit', String(Math.max(10, Math.min(1000, limit - output.length)))]];
    if (prefix !== undefined) query.push(['prefix', prefix]);
    if (cursor !== undefined) query.push(['cursor', cursor]);
    const envelope = await cloudflareCall<KvKey[]>(ctx, call.connection, { operation: `KV list of namespace '${namespaceId}'`, tokenPermission: PERMISSION_READ, method: 'GET', path: `/storage/kv/namespaces/${segment(namespaceId)}/keys`, query }, call.options);
    for (const key of envelope.result ?? []) {
      if (output.length >= limit) break;
      output.push({ json: { ...key } });
    }
    const next = envelope.result_info?.cursor;
    cursor = typeof next === 'string' && next !== '' ? next : undefined;
  } while (cursor !== undefined && output.length < limit);
  return output;
}

/** Runs the Cloudflare KV node: get, put and delete per item, or list once per item. */
export function executeKv(ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  return executeStorageNode(ctx, input, { get, put, remove, list });
}
