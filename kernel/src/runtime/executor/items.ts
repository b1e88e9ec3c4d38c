import { createHash } from 'node:crypto';
import type { Item } from '../../graphs/model.js';
import type { PortItems } from '../types.js';
import { ItemsLimitError } from './errors.js';

/**
 * Limits on what reaches one node activation. They bound the kernel's memory: a step's
 * items live in the kernel heap as parsed JSON, and while the node runs one more copy is
 * serialised into its sandbox. Past either limit the step fails before anything is copied.
 */
export interface ItemLimits {
  /** Items on all input ports of one activation together. */
  maxItemsPerStep: number;
  /** Estimated JSON size of one activation's input, in bytes (UTF-16 code units of canonical JSON). */
  maxStepInputBytes: number;
}

/** Items kept per port in a preview record. */
export const PREVIEW_ITEMS = 20;
/** Characters kept of each string in a preview record (2 KiB of ASCII). */
export const PREVIEW_STRING_CHARS = 2_048;
/** Elements kept of each array nested inside an item in a preview record. */
export const PREVIEW_ARRAY_ELEMENTS = 100;

/** Counts the items on all ports. */
export function countItems(ports: PortItems): number {
  let count = 0;
  for (const items of Object.values(ports)) count += items.length;
  return count;
}

/**
 * Checks the item count of one activation's input against the limit.
 *
 * @throws ItemsLimitError naming the node, the count and the limit.
 */
export function checkItemCount(ports: PortItems, nodeName: string, limits: ItemLimits): number {
  const count = countItems(ports);
  if (count > limits.maxItemsPerStep) {
    throw new ItemsLimitError(
      `too many items: ${count} items reach node '${nodeName}'; the limit is ${limits.maxItemsPerStep} items per step (MIFY_RUN_MAX_ITEMS_PER_STEP); split the input with a loop node`,
      { nodeName, items: count, limit: limits.maxItemsPerStep },
    );
  }
  return count;
}

/** Items per chunk when hashing; part of the hash definition, so changing it changes every input hash. */
const HASH_CHUNK_ITEMS = 1_000;

/** Thrown inside `canonicalize` when the size budget runs out. */
const OVER_BUDGET = Symbol('over budget');

/**
 * Returns `value` with object keys sorted at every level: the value itself when its keys
 * are already in order (the usual case), else a sorted copy. `undefined` members are left
 * out later by `JSON.stringify`, as `toJSON` is honoured. `budget.remaining` shrinks by an
 * estimate of the JSON size, and `OVER_BUDGET` is thrown when it goes below zero.
 */
function canonicalize(value: unknown, budget: { remaining: number }): unknown {
  if (typeof value === 'string') {
    budget.remaining -= value.length + 2;
    if (budget.remaining < 0) throw OVER_BUDGET;
    return value;
  }
  if (value === null || typeof value !== 'object') {
    budget.remaining -= 8;
    return value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalize((value as { toJSON(): unknown }).toJSON(), budget);

  if (Array.isArray(value)) {
    budget.remaining -= value.length + 2;
    let copy: unknown[] | null = null;
    for (let index = 0; index < value.length; index++) {
      const member: unknown = value[index];
      const canonical = canonicalize(member, budget);
      if (canonical !== member && copy === null) copy = value.slice(0, index);
      if (copy !== null) copy.push(canonical);
    }
    return copy ?? value;
  }

  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const sorted = isSorted(keys);
  let copy: Record<string, unknown> | null = sorted ? null : {};
  if (!sorted) keys.sort();
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    budget.remaining -= key.length + 4;
    const member = record[key];
    const canonical = canonicalize(member, budget);
    if (canonical !== member && copy === null) {
      copy = {};
      for (let earlier = 0; earlier < index; earlier++) copy[keys[earlier]!] = record[keys[earlier]!];
    }
    if (copy !== null) copy[key] = canonical;
  }
  if (budget.remaining < 0) throw OVER_BUDGET;
  return copy ?? value;
}

