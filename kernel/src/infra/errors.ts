import { MifyError } from '../errors.js';

/** Raised by `LockManager.withLock` when another holder keeps the lock for longer than the caller waits. */
export class LockUnavailableError extends MifyError {
  readonly lockName: string;
  readonly waitMs: number;

  constructor(lockName: string, waitMs: number) {
    super(
      'lock_unavailable',
      409,
      `Lock '${lockName}' is held by another holder and was not released within ${waitMs} ms. Retry later, or pass a longer waitMs.`,
      { lock: lockName, waitMs },
    );
    this.name = 'LockUnavailableError';
    this.lockName = lockName;
    this.waitMs = waitMs;
  }
}

/**
 * Raised at start-up when Redis cannot be reached or rejects the connection.
 * The message names the host and port from the URL, never its user name or password.
 */
export class SharedStateUnavailableError extends MifyError {
  constructor(message: string, details: Record<string, unknown>, options?: ErrorOptions) {
    super('shared_state_unavailable', 503, message, details, options);
    this.name = 'SharedStateUnavailableError';
  }
}

/** Raised by every call on a `SharedState` after `close()`. */
export class SharedStateClosedError extends MifyError {
  constructor(kind: 'redis' | 'memory') {
    super(
      'shared_state_closed',
      500,
      `The ${kind} shared state was used after close(). Create a new one with createSharedState() instead.`,
      { kind },
    );
    this.name = 'SharedStateClosedError';
  }
}
