/** `multipart/form-data` bodies (RFC 7578) built in the sandbox, for file uploads through `http.fetch`. */
import { bytesToBase64, utf8Bytes } from './bytes.js';

/** A form field: text, or a file with its name, media type and bytes. */
export type FormField = { name: string; value: string } | { name: string; fileName: string; mimeType: string; bytes: Uint8Array };

/** Escapes a value for a quoted header parameter: quotes and line breaks are percent-encoded, as browsers do. */
function quoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * Builds a multipart body and returns its content type (with the boundary) and its bytes
 * as base64, ready for `http.fetch`'s `bodyBase64`.
 *
 * @example
 * const form = buildMultipart([{ name: 'model', value: 'whisper-1' }, { name: 'file', fileName: 'a.mp3', mimeType: 'audio/mpeg', bytes }], 'b1');
 * // form.contentType === 'multipart/form-data; boundary=b1'
 */
export function buildMultipart(fields: FormField[], boundary: string): { contentType: string; bodyBase64: string; byteLength: number } {
  const parts: Uint8Array[] = [];
  for (const field of fields) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(field.name)}"`;
    if ('bytes' in field) head += `; filename="${quoted(field.fileName)}"\r\nContent-Type: ${field.mimeType}`;
    parts.push(utf8Bytes(`${head}\r\n\r\n`));
    parts.push('bytes' in field ? field.bytes : utf8Bytes(field.value));
    parts.push(utf8Bytes('\r\n'));
  }
  parts.push(utf8Bytes(`--${boundary}--\r\n`));

  const byteLength = parts.reduce((sum, part) => sum + part.length, 0);
  const body = new Uint8Array(byteLength);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.length;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, bodyBase64: bytesToBase64(body), byteLength };
}
