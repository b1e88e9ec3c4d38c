import { ExtensionError } from '@mify/sdk';

/**
 * Readers for node parameters. The kernel checks parameters against the manifest's JSON
 * Schema when a graph is saved, but it does not fill in defaults, and expression values are
 * only known at run time. So every node reads its parameters through these functions. A
 * missing value takes the default, and a wrong one fails the step with `invalid_parameter`.
 */

/** Upper bound of `maxTextLength`, in UTF-16 code units per scanned string. */
export const MAX_TEXT_LENGTH_LIMIT = 1_000_000;

/** Default of `maxTextLength`, in UTF-16 code units per scanned string. */
export const DEFAULT_MAX_TEXT_LENGTH = 100_000;

const FIELD_PATH = /^(?:[^.\s]+)(?:\.[^.\s]+)*$/;
const OUTPUT_FIELD = /^[A-Za-z_$][\w$-]{0,63}$/;

/** Creates the `invalid_parameter` error for parameter `name` with `value`, where `expected` describes a valid value. */
export function invalidParameter(name: string, value: unknown, expected: string): ExtensionError {
  return new ExtensionError('invalid_parameter', `Parameter '${name}' is invalid: expected ${expected}, got ${describe(value)}. Fix it in the node's parameters.`, {
    details: { parameter: name },
  });
}

export function readEnum<T extends string>(parameters: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidParameter(name, value, `one of ${allowed.map((entry) => `"${entry}"`).join(', ')}`);
}

export function readNumber(parameters: Record<string, unknown>, name: string, range: { min: number; max: number; integer?: boolean }, fallback: number): number {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  const valid = typeof value === 'number' && Number.isFinite(value) && value >= range.min && value <= range.max && (!range.integer || Number.isInteger(value));
  if (!valid) throw invalidParameter(name, value, `${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}`);
  return value;
}

export function readBoolean(parameters: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalidParameter(name, value, 'true or false');
  return value;
}

/** Reads a single character, such as the mask character. */
export function readCharacter(parameters: Record<string, unknown>, name: string, fallback: string): string {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || [...value].length !== 1) throw invalidParameter(name, value, 'exactly one character, such as "*"');
  return value;
}

/** Reads the name of the JSON field a node writes its result to. */
export function readOutputField(parameters: Record<string, unknown>, name: string, fallback: string): string {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !OUTPUT_FIELD.test(value)) throw invalidParameter(name, value, 'a field name of letters, digits, "_", "$" or "-" (at most 64 characters), such as "pii"');
  return value;
}

/** Reads a list of field paths such as `["text", "messages.*.content"]`. */
export function readFieldPaths(parameters: Record<string, unknown>, name: string, fallback: string[]): string[] {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (!Array.isArray(value)) throw invalidParameter(name, value, 'a list of field paths such as ["text", "messages.*.content"]');

  for (const [index, path] of value.entries()) {
    if (typeof path !== 'string' || !FIELD_PATH.test(path)) {
      throw invalidParameter(`${name}[${index}]`, path, 'a dot-separated field path without spaces, such as "message.body" or "messages.*.content"');
    }
  }
  return value as string[];
}

/** Reads a list of values out of `allowed`, such as the PII types to look for. */
export function readEnumList<T extends string>(parameters: Record<string, unknown>, name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const value = parameters[name];
  if (value === undefined || value === null) return [...fallback];
  if (!Array.isArray(value) || value.length === 0) throw invalidParameter(name, value, `a non-empty list of ${allowed.map((entry) => `"${entry}"`).join(', ')}`);

  for (const [index, entry] of value.entries()) {
    if (typeof entry !== 'string' || !(allowed as readonly string[]).includes(entry)) {
      throw invalidParameter(`${name}[${index}]`, entry, `one of ${allowed.map((option) => `"${option}"`).join(', ')}`);
    }
  }
  return [...new Set(value as T[])];
}

export function readMaxTextLength(parameters: Record<string, unknown>): number {
  return readNumber(parameters, 'maxTextLength', { min: 1, max: MAX_TEXT_LENGTH_LIMIT, integer: true }, DEFAULT_MAX_TEXT_LENGTH);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
