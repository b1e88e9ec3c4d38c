import { ExtensionError } from '@mify/sdk';

/** A string inside an item's JSON that a node scans, with a way to replace it. */
export interface TextTarget {
  /** Dot path of the string inside `item.json`, with array indexes, such as `messages.0.content`. */
  path: string;
  text: string;
  replace(text: string): void;
}

/** Policy for an item that lacks a field listed in `fields`. */
export type MissingFieldPolicy = 'error' | 'skip';

export interface CollectOptions {
  /** Field paths to scan; an empty list scans every string in the item. */
  fields: string[];
  missingField: MissingFieldPolicy;
  /** Maximum length of a scanned string, in UTF-16 code units. */
  maxTextLength: number;
  /** Position of the item in the node's input, for error messages. */
  itemIndex: number;
  /** Top-level field left out when every string is scanned: the node's own output field. */
  exclude?: string;
}

/**
 * Collects the strings of `json` that `fields` selects. A path segment `*` matches every key
 * of an object or every element of an array. A selected object or array contributes every
 * string inside it; numbers, booleans and null are not scanned.
 *
 * @throws ExtensionError `missing_field` for a listed field absent from the item, unless the
 * policy is `skip`, and `text_too_long` for a string over `maxTextLength`.
 */
export function collectTexts(json: Record<string, unknown>, options: CollectOptions): TextTarget[] {
  const targets: TextTarget[] = [];
  const add = (target: TextTarget) => {
    if (target.text.length > options.maxTextLength) {
      throw new ExtensionError(
        'text_too_long',
        `Item ${options.itemIndex}: field '${target.path}' contains ${target.text.length} characters, over the limit of ${options.maxTextLength}. Raise the 'maxTextLength' parameter (at most 1000000) or split the text before this node.`,
        { details: { itemIndex: options.itemIndex, field: target.path, length: target.text.length, maxTextLength: options.maxTextLength } },
      );
    }
    targets.push(target);
  };

  if (options.fields.length === 0) {
    collectStrings(json, '', add, options.exclude);
    return targets;
  }

  for (const field of options.fields) {
    const found = select(json, field.split('.'), '', add);
    if (!found && options.missingField === 'error') {
      throw new ExtensionError(
        'missing_field',
        `Item ${options.itemIndex} has no field '${field}'. List the fields to scan in the 'fields' parameter, or set 'missingField' to "skip" to pass such items on unscanned.`,
        { details: { itemIndex: options.itemIndex, field } },
      );
    }
  }
  return targets;
}

/** Walks `segments` from `container`; returns whether the path led to any value. */
function select(container: unknown, segments: string[], prefix: string, add: (target: TextTarget) => void): boolean {
  const [segment, ...rest] = segments;
  if (segment === undefined) return true;
  if (typeof container !== 'object' || container === null) return false;

  const record = container as Record<string, unknown>;
  let keys: string[] = [];
  if (segment === '*') keys = Object.keys(record);
  else if (Object.hasOwn(record, segment)) keys = [segment];
  let found = false;
  for (const key of keys) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const value = record[key];
    if (rest.length > 0) {
      found = select(value, rest, path, add) || found;
      continue;
    }

    found = true;
    if (typeof value === 'string') add(stringTarget(record, key, path));
    else collectStrings(value, path, add);
  }
  return found;
}

function collectStrings(value: unknown, prefix: string, add: (target: TextTarget) => void, exclude?: string): void {
  if (typeof value !== 'object' || value === null) return;

  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key === exclude) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const child = record[key];
    if (typeof child === 'string') add(stringTarget(record, key, path));
    else collectStrings(child, path, add);
  }
}

function stringTarget(record: Record<string, unknown>, key: string, path: string): TextTarget {
  return {
    path,
    text: record[key] as string,
    replace(text) {
      record[key] = text;
    },
  };
}

/** Copies an item's JSON so a node can change it without touching its input. */
export function cloneJson(json: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
}
