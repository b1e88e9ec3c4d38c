import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { SharedStateClosedError } from './errors.js';
import { connectRedis, describeRedisUrl } from './redis-connection.js';
import { EXTEND_LOCK, RELEASE_LOCK, SLIDING_WINDOW_HIT, runScript } from './redis-scripts.js';
import type { Cache, Lock, LockManager, PubSub, RateLimiter, RateLimitResult, SharedState } from './types.js';
import { toRateLimitWindow, toTtlMs } from './validate.js';
import { runWithLock } from './with-lock.js';

/** Maximum time `close` waits for the reply to QUIT before dropping a connection, in milliseconds. */
const QUIT_TIMEOUT_MS = 1_000;

/** Handlers of one channel, and the SUBSCRIBE that later subscribers wait for so they miss no message. */
interface ChannelSubscription {
  handlers: Set<(message: string) => void>;
  subscribed: Promise<unknown>;
}

/**
 * Creates the Redis back end with two connections: one for commands and one in subscriber
 * mode, because a Redis connection that has subscribed cannot send other commands.
 * Every key and channel starts with `keyPrefix`, followed by `cache:`, `ratelimit:`,
 * `lock:` or `channel:`. Needs Redis 5 or newer, and a single server (not Redis Cluster).
 *
 * @example
 * const state = await createRedisSharedState('redis://127.0.0.1:6379', 'mify:', logger);
 */
export async function createRedisSharedState(redisUrl: string, keyPrefix: string, logger: Logger): Promise<SharedState> {
  const address = describeRedisUrl(redisUrl);
  const log = logger.child({ component: 'shared-state', backend: 'redis', redis: `${address.host}:${address.port}`, keyPrefix });

  const client = await connectRedis(redisUrl, 'commands', log);
  let subscriber: Redis;
  try {
    subscriber = await connectRedis(redisUrl, 'subscriber', log);
  } catch (error) {
    client.disconnect();
    throw error;
  }

  log.info({ db: address.db, tls: address.tls }, 'shared state connected to Redis');
  return new RedisSharedState(client, subscriber, keyPrefix, log);
}

class RedisSharedState implements SharedState {
  readonly kind = 'redis' as const;
  readonly cache: Cache;
  readonly rateLimiter: RateLimiter;
  readonly pubsub: PubSub;
  readonly locks: LockManager;

  private closed = false;
  private readonly channels = new Map<string, ChannelSubscription>();

  constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {
    this.cache = {
      get: (key) => this.cacheGet(key),
      set: (key, value, ttlMs) => this.cacheSet(key, value, ttlMs),
      delete: (key) => this.cacheDelete(key),
      setIfAbsent: (key, value, ttlMs) => this.cacheSetIfAbsent(key, value, ttlMs),
    };
    this.rateLimiter = { hit: (key, limit, windowMs) => this.hit(key, limit, windowMs) };
    this.pubsub = {
      publish: (channel, message) => this.publish(channel, message),
      subscribe: (channel, handler) => this.subscribe(channel, handler),
    };
    this.locks = {
      acquire: (name, ttlMs) => this.acquire(name, ttlMs),
      withLock: (name, ttlMs, fn, options) => runWithLock((n, t) => this.acquire(n, t), this.logger, name, ttlMs, fn, options),
    };

    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  /** Sends PING on the command connection and returns its round-trip time in ms. Rejects while the subscriber connection is down. */
  async ping(): Promise<number> {
    this.assertOpen();

    if (this.subscriber.status !== 'ready') {
      throw new Error(
        `Redis subscriber connection is not ready (status '${this.subscriber.status}'), so pub/sub messages are not being received. ` +
          'It reconnects on its own once Redis is reachable again.',
      );
    }

    const started = performance.now();
    await this.client.ping();
    return performance.now() - started;
  }

  async close(): Promise<void> {
    if (this.closed) return;

    this.closed = true;
    this.channels.clear();
    await Promise.all([quit(this.client, this.logger), quit(this.subscriber, this.logger)]);
    this.logger.info('shared state closed');
  }

  private assertOpen(): void {
    if (this.closed) throw new SharedStateClosedError('redis');
  }

  private key(kind: 'cache' | 'ratelimit' | 'lock' | 'channel', name: string): string {
    return `${this.keyPrefix}${kind}:${name}`;
  }

  private async cacheGet(key: string): Promise<string | null> {
    this.assertOpen();
    return this.client.get(this.key('cache', key));
  }

  private async cacheSet(key: string, value: string, ttlMs: number | undefined): Promise<void> {
    this.assertOpen();

    if (ttlMs === undefined) {
      await this.client.set(this.key('cache', key), value);
      return;
    }

    await this.client.set(this.key('cache', key), value, 'PX', toTtlMs(ttlMs));
  }

  private async cacheDelete(key: string): Promise<void> {
    this.assertOpen();
    await this.client.del(this.key('cache', key));
  }

  private async cacheSetIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();

    const reply = await this.client.set(this.key('cache', key), value, 'PX', toTtlMs(ttlMs), 'NX');
    return reply === 'OK';
  }

