/**
 * Readers of node parameters. The kernel validates parameters against the manifest's JSON
 * Schema before a graph runs, but a node called on its own or with expressions resolved at
 * run time may still get wrong values, so each reader checks and names the parameter.
 */
import type { Item, JsonObject } from '@mify/sdk';
import { invalidParameter } from './errors.js';

export type Parameters = Record<string, unknown>;

/** Returns a string parameter, or `fallback` when it is missing or empty. */
export function stringParameter(parameters: Parameters, name: string, fallback?: string): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') throw invalidParameter(`Parameter '${name}' must be a string, got ${JSON.stringify(value)}.`);
  return value;
}

/** Returns an integer parameter within `[min, max]`, or `fallback` when it is missing. */
export function integerParameter(parameters: Parameters, name: string, fallback: number, bounds: { min: number; max: number }): number {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw invalidParameter(`Parameter '${name}' must be an integer from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Returns an optional number parameter within `[min, max]`. */
export function numberParameter(parameters: Parameters, name: string, bounds: { min: number; max: number }): number | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < bounds.min || value > bounds.max) {
    throw invalidParameter(`Parameter '${name}' must be a number from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Returns a boolean parameter, or `fallback` when it is missing. */
export function booleanParameter(parameters: Parameters, name: string, fallback: boolean): boolean {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalidParameter(`Parameter '${name}' must be true or false, got ${JSON.stringify(value)}.`);
  return value;
}

/** Returns one of `choices`, or `fallback` when the parameter is missing. */
export function enumParameter<T extends string>(parameters: Parameters, name: string, choices: readonly T[], fallback: T): T {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw invalidParameter(`Parameter '${name}' must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}.`);
  }
  return value as T;
}

/** Returns an array parameter of objects, or `[]` when it is missing. */
export function objectListParameter(parameters: Parameters, name: string): JsonObject[] {
  const value = parameters[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter(`Parameter '${name}' must be a list, got ${JSON.stringify(value).slice(0, 200)}.`);
  return value.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw invalidParameter(`${name}[${index}] must be an object, got ${JSON.stringify(entry).slice(0, 200)}.`);
    }
    return entry as JsonObject;
  });
}

/** Item fields read as the request when the `prompt` parameter is empty, in this order. */
const PROMPT_FIELDS = ['prompt', 'text', 'message', 'input', 'question'];

/**
 * Returns the user request of an item: the `prompt` parameter, or the first text field of
 * the item among prompt, text, message, input and question.
 */
export function promptOf(parameters: Parameters, item: Item, index: number): string {
  const prompt = stringParameter(parameters, 'prompt');
  if (prompt !== undefined) return prompt;
  for (const field of PROMPT_FIELDS) {
    const value = item.json[field];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  throw invalidParameter(`Item ${index} has no request: set the parameter 'prompt' (such as {{ $json.question }}) or give the item a text field named ${PROMPT_FIELDS.join(', ')}.`);
}

/** Pattern of a tool, worker or peer name: what the vendors accept as a function name. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks a tool, worker or peer name and returns it. */
export function checkName(value: unknown, path: string): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw invalidParameter(`${path} must be 1 to 64 letters, digits, _ or -, got ${JSON.stringify(value)}.`);
  }
  return value;
}
