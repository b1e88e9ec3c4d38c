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

/**
 * Serialises JSON data with object keys sorted at every level, so equal data gives the
 * same text whatever order its keys were written in. `undefined` members are left out
 * and `toJSON` is honoured, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());

  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) text += ',';
      const member: unknown = value[index];
      text += member === undefined || typeof member === 'function' ? 'null' : canonicalJson(member);
    }
    return `${text}]`;
  }

  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!isSorted(keys)) keys.sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    text += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
    first = false;
  }
  return `${text}}`;
}

function isSorted(keys: string[]): boolean {
  for (let index = 1; index < keys.length; index++) if (keys[index - 1]! > keys[index]!) return false;
  return true;
}

/**
 * Hashes one activation's input: SHA-256 (hex) over the canonical JSON of the node type,
 * its version, its raw parameters and the items of each input port, ports in name order.
 * Items are serialised one at a time, so no single string holds the whole input. The sum of
 * their lengths is the input's estimated size.
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
  let bytes = head.length;

  for (const port of Object.keys(ports).sort()) {
    hash.update(`\n${port}\n`);
    for (const item of ports[port]!) {
      const text = canonicalJson(item);
      bytes += text.length + 1;
      if (bytes > limits.maxStepInputBytes) {
        throw new ItemsLimitError(
          `input too large: the items that reach node '${nodeName}' are more than ${formatBytes(limits.maxStepInputBytes)} of JSON (MIFY_RUN_MAX_STEP_INPUT_BYTES); split the input with a loop node`,
          { nodeName, limitBytes: limits.maxStepInputBytes },
        );
      }
      hash.update(text);
      hash.update('\n');
    }
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
