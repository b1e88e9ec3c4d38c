/**
 * Byte helpers for the sandbox, which has no Buffer, atob or TextDecoder: base64 decoding,
 * UTF-8 decoding through fflate, and a stable content hash.
 */
import { strFromU8, strToU8 } from 'fflate';
import { RagError } from '../errors.js';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = new Int16Array(128).fill(-1);
for (let index = 0; index < BASE64_ALPHABET.length; index += 1) BASE64_VALUES[BASE64_ALPHABET.charCodeAt(index)] = index;
// The URL-safe alphabet's two letters decode too.
BASE64_VALUES['-'.charCodeAt(0)] = 62;
BASE64_VALUES['_'.charCodeAt(0)] = 63;

/** Decodes base64 (standard or URL-safe, padding optional, whitespace ignored). `label` names the value in error messages. */
export function decodeBase64(text: string, label: string): Uint8Array {
  const clean = text.replace(/[\s=]+/g, '');
  if (clean.length % 4 === 1) throw new RagError('invalid_argument', `${label} is not valid base64: its length without padding (${clean.length}) cannot be a whole number of bytes. Send the document base64-encoded, or as text.`);
  const output = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let length = 0;
  for (let index = 0; index < clean.length; index += 1) {
    const code = clean.charCodeAt(index);
    const value = code < 128 ? BASE64_VALUES[code]! : -1;
    if (value < 0) throw new RagError('invalid_argument', `${label} is not valid base64: character '${clean[index]}' at position ${index}. Send the document base64-encoded, or as text.`);
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      output[length] = (buffer >> bits) & 0xff;
      length += 1;
    }
  }
  return output.subarray(0, length);
}

/** Decodes UTF-8, dropping a byte-order mark. Invalid sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return strFromU8(bytes.subarray(start));
}

/** Decodes bytes as Latin-1: one character per byte. */
export function decodeLatin1(bytes: Uint8Array): string {
  let text = '';
  for (let start = 0; start < bytes.length; start += 8192) text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  return text;
}

export function encodeUtf8(text: string): Uint8Array {
  return strToU8(text);
}

/**
 * 64-bit FNV-1a hash of a string's UTF-16 code units, as 16 hex digits. Used for document ids
 * derived from content, which must be stable across runs, not secure.
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= BigInt(text.charCodeAt(index));
    hash = (hash * prime) & mask;
  }
  return hash.toString(16).padStart(16, '0');
}
