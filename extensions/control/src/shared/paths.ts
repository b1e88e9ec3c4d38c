/**
 * Dot paths into item JSON: `customer.address.city`, with `[n]` or `.n` for array elements
 * (`lines[0].sku`, `lines.0.sku`). A key that contains a dot or a bracket cannot be reached.
 */

export type PathSegment = string | number;

const SEGMENT = /([^.[\]]+)|\[(\d+)\]/g;

/**
 * Splits a path into segments, or returns null when it is malformed (empty, `a..b`, `a[x]`).
 *
 * @example
 * parsePath('lines[0].sku'); // ['lines', 0, 'sku']
 */
export function parsePath(path: string): PathSegment[] | null {
  if (typeof path !== 'string' || path.trim() === '') return null;
  const segments: PathSegment[] = [];
  let consumed = 0;
  for (const match of path.matchAll(SEGMENT)) {
    const gap = path.slice(consumed, match.index);
    if (gap !== (segments.length === 0 ? '' : '.') && !(gap === '' && match[2] !== undefined)) return null;
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(/^\d+$/.test(match[1]!) ? Number(match[1]) : match[1]!);
    consumed = match.index! + match[0].length;
  }
  if (consumed !== path.length || segments.length === 0) return null;
  return segments;
}

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Reads the value at `segments`, or undefined when any step is missing. */
export function getPath(root: unknown, segments: readonly PathSegment[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (!isContainer(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Checks whether the path exists, even with an undefined or null value at its end. */
export function hasPath(root: unknown, segments: readonly PathSegment[]): boolean {
  let current: unknown = root;
  for (const segment of segments) {
    if (!isContainer(current) || !Object.hasOwn(current, segment)) return false;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return true;
}

/**
 * Writes `value` at `segments`, creating objects (or arrays before a numeric segment) on the
 * way. A non-object in the way is replaced. `__proto__`, `constructor` and `prototype` keys
 * are rejected so a path cannot reach an object's prototype.
 */
export function setPath(root: Record<string, unknown>, segments: readonly PathSegment[], value: unknown): void {
  let current: Record<string | number, unknown> = root;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    assertSafeKey(segment);
    if (index === segments.length - 1) {
      current[segment] = value;
      return;
    }
    let next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (!isContainer(next)) {
      next = typeof segments[index + 1] === 'number' ? [] : {};
      current[segment] = next;
    }
    current = next as Record<string | number, unknown>;
  }
}

/** Deletes the value at `segments`; returns whether it existed. Array elements are removed, not left as holes. */
export function deletePath(root: unknown, segments: readonly PathSegment[]): boolean {
  const parent = getPath(root, segments.slice(0, -1));
  const last = segments[segments.length - 1]!;
  if (!isContainer(parent) || !Object.hasOwn(parent, last)) return false;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete (parent as Record<string | number, unknown>)[last];
  return true;
}

function assertSafeKey(segment: PathSegment): void {
  if (segment === '__proto__' || segment === 'constructor' || segment === 'prototype') {
    throw new Error(`the path segment "${segment}" is not allowed, because it would reach an object prototype; rename the field`);
  }
}

/** Deep copy of JSON data. Items cross the sandbox as JSON, so structuredClone is not needed. */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
