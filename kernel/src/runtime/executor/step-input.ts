import { createHash, hash as sha256 } from 'node:crypto';
import type { Item } from '../../graphs/model.js';
import type { PortItems } from '../types.js';
import { ItemsLimitError } from './errors.js';
import { estimateJsonSize, formatBytes, type ItemLimits } from './items.js';

/**
 * Estimated JSON sizes of the items arrays measured so far, with each array's length at that
 * time. Kernel code treats an items array and its items as immutable once a node has emitted
 * them. The scheduler and the executor build new arrays with `concat` instead of appending,
 * and no node runner changes an array after returning it. So an array that reaches several
 * nodes, or passes a node unchanged, is walked once. A changed length triggers a new walk.
 */
const measuredItems = new WeakMap<Item[], { length: number; bytes: number }>();

/**
 * Digests and JSON sizes of the items arrays hashed so far, with each array's length at that
 * time. It relies on the same immutability as `measuredItems`, so an array that passes a chain
 * of nodes unchanged is hashed once, not once per node.
 */
const hashedItems = new WeakMap<Item[], { length: number; bytes: number; digest: string }>();

/**
 * JSON text of the items arrays that sandboxes returned in audited runs, until their digest is taken.
 * NOTE: an array that no later step hashes, such as the last node's output, keeps its text
 * until the array itself is collected, which adds about its JSON size to the run's memory.
 */
const itemsJson = new WeakMap<Item[], { length: number; json: string }>();

/**
 * Estimates the JSON size of one activation's input, `{ port: items, … }`, as
 * `estimateJsonSize(ports)` would, and checks it against `limits.maxStepInputBytes`. An items
 * array measured before counts its remembered size, so this costs a walk only for arrays the
 * executor has not seen, and no string is built, which makes it several times cheaper than
 * `hashStepInput`.
 *
 * @throws ItemsLimitError naming the node and the limit, once the estimate passes the limit.
 */
export function measureStepInput(ports: PortItems, nodeName: string, limits: ItemLimits): number {
  const limit = limits.maxStepInputBytes;
  let bytes = 2;
  for (const port of Object.keys(ports)) {
    bytes += port.length + 4;
    bytes += measureItems(ports[port]!, limit - bytes);
    if (bytes > limit) throw inputTooLarge(nodeName, limit);
  }
  return bytes;
}

/**
 * Records the length of the JSON text that an items array was parsed from, as the whole output
 * of a sandboxed node whose only non-empty output port is the array. The length becomes the
 * array's size, so measuring it costs no walk. It is a bound a little above the array's own
 * JSON, because the text also has the output's port key and any usage.
 */
export function rememberItemsJsonSize(items: Item[], chars: number): void {
  measuredItems.set(items, { length: items.length, bytes: chars });
}

/** Estimated JSON size of `items`, or more than `stopAfter` when the walk stopped there. */
function measureItems(items: Item[], stopAfter: number): number {
  if (items.length === 0) return 2;
  const known = measuredItems.get(items);
  if (known !== undefined && known.length === items.length) return known.bytes;

  const bytes = estimateJsonSize(items, Math.max(stopAfter, 0));
  if (bytes <= stopAfter) measuredItems.set(items, { length: items.length, bytes });
  return bytes;
}

function inputTooLarge(nodeName: string, limitBytes: number): ItemsLimitError {
  return new ItemsLimitError(
    `input too large: the items that reach node '${nodeName}' are more than ${formatBytes(limitBytes)} of JSON (MIFY_RUN_MAX_STEP_INPUT_BYTES); split the input with a loop node`,
    { nodeName, limitBytes },
  );
}

/** Items serialised at a time when hashing an array that has no JSON text, so no single string contains a large input. */
const HASH_CHUNK_ITEMS = 1_000;

/** Thrown inside `canonicalize` when the size estimate passes its limit. */
const OVER_LIMIT = Symbol('over limit');

