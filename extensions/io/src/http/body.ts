/**
 * Request bodies of the HTTP request node: JSON, form-urlencoded, multipart/form-data, text
 * and binary from an item's attachment.
 */
import type { Item } from '@mify/sdk';
import { invalidParameter } from '../errors.js';
import { base64Decode, base64Encode, concatBytes, utf8Encode } from '../lib/bytes.js';
import { encodeFormComponent } from '../lib/url.js';
import { optionalString, parseJsonParameter } from '../lib/parameters.js';

export const BODY_TYPES = ['none', 'json', 'form', 'multipart', 'text', 'binary'] as const;
export type BodyType = (typeof BODY_TYPES)[number];

/** A body ready for `http.fetch`: text or base64, with its content type. */
export interface RequestBody {
  body?: string;
  bodyBase64?: string;
  contentType?: string;
}

/** One part of a multipart body. */
interface MultipartPart {
  name: string;
  value?: unknown;
  binaryProperty?: string;
  fileName?: string;
  contentType?: string;
}

/** Builds the request body of one item. */
export function buildBody(bodyType: BodyType, parameters: Record<string, unknown>, item: Item, randomBoundary: () => string): RequestBody {
  const contentType = optionalString(parameters, 'contentType');

  switch (bodyType) {
    case 'none':
      return {};
    case 'json': {
      const value = parameters.body;
      if (value === undefined) return { body: JSON.stringify(item.json), contentType: contentType ?? 'application/json' };
      // A string is taken as JSON text, so that a template such as {"id": {{ $json.id }}} works.
      const text = typeof value === 'string' ? JSON.stringify(parseJsonParameter(value, 'body')) : JSON.stringify(value);
      return { body: text, contentType: contentType ?? 'application/json' };
    }
    case 'form':
      return { body: formBody(parameters.body), contentType: contentType ?? 'application/x-www-form-urlencoded' };
    case 'multipart': {
      const boundary = `----mify-${randomBoundary()}`;
      return { bodyBase64: base64Encode(multipartBody(parameters.body, item, boundary)), contentType: `multipart/form-data; boundary=${boundary}` };
    }
    case 'text': {
      const value = parameters.body;
      return { body: textOf(value), contentType: contentType ?? 'text/plain; charset=utf-8' };
    }
    case 'binary': {
      const property = optionalString(parameters, 'binaryProperty') ?? 'data';
      const binary = item.binary?.[property];
      if (!binary) {
        const available = Object.keys(item.binary ?? {});
        throw invalidParameter(`The item has no binary attachment '${property}' to send (it has ${available.length === 0 ? 'none' : available.join(', ')}); set 'binaryProperty' to one of its attachments.`);
      }
      return { bodyBase64: binary.data, contentType: contentType ?? binary.mimeType ?? 'application/octet-stream' };
    }
  }
}

/** Returns a parameter value as body text: strings as they are, other values as JSON, nothing as empty. */
function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function formBody(value: unknown): string {
  const fields = typeof value === 'string' ? parseJsonParameter(value, 'body') : value;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw invalidParameter(`Parameter 'body' must be an object of form fields such as { "name": "Ada" } for bodyType form, got ${Array.isArray(fields) ? 'an array' : typeof fields}.`);
  }
  const pairs: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    for (const entry of Array.isArray(field) ? field : [field]) {
      if (entry === undefined || entry === null) continue;
      pairs.push(`${encodeFormComponent(name)}=${encodeFormComponent(typeof entry === 'object' ? JSON.stringify(entry) : String(entry))}`);
    }
  }
  return pairs.join('&');
}

/** Quotes a value for a Content-Disposition parameter, as HTML's form encoding does. */
function quoteDisposition(value: string): string {
  return `"${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
}

function multipartParts(value: unknown): MultipartPart[] {
  const parsed = typeof value === 'string' ? parseJsonParameter(value, 'body') : value;
  if (Array.isArray(parsed)) {
    return parsed.map((part, index) => {
      if (typeof part !== 'object' || part === null || typeof (part as MultipartPart).name !== 'string' || (part as MultipartPart).name === '') {
        throw invalidParameter(`body[${index}] must be a part such as { "name": "file", "binaryProperty": "data" } or { "name": "title", "value": "Report" }.`);
      }
      return part as MultipartPart;
    });
  }
  if (typeof parsed === 'object' && parsed !== null) return Object.entries(parsed).map(([name, field]) => ({ name, value: field }));
  throw invalidParameter(`Parameter 'body' must be an array of parts or an object of fields for bodyType multipart, got ${typeof parsed}.`);
}

function multipartBody(value: unknown, item: Item, boundary: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const part of multipartParts(value)) {
    if (part.contentType !== undefined && (typeof part.contentType !== 'string' || /[\r\n]/.test(part.contentType))) {
      throw invalidParameter(`Multipart part '${part.name}' has a contentType that is not one line of text; write a media type such as image/png.`);
    }
    let header = `--${boundary}\r\nContent-Disposition: form-data; name=${quoteDisposition(part.name)}`;
    let content: Uint8Array;

    if (part.binaryProperty !== undefined) {
      const binary = item.binary?.[part.binaryProperty];
      if (!binary) throw invalidParameter(`Multipart part '${part.name}' refers to the binary attachment '${part.binaryProperty}', which the item does not have.`);
      const bytes = base64Decode(binary.data);
      if (bytes === null) throw invalidParameter(`The binary attachment '${part.binaryProperty}' is not valid base64.`);
      content = bytes;
      header += `; filename=${quoteDisposition(part.fileName ?? binary.fileName ?? part.binaryProperty)}\r\nContent-Type: ${part.contentType ?? binary.mimeType ?? 'application/octet-stream'}`;
    } else {
      content = utf8Encode(textOf(part.value));
      if (part.fileName !== undefined) header += `; filename=${quoteDisposition(part.fileName)}`;
      if (part.contentType !== undefined) header += `\r\nContent-Type: ${part.contentType}`;
    }

    chunks.push(utf8Encode(`${header}\r\n\r\n`), content, utf8Encode('\r\n'));
  }
  chunks.push(utf8Encode(`--${boundary}--\r\n`));
  return concatBytes(chunks);
}
