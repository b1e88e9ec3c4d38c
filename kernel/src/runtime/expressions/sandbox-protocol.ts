import type { Item } from '../../graphs/model.js';

/*
 * What crosses between the kernel and the expression sandbox in one call, and the kernel's
 * side of the scope lookups the sandbox makes during it. The sandbox's side is in
 * sandbox-source.ts.
 */

/** Counters of one sandbox since it was created. */
export interface ExpressionSandboxStats {
  /** Expressions compiled, counting again those compiled anew after the cache dropped them or the isolate was replaced. */
  compiledExpressions: number;
  /** Expressions found already compiled when a call needed them. */
  cacheHits: number;
  /** Expressions compiled in the current isolate. */
  cachedExpressions: number;
  /** Calls into the sandbox. */
  calls: number;
  /** Isolates created; more than one means earlier ones were replaced after a failure. */
  isolatesCreated: number;
  /** Isolates left behind after a catastrophic V8 error; their memory stays allocated until the process exits. */
  parkedIsolates: number;
}

/**
 * A parameter string in the form the sandbox evaluates. A number is an index into
 * `SandboxCall.sources` and stands for a single expression, which keeps its type. An array
 * mixes literal text and such indices, and the sandbox joins it into a string.
 */
export type SandboxSite = number | Array<string | number>;

/** One crossing into the sandbox: what to evaluate, for which items, and the scope data the sandbox may fetch. */
export interface SandboxCall {
  /** Distinct expression sources (the text between the braces) the sites refer to. */
  sources: readonly string[];
  sites: readonly SandboxSite[];
  /** JSON array of `{ vars, run, now }` objects, referred to by the items. */
  contextsJson: string;
  /** JSON of each item: `[contextIndex, inputGroup, nodesGroup, itemIndex, json]`. */
  itemsJson: readonly string[];
  /** Fetch all items of a node at the first lookup, because several items will need them. */
  batch: boolean;
  /** Expressions evaluated per item, to turn a progress position into an item and an expression. */
  expressionsPerItem: number;
  /** `$input` data, by the group number the request's items refer to. */
  inputGroups: readonly Item[][];
  /** `$node` data, by group number. */
  nodeGroups: ReadonlyArray<Record<string, Item[]>>;
}

/**
 * Reason a call ended without a response, and where it was. In the `evaluating` phase,
 * `position` is the expression that was running. In `settling`, all expressions had returned
 * and a Promise callback one of them scheduled was running, so `position` is the last
 * expression, and an earlier one may have scheduled the callback.
 *
 * `rejected` means the isolate is intact but isolated-vm failed the call after it returned,
 * which happens when code left a Promise rejected and unhandled, e.g. `import('fs')`. The
 * isolate is kept then, and replaced after the other reasons.
 */
export interface SandboxStop {
  reason: 'timeout' | 'memory' | 'rejected' | 'crashed';
  phase: 'setup' | 'evaluating' | 'settling';
  position: number;
  detail: string;
}

export type SandboxOutcome = { ok: true; responseJson: string } | { ok: false; stop: SandboxStop };

/**
 * Looks up scope data the sandbox requests during `call` and returns it as JSON. `names`
 * lists the nodes that ran. `node` and `input` return all items for a null index, or else
 * the item at that index (from the end when negative) or null. The arguments come from the
 * sandbox, so each is checked, and anything unexpected gets `null`.
 *
 * @throws Error when the items cannot be converted to JSON. The sandbox receives it as an
 * error thrown by the expression that made the lookup.
 */
export function answerScopeLookup(call: SandboxCall, kind: unknown, group: unknown, name: unknown, index: unknown): string {
  if (typeof group !== 'number') return 'null';

  let items: Item[] | undefined;
  if (kind === 'names') {
    return JSON.stringify(Object.keys(call.nodeGroups[group] ?? {}));
  } else if (kind === 'node') {
    const outputs = call.nodeGroups[group];
    if (outputs !== undefined && typeof name === 'string' && Object.hasOwn(outputs, name)) items = outputs[name];
  } else if (kind === 'input') {
    items = call.inputGroups[group];
  }
  if (items === undefined) return 'null';

  try {
    if (index === null) return JSON.stringify(items.map(toSandboxItem));
    if (typeof index !== 'number' || !Number.isInteger(index)) return 'null';
    const item = items.at(index);
    return item === undefined ? 'null' : JSON.stringify(toSandboxItem(item));
  } catch (error) {
    const source = kind === 'input' ? 'the input items' : `the output of node ${JSON.stringify(name)}`;
    throw new Error(`${source} cannot be converted to JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Returns the item as expressions see it. Binary entries keep `mimeType` and `fileName` but not
 * their base64 `data`, so files never travel into the sandbox.
 */
function toSandboxItem(item: Item): Record<string, unknown> {
  const result: Record<string, unknown> = { json: item.json };
  if (item.binary !== undefined) {
    const binary: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(item.binary)) {
      binary[key] = entry.fileName === undefined ? { mimeType: entry.mimeType } : { mimeType: entry.mimeType, fileName: entry.fileName };
    }
    result.binary = binary;
  }
  if (item.pairedItem !== undefined) result.pairedItem = item.pairedItem;
  return result;
}