  private async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    this.assertOpen();

    const valid = toRateLimitWindow(limit, windowMs);
    const reply = await runScript(this.client, SLIDING_WINDOW_HIT, [this.key('ratelimit', key)], [valid.windowMs, valid.limit, randomUUID()]);
    const [allowed, remaining, retryAfterMs, resetMs] = reply as [number, number, number, number];

    return { allowed: allowed === 1, limit: valid.limit, remaining, retryAfterMs, resetMs };
  }

  private async publish(channel: string, message: string): Promise<void> {
    this.assertOpen();
    await this.client.publish(this.key('channel', channel), message);
  }

  private async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.assertOpen();

    const redisChannel = this.key('channel', channel);
    // Wrap the handler so that subscribing the same function twice gives two independent subscriptions.
    const subscription = (message: string): void => handler(message);

    let entry = this.channels.get(redisChannel);
    if (!entry) {
      entry = { handlers: new Set(), subscribed: this.subscriber.subscribe(redisChannel) };
      this.channels.set(redisChannel, entry);
    }
    entry.handlers.add(subscription);

    try {
      await entry.subscribed;
    } catch (error) {
      this.removeHandler(redisChannel, subscription);
      throw error;
    }

    return async () => {
      if (this.closed || !this.removeHandler(redisChannel, subscription)) return;
      await this.subscriber.unsubscribe(redisChannel);
    };
  }

  /** Removes one handler. Returns true when it was the channel's last, so the caller should unsubscribe from Redis. */
  private removeHandler(redisChannel: string, subscription: (message: string) => void): boolean {
    const entry = this.channels.get(redisChannel);
    if (!entry?.handlers.delete(subscription)) return false;
    if (entry.handlers.size > 0) return false;

    this.channels.delete(redisChannel);
    return true;
  }

  private dispatch(redisChannel: string, message: string): void {
    const handlers = this.channels.get(redisChannel)?.handlers;
    if (!handlers) return;

    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch (error) {
        this.logger.error({ err: error, channel: redisChannel }, 'pub/sub handler threw, other handlers still received the message');
      }
    }
  }

  /**
   * Takes the lock with SET NX PX and a random token, so release and extend can check ownership.
   * NOTE: this is a single-server lock, not Redlock. If a replicated Redis fails over before the
   * replica has the key, a second holder can acquire the same lock.
   */
  private async acquire(name: string, ttlMs: number): Promise<Lock | null> {
    this.assertOpen();

    const key = this.key('lock', name);
    const token = randomUUID();
    const reply = await this.client.set(key, token, 'PX', toTtlMs(ttlMs), 'NX');
    if (reply !== 'OK') return null;

    return {
      name,
      release: async () => {
        this.assertOpen();
        return (await runScript(this.client, RELEASE_LOCK, [key], [token])) === 1;
      },
      extend: async (extendTtlMs) => {
        this.assertOpen();
        return (await runScript(this.client, EXTEND_LOCK, [key], [token, toTtlMs(extendTtlMs)])) === 1;
      },
    };
  }
}

/** Closes a connection with QUIT, or drops it when QUIT gets no reply in time (for example while Redis is down). */
async function quit(connection: Redis, logger: Logger): Promise<void> {
  try {
    await Promise.race([connection.quit(), sleep(QUIT_TIMEOUT_MS, undefined, { ref: false })]);
  } catch (error) {
    // QUIT fails when the connection is already gone, which is the state close() wants.
    logger.debug({ err: error }, 'QUIT failed while closing a Redis connection, dropping it');
  } finally {
    connection.disconnect();
  }
}
