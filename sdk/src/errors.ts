import type { JsonObject } from './types.js';

/**
 * An error with a stable `code`, for extension code to throw when a node, route or hook
 * fails for a reason its caller can act on. Callers branch on the code because messages
 * may change between versions.
 *
 * @example
 * if (!contact.email) {
 *   throw new ExtensionError('invalid_input', `Item ${index} has no "email" field; map one in the node's parameters.`);
 * }
 */
export class ExtensionError extends Error {
  /** Stable, machine-readable code in snake_case, such as `invalid_input`. */
  readonly code: string;
  /** JSON details for the caller, such as the rejected field. Never a secret. */
  readonly details?: JsonObject;

  constructor(code: string, message: string, options?: { details?: JsonObject; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExtensionError';
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/**
 * A rejected host API call, as the sandbox creates it: an `Error` named `HostCallError` with
 * the kernel's error code, such as `permission_denied` or `not_found`.
 */
export interface HostCallError extends Error {
  name: 'HostCallError';
  code?: string;
}

/**
 * Checks whether an error came from a rejected host API call, optionally with a given code.
 *
 * @example
 * try {
 *   return await ctx.host.collections.get('contacts', id);
 * } catch (error) {
 *   if (isHostCallError(error, 'not_found')) return null;
 *   throw error;
 * }
 */
export function isHostCallError(error: unknown, code?: string): error is HostCallError {
  if (!(error instanceof Error) || error.name !== 'HostCallError') return false;
  return code === undefined || (error as HostCallError).code === code;
}
