import type { ExecuteContext, ExecuteInput, Item } from '../shared/items.js';
import { describeValue, ItemError, Parameters } from '../shared/parameters.js';
import { getPath, parsePath, type PathSegment } from '../shared/paths.js';

export const MERGE_MODES = ['append', 'combineByKey', 'combineByPosition', 'first'] as const;
type MergeMode = (typeof MERGE_MODES)[number];

/** Largest number of joined pairs combineByKey may produce, so a key shared by many items cannot explode the output. */
export const MAX_JOINED_ITEMS = 100_000;

/** Merges two items; fields of `preferred` win. */
function combine(first: Item, second: Item, prefer: 'input1' | 'input2'): Item {
  const [low, high] = prefer === 'input2' ? [first, second] : [second, first];
  const merged: Item = { json: { ...low.json, ...high.json } };
  if (low.binary !== undefined || high.binary !== undefined) merged.binary = { ...low.binary, ...high.binary };
  return merged;
}

function readKey(params: Parameters, name: string, fallback?: string): PathSegment[] {
  const text = fallback === undefined ? params.string(name) : params.string(name, { default: fallback });
  const path = parsePath(text);
  if (path === null) params.fail(name, `is ${describeValue(text)}, which is not a field path`, 'Use a dot path such as id or customer.id.');
  return path;
}

/** Key text for matching: JSON of the value, or its plain text with `looseKeys` so 7 matches "7". */
function keyOf(item: Item, path: PathSegment[], loose: boolean): string | undefined {
  const value = getPath(item.json, path);
  if (value === undefined || value === null) return undefined;
  if (loose && (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')) return String(value);
  return JSON.stringify(value);
}

function combineByKey(ctx: ExecuteContext, params: Parameters, first: Item[], second: Item[]): Item[] {
  const key1 = readKey(params, 'key1');
  const key2 = readKey(params, 'key2', key1.join('.'));
  const join = params.string<'inner' | 'left' | 'outer'>('join', { default: 'inner', enum: ['inner', 'left', 'outer'] });
  const prefer = params.string<'input1' | 'input2'>('prefer', { default: 'input2', enum: ['input1', 'input2'] });
  const loose = params.boolean('looseKeys', false);

  const byKey = new Map<string, number[]>();
  second.forEach((item, index) => {
    const key = keyOf(item, key2, loose);
    if (key === undefined) return;
    const list = byKey.get(key);
    if (list) list.push(index);
    else byKey.set(key, [index]);
  });

  const out: Item[] = [];
  const matchedSecond = new Set<number>();
  for (const item of first) {
    const key = keyOf(item, key1, loose);
    const matches = key === undefined ? undefined : byKey.get(key);
    if (matches === undefined) {
      if (join !== 'inner') out.push(item);
      continue;
    }
    for (const index of matches) {
      matchedSecond.add(index);
      out.push(combine(item, second[index]!, prefer));
      if (out.length > MAX_JOINED_ITEMS) {
        throw new ItemError(`Node '${ctx.node.name}': combining by key produced more than ${MAX_JOINED_ITEMS} items, because many items share a key. Check "key1" and "key2", or remove duplicate keys first.`);
      }
    }
  }
  if (join === 'outer') second.forEach((item, index) => !matchedSecond.has(index) && out.push(item));
  return out;
}

function combineByPosition(params: Parameters, first: Item[], second: Item[]): Item[] {
  const prefer = params.string<'input1' | 'input2'>('prefer', { default: 'input2', enum: ['input1', 'input2'] });
  const includeUnpaired = params.boolean('includeUnpaired', false);
  const out: Item[] = [];
  const length = includeUnpaired ? Math.max(first.length, second.length) : Math.min(first.length, second.length);
  for (let index = 0; index < length; index++) {
    const a = first[index];
    const b = second[index];
    out.push(a && b ? combine(a, b, prefer) : (a ?? b)!);
  }
  return out;
}

/**
 * `mify.control.merge`: a merge node with inputs `input1` and `input2`. The executor waits
 * for both inputs, except in mode `first`, where it runs the node as soon as one input has
 * items and ignores the other.
 */
export const merge = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const params = new Parameters(input.parameters ?? {}, ctx.node.name);
    const mode = params.string<MergeMode>('mode', { default: 'append', enum: MERGE_MODES });
    const first = input.ports?.input1 ?? input.items;
    const second = input.ports?.input2 ?? [];

    switch (mode) {
      case 'append':
      case 'first':
        return { items: first.concat(second) };
      case 'combineByKey':
        return { items: combineByKey(ctx, params, first, second) };
      case 'combineByPosition':
        return { items: combineByPosition(params, first, second) };
    }
  },
};
