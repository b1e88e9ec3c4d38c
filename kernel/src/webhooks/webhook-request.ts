import type { Item } from '../graphs/model.js';
import { BadRequestError } from '../errors.js';

/** Request headers never copied into the run's input, because they carry credentials. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
/** Name of the binary attachment that contains a raw body which is neither JSON nor text. */
export const RAW_BODY_PROPERTY = 'data';

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json$/;
const TEXT_TYPE = /^(text\/[a-z0-9.+-]+|application\/([a-z0-9.+-]*\+)?xml|application\/javascript|application\/x-ndjson)$/;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Groups repeated names into arrays: `a=1&a=2&b=3` becomes `{ a: ['1', '2'], b: '3' }`. */
function groupPairs(pairs: Iterable<[string, string]>): Record<string, string | string[]> {
  const grouped: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const existing = grouped[name];
    if (existing === undefined) grouped[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else grouped[name] = [existing, value];
  }
  return grouped;
}

function decodeText(bytes: Uint8Array, contentType: string): string {
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    // The charset label is unknown, so fall back to UTF-8, the only sensible default for a web request.

    return new TextDecoder('utf-8').decode(bytes);
  }
}

/**
 * Builds the run's input item from a webhook request:
 * `{ json: { method, path, headers, query, body, receivedAt }, binary? }`.
 * `body` is parsed JSON for JSON types, fields for form-urlencoded, and text for text and XML
 * types. For other types it is null, and the raw bytes are the binary attachment `data`.
 *
 * @param hiddenHeaders lower-case names left out of `headers` besides Authorization and
 * Cookie, such as the header that carries a shared secret.
 * @throws BadRequestError `webhook_invalid_json` for a JSON content type with a malformed body.
 */
export async function readWebhookRequest(request: Request, input: { method: string; path: string; hiddenHeaders: Iterable<string>; receivedAt: Date }): Promise<Item> {
  const hidden = new Set([...CREDENTIAL_HEADERS, ...input.hiddenHeaders]);
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    if (!hidden.has(name)) headers[name] = value;
  }
  const query = groupPairs(new URL(request.url).searchParams);

  const contentType = request.headers.get('content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const bytes = request.body ? new Uint8Array(await request.arrayBuffer()) : new Uint8Array(0);

  let body: unknown = null;
  let binary: Item['binary'];
  if (bytes.length > 0) {
    if (JSON_TYPE.test(mediaType)) {
      const text = decodeText(bytes, contentType);
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new BadRequestError('webhook_invalid_json', `The request body is not valid JSON (${(error as Error).message}) although Content-Type is '${contentType}'. Send valid JSON, or another Content-Type.`);
      }
    } else if (mediaType === FORM_TYPE) {
      body = groupPairs(new URLSearchParams(decodeText(bytes, contentType)));
    } else if (TEXT_TYPE.test(mediaType)) {
      body = decodeText(bytes, contentType);
    } else {
      binary = { [RAW_BODY_PROPERTY]: { mimeType: mediaType || 'application/octet-stream', data: Buffer.from(bytes).toString('base64') } };
    }
  }

  const item: Item = { json: { method: input.method, path: input.path, headers, query, body, receivedAt: input.receivedAt.toISOString() } };
  if (binary) item.binary = binary;
  return item;
}
