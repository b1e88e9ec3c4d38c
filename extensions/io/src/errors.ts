/**
 * Errors of the I/O nodes. Each carries a stable `code` (the SDK's `ExtensionError`), and its
 * message names the value at fault and what to do next.
 */
import { ExtensionError, type JsonObject } from '@mify/sdk';

/** Stable codes of this extension's errors. */
export type IoErrorCode =
  | 'invalid_parameter'
  | 'invalid_credential'
  | 'http_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'timeout'
  | 'network_error'
  | 'response_too_large'
  | 'address_blocked'
  | 'permission_denied'
  | 'invalid_response'
  | 'cloudflare_error';

export class IoError extends ExtensionError {
  constructor(code: IoErrorCode, message: string, details?: JsonObject) {
    super(code, message, details === undefined ? undefined : { details });
    this.name = 'IoError';
  }
}

/** Creates the error for a parameter value that cannot be used. */
export function invalidParameter(message: string): IoError {
  return new IoError('invalid_parameter', message);
}