/** Running size estimate of a canonicalisation. `canonicalize` throws OVER_LIMIT once `size` passes `limit`. */
interface SizeBudget {
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
function canonicalizeMembers(members: unknown[], budget: SizeBudget): unknown[] {
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
 * Records that `items` were parsed from `json`, text that `JSON.stringify` wrote: a sandboxed
 * node's output port in an audited run, cut from the output the isolate serialised. The length
 * becomes the array's exact JSON size. When every object in the items has its keys in sorted
 * order, the text is the items' canonical JSON, and `hashStepInput` hashes it as it is. Pass
 * only text that `JSON.stringify` of the parsed array gives back unchanged.
 */
export function rememberItemsJson(items: Item[], json: string): void {
  measuredItems.set(items, { length: items.length, bytes: json.length });
  itemsJson.set(items, { length: items.length, json });
}

/**
 * Hashes one activation's input with SHA-256 (hex) and measures it as `measureStepInput`
 * does. The hash covers the canonical JSON of the node type, its version and its raw
 * parameters. Then, for each input port in name order, it covers the port name and the items
 * digest of the port: the SHA-256 (hex) of the items as one canonical JSON array.
 *
 * A digest costs about as much as `JSON.stringify` of the items, which is why only audited runs
 * call this, and why each items array's digest is computed once and remembered. Items whose
 * JSON text a sandbox handed over are not serialised again when that text is already
 * canonical. Others are serialised a chunk of items at a time, so no single string contains
 * the whole input.
 *
 * @throws ItemsLimitError when the estimate passes `limits.maxStepInputBytes`; hashing stops there.
 */
export function hashStepInput(
  definition: { type: string; typeVersion: number; parameters: Record<string, unknown> },
  ports: PortItems,
  nodeName: string,
  limits: ItemLimits,
): { hash: string; bytes: number } {
  const limit = limits.maxStepInputBytes;
  let inputText = canonicalJson(definition);
  let bytes = 2;

  for (const port of Object.keys(ports).sort()) {
    bytes += port.length + 4;
    const items = digestItems(ports[port]!, limit - bytes);
    bytes += items.bytes;
    if (bytes > limit) throw inputTooLarge(nodeName, limit);
    inputText += `\n${port}\n${items.digest}`;
  }
  // One-shot hashing of short text: 0.4 µs here against 2.1 µs for a Hash object.
  return { hash: sha256('sha256', inputText), bytes };
}

/**
 * Computes the items digest of `items` and their JSON size, or takes them from an earlier
 * call. When the size passes `stopAfter`, it returns the size reached, an empty digest, and
 * remembers nothing.
 */
function digestItems(items: Item[], stopAfter: number): { bytes: number; digest: string } {
  const known = hashedItems.get(items);
  if (known !== undefined && known.length === items.length) return known;

  const parsedFrom = itemsJson.get(items);
  itemsJson.delete(items);
  if (parsedFrom !== undefined && parsedFrom.length === items.length && keysSorted(items)) {
    if (parsedFrom.json.length > stopAfter) return { bytes: parsedFrom.json.length, digest: '' };
    return remember(items, parsedFrom.json.length, sha256('sha256', parsedFrom.json));
  }

  const budget: SizeBudget = { size: 2 + items.length, limit: Math.max(stopAfter, 0) };
  let digest: string;
  try {
    if (items.length <= HASH_CHUNK_ITEMS) {
      digest = sha256('sha256', JSON.stringify(canonicalizeMembers(items, budget)));
    } else {
      // The same text as one array: the members of each chunk between a single pair of brackets.
      const hash = createHash('sha256').update('[');
      for (let start = 0; start < items.length; start += HASH_CHUNK_ITEMS) {
        const chunk = JSON.stringify(canonicalizeMembers(items.slice(start, start + HASH_CHUNK_ITEMS), budget));
        hash.update(start === 0 ? chunk.slice(1, -1) : `,${chunk.slice(1, -1)}`);
      }
      digest = hash.update(']').digest('hex');
    }
  } catch (error) {
    if (error !== OVER_LIMIT) throw error;
    return { bytes: budget.size, digest: '' };
  }
  if (budget.size > budget.limit) return { bytes: budget.size, digest: '' };
  return remember(items, budget.size, digest);
}

function remember(items: Item[], bytes: number, digest: string): { bytes: number; digest: string } {
  const digested = { length: items.length, bytes, digest };
  hashedItems.set(items, digested);
  return digested;
}

/**
 * Returns true when every object in `value` has its keys in the order `canonicalize` sorts
 * them, so that its JSON is already canonical. Integer-like keys, which objects list first
 * in numeric order, count as unsorted unless that order is also their string order.
 */
function keysSorted(value: unknown): boolean {
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
