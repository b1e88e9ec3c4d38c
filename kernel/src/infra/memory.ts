import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { SharedStateClosedError } from './errors.js';
import { SlidingWindow } from './sliding-window.js';
import type { Cache, Lock, LockManager, PubSub, RateLimiter, RateLimitResult, SharedState } from './types.js';
import { toRateLimit, toTtlMs } from './validate.js';
import { runWithLock } from './with-lock.js';

/** Interval between sweeps that drop expired cache entries, rate-limit windows and locks, in milliseconds. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Monotonic clock in milliseconds, so that a change of the system time neither expires
 * entries early nor keeps them alive.
 */
const now = (): number => performance.now();

interface CacheEntry { value: string; expiresAt: number }
interface LockEntry { token: string; expiresAt: number }

/**
 * Creates the in-process back end. It keeps everything in this process's memory, so it
 * serves one kernel process only: a second process gets its own, unrelated state.
 * Expired entries are removed when read and by a sweep every minute.
 *
 * @example
 * const state = createMemorySharedState(logger);
 * await state.cache.set('greeting', 'hello', 5_000);
 */
export function createMemorySharedState(logger: Logger): SharedState {
  return new MemorySharedState(logger.child({ component: 'shared-state', backend: 'memory' }));
}

class MemorySharedState implements SharedState {
  readonly kind = 'memory' as const;
  readonly cache: Cache;
  readonly rateLimiter: RateLimiter;
  readonly pubsub: PubSub;
  readonly locks: LockManager;

