/**
 * Reading node parameters with messages that name the parameter, the value and the fix.
 * The kernel checks parameters against the manifest's JSON Schema before the run, except
 * values that come from expressions, so these checks are what catches those.
 */
import type { Item } from '@mify/sdk';
import { invalidParameter } from '../errors.js';

/** A node's input as the kernel sends it; `itemParameters` is set when parameters contain expressions. */
export interface IoNodeInput {
  items: Item[];
  parameters?: Record<string, unknown>;
  itemParameters?: Array<Record<string, unknown>>;
}

/** Returns the parameters of item `index`: resolved for that item when they contain expressions. */
export function parametersFor(input: IoNodeInput, index: number): Record<string, unknown> {
  return input.itemParameters?.[index] ?? input.parameters ?? {};
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 100)}`;
}

/** Reads an optional string; numbers and booleans are converted. Empty strings count as unset. */
export function optionalString(parameters: Record<string, unknown>, name: string): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalidParameter(`Parameter '${name}' must be a string, got ${describeType(value)}.`);
}

/** Reads a required, non-blank string. */
export function requiredString(parameters: Record<string, unknown>, name: string, example: string): string {
  const value = optionalString(parameters, name);
  if (value === undefined || value.trim() === '') throw invalidParameter(`Parameter '${name}' is required; set it, for example to ${example}.`);
  return value;
}

/** Reads one of a set of allowed strings, or the default. */
export function enumParameter<T extends string>(parameters: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const value = optionalString(parameters, name);
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw invalidParameter(`Parameter '${name}' is ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}.`);
  return value as T;
}

/** Reads an integer within [min, max], or the default; numeric strings from expressions are accepted. */
export function integerParameter(parameters: Record<string, unknown>, name: string, range: { min: number; max: number; fallback: number; unit?: string }): number {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return range.fallback;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  const unit = range.unit ? ` ${range.unit}` : '';
  if (typeof number !== 'number' || !Number.isInteger(number) || number < range.min || number > range.max) {
    throw invalidParameter(`Parameter '${name}' must be an integer from ${range.min} to ${range.max}${unit}, got ${describeType(value)}.`);
  }
  return number;
}

/** Reads an optional integer within [min, max]. */
export function optionalInteger(parameters: Record<string, unknown>, name: string, range: { min: number; max: number; unit?: string }): number | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  return integerParameter(parameters, name, { ...range, fallback: 0 });
}

/** Reads a boolean, or the default; the strings "true" and "false" from expressions are accepted. */
export function booleanParameter(parameters: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidParameter(`Parameter '${name}' must be true or false, got ${describeType(value)}.`);
}

/** Reads an optional JSON object; a string holding a JSON object is parsed. */
export function optionalObject(parameters: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  let value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') value = parseJsonParameter(value, name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParameter(`Parameter '${name}' must be an object such as { "name": "value" }, got ${describeType(value)}.`);
  }
  return value as Record<string, unknown>;
}

/** Parses JSON text given in a parameter. */
export function parseJsonParameter(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidParameter(`Parameter '${name}' is not valid JSON (${(error as Error).message}): ${JSON.stringify(text.slice(0, 120))}. Write a JSON value, or an expression such as {{ $json.data }}.`);
  }
}

/** Reads a value at a dot path such as `data.items` or `links.next`; numeric segments index arrays. */
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.split('.')) {
    if (segment === '') continue;
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Runs `work` for every item with at most `concurrency` calls in flight and keeps item
 * order. A failure names the item's index when the batch has more than one item.
 */
export async function mapItemsConcurrently<T>(items: Item[], concurrency: number, work: (item: Item, index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(items.length);
  let next = 0;

  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        if (items.length > 1 && error instanceof Error && !error.message.startsWith('Item ')) error.message = `Item ${index}: ${error.message}`;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
