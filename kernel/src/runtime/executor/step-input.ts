import { createHash, hash as sha256 } from 'node:crypto';
import type { Item } from '../../graphs/model.js';
import type { PortItems } from '../types.js';
import { digestThread } from './digest-thread.js';
import { ItemsLimitError } from './errors.js';
import { canonicalizeMembers, canonicalJson, keysSorted, OVER_LIMIT, type SizeBudget } from './items-digest.js';
import { estimateJsonSize, formatBytes, type ItemLimits } from './items.js';

export { canonicalJson } from './items-digest.js';

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
 * JSON text of the items arrays that sandboxes returned in audited runs, until their digest is
 * taken, or for texts of at least `DIGEST_THREAD_MIN_CHARS` the digest the digest thread is
 * computing from a copy of the text.
 * NOTE: an array that no later step hashes, such as the last node's output, keeps its text
 * until the array itself is collected, which adds about its JSON size to the run's memory.
 */
const itemsJson = new WeakMap<Item[], { length: number; bytes: number; json?: string; digest?: Promise<string> }>();

/**
 * Shortest items text whose digest the digest thread computes. Below it the kernel's thread
 * walks the items and hashes the text itself, which costs about 1.5 µs per KiB on the bench
 * machine, against 15–45 µs for sending the text and handling the reply.
 */
export const DIGEST_THREAD_MIN_CHARS = 16 * 1024;

/**
 * An activation input's size and hash. `hash` is null while the digest thread computes the
 * digest of one of its items arrays; `pending` then gives the hash. It never rejects.
 */
export interface HashedStepInput {
  bytes: number;
  hash: string | null;
  pending?: Promise<string>;
}

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

/**
 * Records that `items` were parsed from `json`, text that `JSON.stringify` wrote: a sandboxed
 * node's output port in an audited run, cut from the output the isolate serialised. The length
 * becomes the array's exact JSON size. When every object in the items has its keys in sorted
 * order, the text is the items' canonical JSON, and `hashStepInput` hashes it as it is. A text
 * of at least `DIGEST_THREAD_MIN_CHARS` goes to the digest thread at once, which checks its key
 * order and hashes it while the run goes on. Pass only text that `JSON.stringify` of the
 * parsed array gives back unchanged.
 */
export function rememberItemsJson(items: Item[], json: string): void {
  const { length } = items;
  const bytes = json.length;
  measuredItems.set(items, { length, bytes });
  const threaded = json.length >= DIGEST_THREAD_MIN_CHARS ? digestThread.submit(json) : undefined;
  if (threaded === undefined) {
    itemsJson.set(items, { length, bytes, json });
    return;
  }
  const digest = threaded.then((fromThread) => {
    itemsJson.delete(items);
    // The thread stopped or could not parse the text: hash the items on this thread.
    if (fromThread === undefined) return digestItems(items, Number.POSITIVE_INFINITY).digest as string;
    return remember(items, bytes, fromThread).digest;
  });
  itemsJson.set(items, { length, bytes, digest });
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
 * canonical, and large ones are hashed on the digest thread: the result's `hash` is then null
 * and `pending` gives it. Other items are serialised a chunk of items at a time, so no single
 * string contains the whole input.
 *
 * @throws ItemsLimitError when the estimate passes `limits.maxStepInputBytes`; hashing stops there.
 */
export function hashStepInput(
  definition: { type: string; typeVersion: number; parameters: Record<string, unknown> },
  ports: PortItems,
  nodeName: string,
  limits: ItemLimits,
): HashedStepInput {
  const limit = limits.maxStepInputBytes;
  const names = Object.keys(ports).sort();
  const digests: Array<string | Promise<string>> = [];
  let threaded = false;
  let bytes = 2;

  for (const port of names) {
    bytes += port.length + 4;
    const items = digestItems(ports[port]!, limit - bytes);
    bytes += items.bytes;
    if (bytes > limit) throw inputTooLarge(nodeName, limit);
    digests.push(items.digest);
    if (typeof items.digest !== 'string') threaded = true;
  }

  const combine = (portDigests: ReadonlyArray<string>): string => {
    let inputText = canonicalJson(definition);
    for (let index = 0; index < names.length; index++) inputText += `\n${names[index]}\n${portDigests[index]}`;
    // One-shot hashing of short text: 0.4 µs here against 2.1 µs for a Hash object.
    return sha256('sha256', inputText);
  };
  if (!threaded) return { hash: combine(digests as string[]), bytes };
  return { hash: null, bytes, pending: Promise.all(digests).then(combine) };
}

/**
 * Computes the items digest of `items` and their JSON size, takes them from an earlier call,
 * or returns the promise of the digest thread's digest. When the size passes `stopAfter`, it
 * returns the size reached, an empty digest, and remembers nothing.
 */
function digestItems(items: Item[], stopAfter: number): { bytes: number; digest: string | Promise<string> } {
  const known = hashedItems.get(items);
  if (known !== undefined && known.length === items.length) return known;

  const parsedFrom = itemsJson.get(items);
  if (parsedFrom !== undefined && parsedFrom.length === items.length) {
    if (parsedFrom.bytes > stopAfter) return { bytes: parsedFrom.bytes, digest: '' };
    if (parsedFrom.digest !== undefined) return { bytes: parsedFrom.bytes, digest: parsedFrom.digest };
    itemsJson.delete(items);
    if (keysSorted(items)) return remember(items, parsedFrom.bytes, sha256('sha256', parsedFrom.json!));
  } else if (parsedFrom !== undefined) {
    itemsJson.delete(items);
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
