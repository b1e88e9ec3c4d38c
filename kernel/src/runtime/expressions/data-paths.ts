/**
 * Expressions that only read a property path of the item, such as `$json.body.name` or
 * `$json["first name"][0]`, resolved in the kernel without the sandbox. Templates use them
 * often, and a sandbox call costs far more than looking a path up (about 280 µs against a few
 * µs for one node of the endpoint bench graph, one run at a time).
 *
 * Nothing here runs code. The lookup follows only own properties of plain objects and arrays.
 * It returns undefined on anything else: a missing key, a primitive on the way, an undefined
 * or non-finite value, or an object that is not plain data. The evaluator then runs the
 * expression in the sandbox, which produces the value or the error that JavaScript gives, so
 * both ways give the same result.
 */

/** Property names and array indexes after `$json`, in order. */
export type DataPath = readonly (string | number)[];

/** A value found by `lookUpDataPath`, as the sandbox would return it. */
export interface FoundValue {
  value: unknown;
}

// `$json`, then `.name`, `["name"]`, `['name']` or `[0]`, with whitespace only around the whole.
const PATH_PATTERN = /^\s*\$json((?:\.[A-Za-z_$][\w$]*|\[(?:"[^"\\\n]*"|'[^'\\\n]*'|0|[1-9]\d{0,8})\])*)\s*$/;
const SEGMENT_PATTERN = /\.([A-Za-z_$][\w$]*)|\[(?:"([^"\\\n]*)"|'([^'\\\n]*)'|(\d+))\]/g;

/**
 * Returns the path of an expression source that is a plain `$json` property path, or null.
 *
 * @example
 * parseDataPath(' $json.body.name ');   // → ['body', 'name']
 * parseDataPath('$json["a b"][2]');     // → ['a b', 2]
 * parseDataPath('$json.name.trim()');   // → null
 */
export function parseDataPath(source: string): DataPath | null {
  const match = PATH_PATTERN.exec(source);
  if (match === null) return null;

  const path: Array<string | number> = [];
  for (const segment of match[1]!.matchAll(SEGMENT_PATTERN)) {
    const [, dotted, doubleQuoted, singleQuoted, index] = segment;
    path.push(index !== undefined ? Number(index) : (dotted ?? doubleQuoted ?? singleQuoted)!);
  }
  return path;
}

/**
 * Looks `path` up in an item's json. Returns the value, or undefined when the sandbox must
 * decide: see the module comment for the cases.
 */
export function lookUpDataPath(json: unknown, path: DataPath): FoundValue | undefined {
  let value = json;
  for (const key of path) {
    if (!isPlainContainer(value)) return undefined;
    if (Array.isArray(value)) {
      // An array's own properties are its elements and `length`.
      if (typeof key === 'number' ? key >= value.length : key !== 'length') return undefined;
      value = value[key as number];
    } else {
      if (!Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
  }
  return isPlainValue(value) ? { value } : undefined;
}

/** Checks that a value reads the same in the sandbox, which receives the item as JSON. */
function isPlainValue(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      return value === null || isPlainContainer(value);
    default:
      return false;
  }
}

/** Checks for an array, or an object whose prototype is Object.prototype or null and that has no own `toJSON`. */
function isPlainContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return (prototype === Object.prototype || prototype === null) && !Object.hasOwn(value, 'toJSON');
}
