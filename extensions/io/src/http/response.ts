/**
 * Turning an HTTP response into items: parsed JSON, text or a binary attachment, with the
 * status and headers.
 */
import type { BinaryData, HttpResponse, Item } from '@mify/sdk';
import { IoError } from '../errors.js';
import { base64Encode, utf8Encode } from '../lib/bytes.js';
import { lastPathSegment, redactUrl } from '../lib/url.js';
import { valueAtPath } from '../lib/parameters.js';

export const RESPONSE_FORMATS = ['auto', 'json', 'text', 'binary'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

/** A response body in the form the node's `responseFormat` selects. */
export type DecodedBody = { kind: 'json'; value: unknown } | { kind: 'text'; value: string } | { kind: 'binary'; value: BinaryData };

function isJsonType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** Returns the file name of a `Content-Disposition` header, or of the URL's last path segment. */
function fileNameOf(response: HttpResponse, url: string): string | undefined {
  const disposition = response.headers['content-disposition'] ?? '';
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      // Fall back to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  if (plain) return plain[1]!.trim();
  const segment = lastPathSegment(url);
  return segment === '' ? undefined : segment;
}

/** Decodes a response body according to `format`; `auto` picks by the content type. */
export function decodeBody(response: HttpResponse, format: ResponseFormat, url: string): DecodedBody {
  const contentType = response.headers['content-type'] ?? '';
  let chosen: ResponseFormat = format;
  if (chosen === 'auto') {
    if (response.bodyBase64 !== undefined) chosen = 'binary';
    else if (isJsonType(contentType)) chosen = 'json';
    else chosen = 'text';
  }

  if (chosen === 'binary') {
    // The kernel sends base64 only for non-text types; a text body is encoded back to UTF-8.
    const data = response.bodyBase64 ?? base64Encode(utf8Encode(response.body));
    const fileName = fileNameOf(response, url);
    const mimeType = contentType.split(';')[0]!.trim() || 'application/octet-stream';
    return { kind: 'binary', value: { mimeType, data, ...(fileName === undefined ? {} : { fileName }) } };
  }
  if (chosen === 'text') return { kind: 'text', value: response.body };

  if (response.body.trim() === '') return { kind: 'json', value: null };
  try {
    return { kind: 'json', value: JSON.parse(response.body) };
  } catch (error) {
    throw new IoError(
      'invalid_response',
      `The response from ${redactUrl(url)} (HTTP ${response.status}, content type ${JSON.stringify(contentType)}) is not valid JSON: ${(error as Error).message}. Body starts with ${JSON.stringify(response.body.slice(0, 120))}; set responseFormat to text to keep it as text.`,
    );
  }
}

/**
 * Returns the records of a page: the array at `itemsPath` of a JSON body, the body itself
 * when it is an array, or null when the page has no list to count.
 */
export function pageRecords(body: DecodedBody, itemsPath: string | undefined): unknown[] | null {
  if (body.kind !== 'json') return null;
  const value = itemsPath === undefined ? body.value : valueAtPath(body.value, itemsPath);
  return Array.isArray(value) ? value : null;
}

/** Builds the output of one response in `full` mode: status, headers and body in the item's JSON. */
export function fullItem(response: HttpResponse, body: DecodedBody, extra: Record<string, unknown>, binaryProperty: string): Item {
  const json: Record<string, unknown> = { status: response.status, statusText: (response as HttpResponse & { statusText?: string }).statusText ?? '', headers: response.headers, ...extra };
  if (body.kind === 'binary') return { json: { ...json, binaryProperty }, binary: { [binaryProperty]: body.value } };
  json.body = body.value;
  return { json };
}

/**
 * Builds the output of one response in `body` mode: a JSON object becomes the item, an
 * array (or the array at `itemsPath`) becomes one item per element, text goes to `body`.
 */
export function bodyItems(body: DecodedBody, itemsPath: string | undefined, binaryProperty: string): Item[] {
  if (body.kind === 'binary') return [{ json: {}, binary: { [binaryProperty]: body.value } }];
  if (body.kind === 'text') return [{ json: { body: body.value } }];

  const records = pageRecords(body, itemsPath);
  const toItem = (value: unknown): Item => ({ json: typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value } });
  if (records !== null) return records.map(toItem);
  if (itemsPath !== undefined) {
    const value = valueAtPath(body.value, itemsPath);
    if (value === undefined || value === null) return [];
    throw new IoError('invalid_response', `The response has no array at itemsPath '${itemsPath}'; check the path against the response, such as data.items.`);
  }
  return body.value === null ? [] : [toItem(body.value)];
}
