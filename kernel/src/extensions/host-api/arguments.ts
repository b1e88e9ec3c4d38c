import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import type { HostMethod } from './types.js';

/** Maximum size of one stored JSON value (a key-value entry or a collection document), in bytes of UTF-8 JSON. */
export const MAX_STORED_JSON_BYTES = 256 * 1024;

/** Any JSON value. Arguments arrive as parsed JSON, so this mostly rejects `undefined`. */
export const jsonValue = z.json();

/** A JSON object, as stored documents and metadata must be. */
export const jsonObject = z.record(z.string(), z.json());

/** Returns the size of `value` as UTF-8 JSON, in bytes. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** `\u0000` in JSON text, preceded by an even number of backslashes, so it is an escape and not literal text. */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * Returns a zod refinement for JSON bound for a `jsonb` column. It caps the UTF-8 JSON size
 * and rejects the character U+0000, which PostgreSQL cannot store in `jsonb` or `text`.
 */
export function storableJson(maxBytes: number) {
  return (value: unknown, context: z.RefinementCtx) => {
    const json = JSON.stringify(value) ?? '';
    const size = Buffer.byteLength(json, 'utf8');
    if (size > maxBytes) context.addIssue({ code: 'custom', message: `is ${size} bytes of JSON; the maximum is ${maxBytes} bytes` });
    if (NUL_ESCAPE.test(json)) context.addIssue({ code: 'custom', message: 'contains the character U+0000, which PostgreSQL cannot store; remove it or encode the data as base64' });
  };
}

/** Text bound for a `text` column: PostgreSQL rejects U+0000 in it. */
export function storableText(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine((text) => !text.includes('\u0000'), 'contains the character U+0000, which PostgreSQL cannot store');
}

/**
 * Invalid arguments of a host call: a `ValidationError` (422, with the list of problems)
 * whose code is `invalid_argument`, the code the SDK documents for host calls.
 */
export class InvalidArgumentError extends ValidationError {
  constructor(message: string, problems: Array<{ path: string; message: string }> = []) {
    super(message, problems);
    (this as { code: string }).code = 'invalid_argument';
    this.name = 'InvalidArgumentError';
  }
}

/**
 * Parses the positional arguments of a call against the method's parameters. Throws an
 * `InvalidArgumentError` whose message names the method, each invalid argument and what it expects.
 */
export function parseArguments(method: HostMethod, args: unknown): Record<string, unknown> {
  const names = Object.keys(method.parameters);
  const signature = `${method.name}(${names.join(', ')})`;

  if (!Array.isArray(args)) {
    throw new InvalidArgumentError(`Invalid call to ${signature}: the arguments must be a JSON array.`, [{ path: 'args', message: 'expected an array' }]);
  }
  if (args.length > names.length) {
    throw new InvalidArgumentError(`Invalid call to ${signature}: it takes at most ${names.length} arguments, got ${args.length}.`, [{ path: 'args', message: `expected at most ${names.length} arguments` }]);
  }

  const parsed: Record<string, unknown> = {};
  const problems: Array<{ path: string; message: string }> = [];
  names.forEach((name, index) => {
    const result = method.parameters[name]!.safeParse(args[index]);
    if (result.success) {
      parsed[name] = result.data;
      return;
    }
    for (const issue of result.error.issues) {
      const path = [name, ...issue.path.map(String)].join('.');
      problems.push({ path, message: issue.message });
    }
  });

  if (problems.length > 0) {
    const listed = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    throw new InvalidArgumentError(`Invalid arguments to ${signature}: ${listed}.`, problems);
  }
  return parsed;
}
