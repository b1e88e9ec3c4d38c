import { hash as sha256 } from 'node:crypto';

/*
 * Canonical JSON of items, and the items digest that audited runs record for each step's
 * input: SHA-256 (hex) of the items as one canonical JSON array. Both the kernel's thread
 * (step-input.ts) and the digest thread (digest-worker.ts) use these functions, so the two
 * give the same digest for the same items.
 */

/** Thrown inside `canonicalize` when the size estimate passes its limit. */
export const OVER_LIMIT = Symbol('over limit');

/** Running size estimate of a canonicalisation. `canonicalize` throws OVER_LIMIT once `size` passes `limit`. */
export interface SizeBudget {
  size: number;
  limit: number;
}

/**
 * Returns `value` with object keys sorted at every level. That is the value itself when its
 * keys are already in order (the usual case), else a sorted copy. `undefined` members are left
 * out later by `JSON.stringify`, as `toJSON` is honoured. Adds the size estimate of `value`
 * to `budget.size`, counted as `estimateJsonSize` counts it.
 */
function canonicalize(value: unknown, budget: SizeBudget): unknown {
  if (typeof value === 'string') {
    budget.size += value.length + 2;
    if (budget.size > budget.limit) throw OVER_LIMIT;
    return value;
  }
  if (value === null || typeof value !== 'object') {
    budget.size += 8;
    return value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalize((value as { toJSON(): unknown }).toJSON(), budget);

  if (Array.isArray(value)) {
    budget.size += 2 + value.length;
    const members = canonicalizeMembers(value, budget);
    if (budget.size > budget.limit) throw OVER_LIMIT;
    return members;
  }

  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const sorted = isSorted(keys);
  let copy: Record<string, unknown> | null = sorted ? null : {};
  if (!sorted) keys.sort();
  budget.size += 2;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    budget.size += key.length + 4;
    const member = record[key];
    const canonical = canonicalize(member, budget);
    if (canonical !== member && copy === null) {
      copy = {};
      for (let earlier = 0; earlier < index; earlier++) copy[keys[earlier]!] = record[keys[earlier]!];
    }
    if (copy !== null) copy[key] = canonical;
  }
  if (budget.size > budget.limit) throw OVER_LIMIT;
  return copy ?? value;
}

/** Canonicalises the members of an array, without counting the array's own brackets and separators. */
export function canonicalizeMembers(members: unknown[], budget: SizeBudget): unknown[] {
  let copy: unknown[] | null = null;
  for (let index = 0; index < members.length; index++) {
    const member = members[index];
    const canonical = canonicalize(member, budget);
    if (canonical !== member && copy === null) copy = members.slice(0, index);
    if (copy !== null) copy.push(canonical);
  }
  return copy ?? members;
}

function isSorted(keys: string[]): boolean {
  for (let index = 1; index < keys.length; index++) if (keys[index - 1]! > keys[index]!) return false;
  return true;
}

/**
 * Serialises JSON data with object keys sorted at every level, so equal data gives the
 * same text whatever order its keys were written in. `undefined` members are left out
 * and `toJSON` is honoured, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value, { size: 0, limit: Number.POSITIVE_INFINITY })) ?? 'null';
}

/**
 * Returns true when every object in `value` has its keys in the order `canonicalize` sorts
 * them, so that its JSON is already canonical. Integer-like keys, which objects list first
 * in numeric order, count as unsorted unless that order is also their string order.
 */
export function keysSorted(value: unknown): boolean {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const member: unknown = value[index];
      if (typeof member === 'object' && member !== null && !keysSorted(member)) return false;
    }
    return true;
  }

  let previous: string | undefined;
  for (const key in value as Record<string, unknown>) {
    if (previous !== undefined && previous > key) return false;
    previous = key;
    const member = (value as Record<string, unknown>)[key];
    if (typeof member === 'object' && member !== null && !keysSorted(member)) return false;
  }
  return true;
}

/**
 * Returns true when `json`, the UTF-8 bytes of compact text as `JSON.stringify` writes it, has
 * the keys of every object in strictly increasing order, so that the text is the canonical
 * JSON of its value. It reads the bytes without parsing them and compares only keys. It
 * returns false for anything it does not check, such as whitespace, or a key with an escape
 * or a byte above 0x7f (UTF-8 byte order differs from the UTF-16 order `canonicalize` sorts
 * by for some characters). The caller then checks the parsed value instead.
 */
export function jsonKeysSorted(json: Uint8Array): boolean {
  // Per open container: whether it is an object, and the bounds of the last key read in it.
  const inObject: boolean[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  let depth = -1;
  const { length } = json;

  let index = 0;
  while (index < length) {
    const byte = json[index]!;
    if (byte === QUOTE) {
      const previous = json[index - 1];
      const isKey = depth >= 0 && inObject[depth] === true && (previous === OPEN_BRACE || previous === COMMA);
      let plain = true;
      let end = index + 1;
      for (;;) {
        if (end >= length) return false;
        const inside = json[end]!;
        if (inside === QUOTE) break;
        if (inside === BACKSLASH) {
          plain = false;
          end += 2;
        } else {
          if (inside > 0x7f) plain = false;
          end++;
        }
      }
      if (isKey) {
        if (!plain) return false;
        if (keyStart[depth]! >= 0 && compareRanges(json, keyStart[depth]!, keyEnd[depth]!, index + 1, end) >= 0) return false;
        keyStart[depth] = index + 1;
        keyEnd[depth] = end;
      }
      index = end + 1;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
      inObject[depth] = byte === OPEN_BRACE;
      keyStart[depth] = -1;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    } else if (byte <= SPACE) {
      return false;
    }
    index++;
  }
  return depth === -1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;

/** Compares `json[aStart, aEnd)` with `json[bStart, bEnd)` byte by byte. */
function compareRanges(json: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const shorter = Math.min(aEnd - aStart, bEnd - bStart);
  for (let offset = 0; offset < shorter; offset++) {
    const difference = json[aStart + offset]! - json[bStart + offset]!;
    if (difference !== 0) return difference;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/**
 * Items digest of an items array given as the text `JSON.stringify` wrote for it: SHA-256
 * (hex) of the text's UTF-8 bytes when every object in it has its keys sorted, else of its
 * canonical JSON. The digest thread computes this from a sandbox's output text, which is how
 * the kernel's thread gets the same digest as `hashStepInput` computes from the parsed items.
 * The text is parsed only when reading its bytes could not show its keys sorted.
 */
export function itemsJsonDigest(json: string): string {
  const bytes = Buffer.from(json, 'utf8');
  if (jsonKeysSorted(bytes)) return sha256('sha256', bytes);
  const items = JSON.parse(json) as unknown[];
  if (keysSorted(items)) return sha256('sha256', bytes);
  return sha256('sha256', JSON.stringify(canonicalizeMembers(items, { size: 0, limit: Number.POSITIVE_INFINITY })));
}