  private closed = false;
  private readonly cacheEntries = new Map<string, CacheEntry>();
  private readonly rateLimitWindows = new Map<string, SlidingWindow>();
  private readonly lockEntries = new Map<string, LockEntry>();
  private readonly subscriptions = new Map<string, Set<(message: string) => void>>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly logger: Logger) {
    this.cache = {
      get: async (key) => this.cacheGet(key),
      set: async (key, value, ttlMs) => this.cacheSet(key, value, ttlMs),
      delete: async (key) => this.cacheDelete(key),
      setIfAbsent: async (key, value, ttlMs) => this.cacheSetIfAbsent(key, value, ttlMs),
    };
    this.rateLimiter = { hit: async (key, limit, windowMs) => this.hit(key, limit, windowMs) };
    this.pubsub = {
      publish: async (channel, message) => this.publish(channel, message),
      subscribe: async (channel, handler) => this.subscribe(channel, handler),
    };
    this.locks = {
      acquire: async (name, ttlMs) => this.acquire(name, ttlMs),
      withLock: (name, ttlMs, fn, options) => runWithLock(async (n, t) => this.acquire(n, t), this.logger, name, ttlMs, fn, options),
    };

    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    this.logger.info('shared state started in memory, for this process only. Set REDIS_URL to share it between kernel processes');
  }

  async ping(): Promise<number> {
    this.assertOpen();

    const started = now();
    await Promise.resolve();
    return now() - started;
  }

  async close(): Promise<void> {
    if (this.closed) return;

    this.closed = true;
    clearInterval(this.sweepTimer);
    this.cacheEntries.clear();
    this.rateLimitWindows.clear();
    this.lockEntries.clear();
    this.subscriptions.clear();
    this.logger.info('shared state closed');
  }

  private assertOpen(): void {
    if (this.closed) throw new SharedStateClosedError('memory');
  }

  private cacheGet(key: string): string | null {
    this.assertOpen();

    const entry = this.cacheEntries.get(key);
    if (!entry) return null;

    if (entry.expiresAt <= now()) {
      this.cacheEntries.delete(key);
      return null;
    }

    return entry.value;
  }

  private cacheSet(key: string, value: string, ttlMs: number | undefined): void {
    this.assertOpen();

    const expiresAt = ttlMs === undefined ? Infinity : now() + toTtlMs(ttlMs);
    this.cacheEntries.set(key, { value, expiresAt });
  }

  private cacheDelete(key: string): void {
    this.assertOpen();
    this.cacheEntries.delete(key);
  }

  private cacheSetIfAbsent(key: string, value: string, ttlMs: number): boolean {
    this.assertOpen();

    const validTtlMs = toTtlMs(ttlMs);
    if (this.cacheGet(key) !== null) return false;

    this.cacheEntries.set(key, { value, expiresAt: now() + validTtlMs });
    return true;
  }

  /** Counts the hits of the last `windowMs` exactly: each hit is kept with its time until it leaves the window. */
  private hit(key: string, limit: number, windowMs: number): RateLimitResult {
    this.assertOpen();

    // Validated one by one rather than with toRateLimitWindow, which allocates, because every API request comes here.
    const validLimit = toRateLimit(limit);
    const validWindowMs = toTtlMs(windowMs, 'windowMs');
    let window = this.rateLimitWindows.get(key);
    if (!window) {
      window = new SlidingWindow(validWindowMs);
      this.rateLimitWindows.set(key, window);
    }

    return window.hit(now(), validLimit, validWindowMs);
  }

  private publish(channel: string, message: string): void {
    this.assertOpen();

    const handlers = this.subscriptions.get(channel);
    if (!handlers) return;

    // Deliver after publish returns, as Redis does, and skip handlers that unsubscribed in between.
    for (const handler of [...handlers]) {
      queueMicrotask(() => {
        if (!this.subscriptions.get(channel)?.has(handler)) return;
        this.deliver(channel, handler, message);
      });
    }
  }

  private deliver(channel: string, handler: (message: string) => void, message: string): void {
    try {
      handler(message);
    } catch (error) {
      this.logger.error({ err: error, channel }, 'pub/sub handler threw, other handlers still received the message');
    }
  }

  private subscribe(channel: string, handler: (message: string) => void): () => Promise<void> {
    this.assertOpen();

    // Wrap the handler so that subscribing the same function twice gives two independent subscriptions.
    const subscription = (message: string): void => handler(message);
    const handlers = this.subscriptions.get(channel) ?? new Set();
    handlers.add(subscription);
    this.subscriptions.set(channel, handlers);

    return async () => {
      const current = this.subscriptions.get(channel);
      current?.delete(subscription);
      if (current?.size === 0) this.subscriptions.delete(channel);
    };
  }

  private acquire(name: string, ttlMs: number): Lock | null {
    this.assertOpen();

    const validTtlMs = toTtlMs(ttlMs);
    const current = this.lockEntries.get(name);
    if (current && current.expiresAt > now()) return null;

    const token = randomUUID();
    this.lockEntries.set(name, { token, expiresAt: now() + validTtlMs });
    return this.lockHandle(name, token);
  }

  private lockHandle(name: string, token: string): Lock {
    // The entry of this acquisition, or undefined once it has expired or another holder has the lock.
    const ownEntry = (): LockEntry | undefined => {
      const entry = this.lockEntries.get(name);
      if (entry?.token !== token || entry.expiresAt <= now()) return undefined;
      return entry;
    };

    return {
      name,
      release: async () => {
        this.assertOpen();
        if (!ownEntry()) return false;

        this.lockEntries.delete(name);
        return true;
      },
      extend: async (ttlMs) => {
        this.assertOpen();
        const validTtlMs = toTtlMs(ttlMs);

        const entry = ownEntry();
        if (!entry) return false;

        entry.expiresAt = now() + validTtlMs;
        return true;
      },
    };
  }

  private sweep(): void {
    const at = now();

    for (const [key, entry] of this.cacheEntries) {
      if (entry.expiresAt <= at) this.cacheEntries.delete(key);
    }

    for (const [key, window] of this.rateLimitWindows) {
      const newestHit = window.newestHit;
      if (newestHit === undefined || newestHit <= at - window.windowMs) this.rateLimitWindows.delete(key);
    }

    for (const [name, entry] of this.lockEntries) {
      if (entry.expiresAt <= at) this.lockEntries.delete(name);
    }
  }
}