/**
 * Serialises JSON data with object keys sorted at every level, so equal data gives the
 * same text whatever order its keys were written in. `undefined` members are left out
 * and `toJSON` is honoured, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value, { remaining: Number.POSITIVE_INFINITY })) ?? 'null';
}

function isSorted(keys: string[]): boolean {
  for (let index = 1; index < keys.length; index++) if (keys[index - 1]! > keys[index]!) return false;
  return true;
}

/**
 * Hashes one activation's input with SHA-256 (hex). The hash covers the canonical JSON of the
 * node type, its version and its raw parameters. Then, for each input port in name order, it
 * covers the port name and the items as canonical JSON arrays of up to HASH_CHUNK_ITEMS items.
 * Items are serialised a chunk at a time, so no single string contains the whole input. The
 * sum of the chunk lengths is the input's estimated size.
 *
 * @throws ItemsLimitError when the estimated size passes `limits.maxStepInputBytes`; hashing stops there.
 */
export function hashStepInput(
  definition: { type: string; typeVersion: number; parameters: Record<string, unknown> },
  ports: PortItems,
  nodeName: string,
  limits: ItemLimits,
): { hash: string; bytes: number } {
  const hash = createHash('sha256');
  const head = canonicalJson(definition);
  hash.update(head);
  const budget = { remaining: limits.maxStepInputBytes - head.length };
  let bytes = head.length;

  try {
    for (const port of Object.keys(ports).sort()) {
      hash.update(`\n${port}\n`);
      const items = ports[port]!;
      for (let start = 0; start < items.length; start += HASH_CHUNK_ITEMS) {
        const chunk = items.length <= HASH_CHUNK_ITEMS ? items : items.slice(start, start + HASH_CHUNK_ITEMS);
        const text = JSON.stringify(canonicalize(chunk, budget));
        bytes += text.length;
        hash.update(text);
      }
    }
  } catch (error) {
    if (error !== OVER_BUDGET) throw error;
    throw new ItemsLimitError(
      `input too large: the items that reach node '${nodeName}' are more than ${formatBytes(limits.maxStepInputBytes)} of JSON (MIFY_RUN_MAX_STEP_INPUT_BYTES); split the input with a loop node`,
      { nodeName, limitBytes: limits.maxStepInputBytes },
    );
  }
  return { hash: hash.digest('hex'), bytes };
}

/**
 * Estimates the JSON size of `value` in UTF-16 code units, walking it and stopping as soon
 * as the estimate passes `stopAfter`. Returns the estimate, or `stopAfter + 1` when stopped.
 */
export function estimateJsonSize(value: unknown, stopAfter: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') size += current.length + 2;
    else if (current === null || typeof current !== 'object') size += 8;
    else if (Array.isArray(current)) {
      size += 2 + current.length;
      for (const member of current) stack.push(member);
    } else {
      for (const key of Object.keys(current)) {
        size += key.length + 4;
        stack.push((current as Record<string, unknown>)[key]);
      }
      size += 2;
    }
    if (size > stopAfter) return stopAfter + 1;
  }
  return size;
}

/**
 * Trims items for a preview record: the first PREVIEW_ITEMS items of each port, strings cut
 * at PREVIEW_STRING_CHARS characters, nested arrays cut at PREVIEW_ARRAY_ELEMENTS elements.
 * `totals` keeps the full item count of each port.
 */
export function previewPorts(ports: PortItems): { ports: PortItems; totals: Record<string, number>; truncated: true } {
  const trimmed: PortItems = {};
  const totals: Record<string, number> = {};
  for (const [port, items] of Object.entries(ports)) {
    totals[port] = items.length;
    trimmed[port] = items.slice(0, PREVIEW_ITEMS).map((item) => trimValue(item) as Item);
  }
  return { ports: trimmed, totals, truncated: true };
}

function trimValue(value: unknown): unknown {
  if (typeof value === 'string') return value.length > PREVIEW_STRING_CHARS ? `${value.slice(0, PREVIEW_STRING_CHARS)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, PREVIEW_ARRAY_ELEMENTS).map(trimValue);

  const trimmed: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) trimmed[key] = trimValue(member);
  return trimmed;
}

/** Adds `json.error` to each item, for `onError: continue` and `errorOutput`. With no items, returns one item that carries the error. */
export function itemsWithError(items: Item[], error: { message: string; code: string; nodeName: string }): Item[] {
  if (items.length === 0) return [{ json: { error } }];
  return items.map((item) => ({ ...item, json: { ...item.json, error } }));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
