/**
 * Decoders for payloads hidden in text. The sandbox has no `atob` or `TextDecoder`, so
 * they are written here. A decoded run counts only when it reads as text: at least
 * `MIN_DECODED_LENGTH` characters, at least 90 % of them printable ASCII or whitespace, and
 * at least one space, which random tokens and binary data rarely pass.
 */

/** Shortest base64 run decoded, in characters (encodes 15 bytes). */
const MIN_BASE64_RUN = 20;
/** Shortest decoded text kept, in characters. */
const MIN_DECODED_LENGTH = 10;
/** Most runs decoded per string, so a text packed with tokens cannot make a scan slow. */
const MAX_RUNS = 20;

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = new Map<string, number>([...BASE64_ALPHABET].map((character, index) => [character, index]));
BASE64_VALUES.set('-', 62);
BASE64_VALUES.set('_', 63);

/** Decodes the base64 (or base64url) runs of `text` that contain readable text. */
export function decodeBase64Text(text: string): string[] {
  const decoded: string[] = [];
  const runs = text.match(new RegExp(`[A-Za-z0-9+/_-]{${MIN_BASE64_RUN},}={0,2}`, 'g')) ?? [];
  for (const run of runs.slice(0, MAX_RUNS)) {
    const readable = readableText(base64Bytes(run.replace(/=+$/, '')));
    if (readable !== null) decoded.push(readable);
  }
  return decoded;
}

function base64Bytes(run: string): number[] {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const character of run) {
    const value = BASE64_VALUES.get(character);
    if (value === undefined) return [];
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

/** Decodes runs of hexadecimal byte pairs, plain (`69676e6f7265`) or as `\x69` escapes, that contain readable text. */
export function decodeHexText(text: string): string[] {
  const decoded: string[] = [];
  const runs = text.match(/(?:\\x[0-9A-Fa-f]{2}){8,}|(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){12,}/g) ?? [];
  for (const run of runs.slice(0, MAX_RUNS)) {
    const pairs = run.replace(/\\x|[ :]/g, '').match(/../g) ?? [];
    const readable = readableText(pairs.map((pair) => parseInt(pair, 16)));
    if (readable !== null) decoded.push(readable);
  }
  return decoded;
}

function readableText(bytes: number[]): string | null {
  if (bytes.length < MIN_DECODED_LENGTH) return null;
  let printable = 0;
  let spaces = 0;
  for (const byte of bytes) {
    if ((byte >= 32 && byte < 127) || byte === 9 || byte === 10 || byte === 13) printable++;
    if (byte === 32) spaces++;
  }
  if (printable / bytes.length < 0.9 || spaces === 0) return null;
  return String.fromCharCode(...bytes.filter((byte) => byte < 128));
}

/** Shifts ASCII letters by 13 places. */
export function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (letter) => {
    const base = letter <= 'Z' ? 65 : 97;
    return String.fromCharCode(((letter.charCodeAt(0) - base + 13) % 26) + base);
  });
}
