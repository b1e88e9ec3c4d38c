/** Parameter and field readers shared by the RAG nodes. Every error names the parameter or field and the fix. */
import type { Item } from '@mify/sdk';
import { RagError } from '../errors.js';

/** The node input as the kernel sends it; `itemParameters` is present when parameters contain expressions. */
export interface RagNodeInput {
  items: Item[];
  parameters?: Record<string, unknown>;
  itemParameters?: Array<Record<string, unknown>>;
}

export function parametersFor(input: RagNodeInput, index: number): Record<string, unknown> {
  return input.itemParameters?.[index] ?? input.parameters ?? {};
}

export function stringParameter(parameters: Record<string, unknown>, name: string, fallback: string): string;
export function stringParameter(parameters: Record<string, unknown>, name: string, fallback?: string): string | undefined;
export function stringParameter(parameters: Record<string, unknown>, name: string, fallback?: string): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new RagError('invalid_argument', `Parameter '${name}' must be a string, got ${Array.isArray(value) ? 'an array' : typeof value}.`);
}

export function numberParameter(parameters: Record<string, unknown>, name: string, fallback: number, range: { min: number; max: number; integer?: boolean }): number {
  const raw = parameters[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max || (range.integer && !Number.isInteger(value))) {
    throw new RagError('invalid_argument', `Parameter '${name}' is ${JSON.stringify(raw)}; use ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}.`);
  }
  return value;
}

export function enumParameter<T extends string>(parameters: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const value = stringParameter(parameters, name, fallback);
  if (!allowed.includes(value as T)) throw new RagError('invalid_argument', `Parameter '${name}' is '${value}'; use one of ${allowed.join(', ')}.`);
  return value as T;
}

export function objectParameter(parameters: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new RagError('invalid_argument', `Parameter '${name}' must be an object of metadata keys and values, such as {"documentId": "guide"}.`);
}

/** Reads a dot path of an item's JSON, such as `doc.body`. */
export function readField(item: Item, path: string): unknown {
  let value: unknown = item.json;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function requiredTextField(item: Item, path: string, index: number, parameter: string): string {
  const value = readField(item, path);
  if (typeof value === 'string') return value;
  throw new RagError(
    'invalid_argument',
    value === undefined
      ? `Item ${index} has no field '${path}'. Set parameter '${parameter}' to the field that contains the text.`
      : `Item ${index} field '${path}' is ${Array.isArray(value) ? 'an array' : typeof value}, not text. Set parameter '${parameter}' to a text field.`,
  );
}

/** Collection names as the vector host API accepts them. */
export function collectionParameter(parameters: Record<string, unknown>): string {
  const name = stringParameter(parameters, 'collection');
  if (!name) throw new RagError('invalid_argument', "Parameter 'collection' is empty; name the vector collection, such as \"docs\".");
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new RagError('invalid_argument', `Parameter 'collection' is '${name}'; a collection name starts with a letter and has only letters, digits, "_", "." or "-" (64 characters at most).`);
  }
  return name;
}
