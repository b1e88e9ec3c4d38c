/**
 * The respond-to-webhook node (`mify.io.respond-to-webhook`). It passes its input items on
 * unchanged on `main` and describes the HTTP response on its `response` port as one item:
 * `{ json: { statusCode, headers, bodyType, body? }, binary?: { body } }`. The kernel reads
 * that item from the step record and sends it to the caller of a webhook whose response
 * mode is `responseNode`.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../errors.js';
import { enumParameter, integerParameter, optionalObject, optionalString, type IoNodeInput } from '../lib/parameters.js';

export const BODY_MODES = ['firstItemJson', 'allItemsJson', 'text', 'binary', 'noData'] as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers that the HTTP server sets itself, or that would let a graph set cookies on the kernel's origin. */
const REJECTED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te', 'set-cookie']);

type BodyType = 'json' | 'text' | 'binary' | 'empty';

function readHeaders(parameters: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(optionalObject(parameters, 'headers') ?? {})) {
    if (!HEADER_NAME.test(name)) throw invalidParameter(`Response header name ${JSON.stringify(name)} is invalid; use letters, digits and - such as X-Request-Source.`);
    const lower = name.toLowerCase();
    if (REJECTED_HEADERS.has(lower)) throw invalidParameter(`Response header '${name}' cannot be set; the kernel's HTTP server sets framing headers, and cookies on the kernel's address are not allowed. Remove it.`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw invalidParameter(`Response header '${name}' must be a string, got ${JSON.stringify(value)?.slice(0, 80)}.`);
    const text = String(value);
    if (/[\r\n\0]/.test(text)) throw invalidParameter(`Response header '${name}' contains a line break or NUL character; remove it.`);
    headers[lower] = text;
  }
  return headers;
}

function readBinary(items: Item[], parameters: Record<string, unknown>): NonNullable<Item['binary']>[string] {
  const property = optionalString(parameters, 'binaryProperty') ?? 'data';
  const first = items[0];
  const attachment = first?.binary?.[property];
  if (!attachment) {
    const available = Object.keys(first?.binary ?? {});
    const hint = available.length > 0 ? `it has ${available.join(', ')}` : 'it has no binary attachments';
    throw invalidParameter(`Body mode binary sends the first item's binary attachment '${property}', but ${first ? hint : 'the node received no items'}. Set binaryProperty to the attachment's name.`);
  }
  return attachment;
}

/** Builds the response description from the parameters and the input items. */
export function buildResponse(items: Item[], parameters: Record<string, unknown>): Item {
  const statusCode = integerParameter(parameters, 'statusCode', { min: 200, max: 599, fallback: 200 });
  const headers = readHeaders(parameters);
  const mode = enumParameter(parameters, 'body', BODY_MODES, 'firstItemJson');

  let bodyType: BodyType;
  let body: unknown;
  let binary: Item['binary'];
  let defaultContentType: string | undefined;
  if (mode === 'firstItemJson' || mode === 'allItemsJson') {
    bodyType = 'json';
    body = mode === 'firstItemJson' ? (items[0]?.json ?? {}) : items.map((item) => item.json);
    defaultContentType = 'application/json; charset=utf-8';
  } else if (mode === 'text') {
    bodyType = 'text';
    body = optionalString(parameters, 'text') ?? '';
    defaultContentType = 'text/plain; charset=utf-8';
  } else if (mode === 'binary') {
    bodyType = 'binary';
    const attachment = readBinary(items, parameters);
    binary = { body: attachment };
    defaultContentType = attachment.mimeType || 'application/octet-stream';
  } else {
    bodyType = 'empty';
  }

  // Statuses 204 and 304 carry no body in HTTP, so the kernel sends none for them.
  if (statusCode === 204 || statusCode === 304) bodyType = 'empty';
  if (bodyType !== 'empty' && defaultContentType && headers['content-type'] === undefined) headers['content-type'] = defaultContentType;

  const json: Record<string, unknown> = { statusCode, headers, bodyType };
  if (bodyType === 'json' || bodyType === 'text') json.body = body as never;
  const response: Item = { json: json as Item['json'] };
  if (bodyType === 'binary' && binary) response.binary = binary;
  return response;
}

export async function executeRespondToWebhook(_ctx: NodeContext, input: IoNodeInput): Promise<{ main: Item[]; response: Item[] }> {
  const response = buildResponse(input.items, input.parameters ?? {});
  return { main: input.items, response: [response] };
}
