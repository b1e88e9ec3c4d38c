/**
 * Error classes with a stable `code`. The HTTP layer turns a `MifyError` into an
 * RFC 9457 problem+json body whose `type` is derived from the code, so clients
 * can branch on it without parsing messages.
 */
export class MifyError extends Error {
  /** Stable machine-readable code, e.g. `validation_failed`. */
  readonly code: string;
  /** HTTP status used when the error reaches the API. */
  readonly status: number;
  /** Extra members copied into the problem+json body (must hold no secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, status: number, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MifyError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export class ValidationError extends MifyError {
  constructor(message: string, problems: Array<{ path: string; message: string }> = [], details?: Record<string, unknown>) {
    super('validation_failed', 422, message, { ...details, errors: problems });
    this.name = 'ValidationError';
  }
}

export class BadRequestError extends MifyError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 400, message, details);
    this.name = 'BadRequestError';
  }
}

export class NotFoundError extends MifyError {
  constructor(what: string, id: string) {
    super('not_found', 404, `${what} '${id}' was not found.`, { resource: what, id });
    this.name = 'NotFoundError';
  }
}

export class UnauthorizedError extends MifyError {
  constructor(message = 'Authentication required: sign in or send an API key in the Authorization header as "Bearer <key>".') {
    super('unauthorized', 401, message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends MifyError {
  constructor(message: string) {
    super('forbidden', 403, message);
    this.name = 'ForbiddenError';
  }
}

export class ConflictError extends MifyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', 409, message, details);
    this.name = 'ConflictError';
  }
}

export class RateLimitedError extends MifyError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, details?: Record<string, unknown>) {
    super('rate_limited', 429, message, { ...details, retryAfterSeconds });
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Raised at start-up when an environment variable does not match its schema. */
export class ConfigError extends MifyError {
  constructor(message: string, problems: Array<{ variable: string; message: string }>) {
    super('invalid_config', 500, message, { errors: problems });
    this.name = 'ConfigError';
  }
}
