import type { Logger } from '../logger.js';

/**
 * String key-value store with optional expiry. Values are stored as given, so callers
 * serialise structured data themselves (usually as JSON).
 */
export interface Cache {
  /** Returns the value of `key`, or null when it is missing or has expired. */
  get(key: string): Promise<string | null>;
  /**
   * Stores `value` under `key`, replacing any earlier value and its expiry.
   * `ttlMs` is the time to live in milliseconds, rounded up to a whole millisecond.
   * Default: no expiry.
   */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Removes `key`. Removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Sets only when absent; returns true when it set.
   * `ttlMs` is required (in milliseconds, no default), so a forgotten marker cannot block a key forever.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
}

/** Outcome of one `RateLimiter.hit`. */
export interface RateLimitResult {
  /** True when the hit is within the limit. A rejected hit is not recorded, so it does not extend the wait. */
  allowed: boolean;
  /** Maximum number of hits per window, as passed to `hit`. */
  limit: number;
  /** Hits still allowed in the current window after this one; 0 when rejected. */
  remaining: number;
  /** Milliseconds until a hit would be allowed again; 0 when this hit was allowed. */
  retryAfterMs: number;
  /** Milliseconds until every hit now in the window has left it, so that `remaining` is back to `limit`. */
  resetMs: number;
}

export interface RateLimiter {
  /**
   * Sliding-window limiter: records one hit for `key` and returns whether it is within `limit` hits per `windowMs`.
   * A hit counts for exactly `windowMs` milliseconds after it was recorded. `limit` must be a whole number
   * of at least 1 and `windowMs` a positive number of milliseconds, neither has a default.
   */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
}

/**
 * Fire-and-forget messaging: a message reaches the handlers subscribed when it is
 * published, at most once, and is not stored for later subscribers.
 */
export interface PubSub {
  /** Sends `message` to every current subscriber of `channel`, in this process and (with Redis) in others. */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `handler` for each message on `channel` until unsubscribed. Returns an unsubscribe function,
   * which may be called more than once. Handlers run asynchronously, and an error thrown by one is logged
   * and does not reach the publisher or other handlers.
   */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
}

/** A held lock. Each acquisition has its own token, so only this handle can release or extend it. */
export interface Lock {
  readonly name: string;
  /** Releases the lock. Returns false when it was no longer held by this handle (it expired, perhaps taken by another holder). */
  release(): Promise<boolean>;
  /** Sets the lock to expire `ttlMs` milliseconds from now. Returns false when it was no longer held by this handle. */
  extend(ttlMs: number): Promise<boolean>;
}

export interface LockManager {
  /**
   * Returns null when another holder has the lock. Locks expire after ttlMs unless extended.
   * `ttlMs` is in milliseconds and has no default.
   */
  acquire(name: string, ttlMs: number): Promise<Lock | null>;
  /**
   * Runs fn while holding the lock (waiting up to waitMs, default 0), releasing it afterwards.
   * Throws a LockUnavailableError (a MifyError subclass with code 'lock_unavailable', status 409) when it cannot be had.
   *
   * While `fn` runs, the lock is extended by `ttlMs` every `ttlMs / 2` milliseconds, so a slow `fn` keeps it,
   * but a process that dies frees it after at most `ttlMs`. If an extension fails because the lock was lost,
   * the loss is logged and `fn` keeps running, because it cannot be interrupted.
   */
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T>;
}

/**
 * State that every kernel process shares: the cache, rate limits, pub/sub and locks.
 * Created by `createSharedState` and closed by its owner with `close`.
 */
export interface SharedState {
  /** Back end in use: `redis` when a Redis URL was given, `memory` (this process only) otherwise. */
  readonly kind: 'redis' | 'memory';
  readonly cache: Cache;
  readonly rateLimiter: RateLimiter;
  readonly pubsub: PubSub;
  readonly locks: LockManager;
  /**
   * Checks the connection; resolves with latency in ms. Rejects when a Redis connection is down.
   * The in-process back end measures a no-op, so its latency is close to 0.
   */
  ping(): Promise<number>;
  /**
   * Closes connections, timers and subscriptions. Any later call rejects with a `SharedStateClosedError`,
   * except unsubscribe functions, which then do nothing. Calling it twice is harmless.
   */
  close(): Promise<void>;
}

export interface SharedStateOptions {
  /**
   * Redis URL such as `redis://user:password@127.0.0.1:6379/0` (or `rediss://` for TLS), usually `REDIS_URL`.
   * Default: none, which selects the in-process back end.
   */
  redisUrl?: string;
  /**
   * Prefix of every Redis key and pub/sub channel, so several deployments or test runs can share one Redis.
   * Default: `mify:`. The in-process back end ignores it.
   */
  keyPrefix?: string;
  logger: Logger;
}

/** Default of `SharedStateOptions.keyPrefix`. */
export const DEFAULT_KEY_PREFIX = 'mify:';
