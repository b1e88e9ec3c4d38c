import { createMemorySharedState } from './memory.js';
import { DEFAULT_KEY_PREFIX, type SharedState, type SharedStateOptions } from './types.js';

export { LockUnavailableError, SharedStateClosedError, SharedStateUnavailableError } from './errors.js';
export type { Cache, Lock, LockManager, PubSub, RateLimiter, RateLimitResult, SharedState, SharedStateOptions } from './types.js';
export { DEFAULT_KEY_PREFIX } from './types.js';

/**
 * Creates the kernel's shared state: the Redis back end when `redisUrl` is set, the
 * in-process one otherwise. Both implement the same interface with the same semantics.
 * Rejects with a `SharedStateUnavailableError` naming the host when Redis cannot be reached,
 * or with a `ConfigError` when the URL is malformed. The owner calls `close()` on shutdown.
 *
 * @example
 * const state = await createSharedState({ redisUrl: config.redisUrl, logger });
 * const result = await state.rateLimiter.hit(`ip:${address}`, 600, 60_000);
 * if (!result.allowed) throw new RateLimitedError('Too many requests.', Math.ceil(result.retryAfterMs / 1000));
 */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  if (options.redisUrl) {
    // Loaded on demand: ioredis adds about 80 ms to start-up and is needed only with Redis.
    const { createRedisSharedState } = await import('./redis.js');
    return createRedisSharedState(options.redisUrl, options.keyPrefix ?? DEFAULT_KEY_PREFIX, options.logger);
  }

  return createMemorySharedState(options.logger);
}
