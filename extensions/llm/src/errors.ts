/**
 * Errors of the LLM adapters. Each one names the provider, the model and the next step,
 * and carries a stable code that the gateway passes on to the caller.
 */

/** Stable codes, as the kernel's gateway maps them to HTTP statuses. */
export type LlmErrorCode =
  | 'invalid_argument'
  | 'unauthorized'
  | 'permission_denied'
  | 'not_found'
  | 'rate_limited'
  | 'invalid_provider_response'
  | 'unavailable'
  | 'timeout';

export class LlmError extends Error {
  readonly code: LlmErrorCode;
  /** Seconds the vendor asked to wait before retrying, from its `retry-after` header. */
  readonly retryAfterSeconds?: number;

  constructor(code: LlmErrorCode, message: string, options: { retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'LlmError';
    this.code = code;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Converts the error to the provider result that reports it through the gateway. */
  toProviderResult(): { error: { code: string; message: string; retryAfterSeconds?: number } } {
    return { error: { code: this.code, message: this.message, ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }) } };
  }
}

/** Formats the provider and model for error messages: `Provider 'openai' (model 'gpt-4.1')`. */
export function subject(provider: string, model: string): string {
  return `Provider '${provider}' (model '${model}')`;
}
