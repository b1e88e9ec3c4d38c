import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import {
  createSharedState,
  LockUnavailableError,
  SharedStateClosedError,
  SharedStateUnavailableError,
  type SharedState,
} from './index.js';

// Set REDIS_URL (for example redis://127.0.0.1:6390) to run the same suite against Redis.
const redisUrl = process.env.REDIS_URL;
const logger = createLogger({ level: 'silent' });

interface Backend {
  skip: boolean;
  redisUrl: string | undefined;
}

// Rows of [name, back end]. '%s' prints the name unquoted, so the skip reason reads plainly in the report.
const backends: Array<[string, Backend]> = [
  ['memory', { skip: false, redisUrl: undefined }],
  [redisUrl ? 'redis' : 'redis (skipped: REDIS_URL not set)', { skip: !redisUrl, redisUrl }],
];

describe.each(backends)('%s', (_name, backend) => {
  describe.skipIf(backend.skip)('shared state', () => {
    const opened: SharedState[] = [];
    let prefix = '';
    let state: SharedState;

    /**
     * Returns a second holder of the same state: another SharedState on the same Redis and
     * prefix, or the same instance for the in-process back end, whose state is per instance.
     */
    async function openPeer(): Promise<SharedState> {
      if (!backend.redisUrl) return state;

      const peer = await createSharedState({ redisUrl: backend.redisUrl, keyPrefix: prefix, logger });
      opened.push(peer);
      return peer;
    }

    // Each test gets its own key prefix so that runs and tests never see each other's keys.
    beforeEach(async () => {
      prefix = `mify-test:${randomUUID()}:`;
      state = await createSharedState({ redisUrl: backend.redisUrl, keyPrefix: prefix, logger });
      opened.push(state);
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((instance) => instance.close()));
      if (backend.redisUrl) await deleteKeys(backend.redisUrl, prefix);
    });

    it('reports its kind', async () => {
      expect(state.kind).toBe(backend.redisUrl ? 'redis' : 'memory');
    });

    it('ping returns a latency in ms', async () => {
      const latencyMs = await state.ping();

      expect(latencyMs).toBeGreaterThanOrEqual(0);
      expect(latencyMs).toBeLessThan(1_000);
    });

    describe('cache', () => {
      it('stores and returns values', async () => {
        await state.cache.set('greeting', 'hello');

        expect(await state.cache.get('greeting')).toBe('hello');
        expect(await state.cache.get('missing')).toBeNull();
      });

      it('expires values after ttlMs', async () => {
        await state.cache.set('short', 'value', 100);
        expect(await state.cache.get('short')).toBe('value');

        await sleep(200);
        expect(await state.cache.get('short')).toBeNull();
      });

      it('set without ttl clears earlier expiry', async () => {
        await state.cache.set('key', 'first', 100);
        await state.cache.set('key', 'second');
        await sleep(200);

        expect(await state.cache.get('key')).toBe('second');
      });

      it('delete removes the value', async () => {
        await state.cache.set('key', 'value');

        await state.cache.delete('key');
        await state.cache.delete('never-set');

        expect(await state.cache.get('key')).toBeNull();
      });

      it('setIfAbsent sets only missing keys', async () => {
        expect(await state.cache.setIfAbsent('marker', 'first', 1_000)).toBe(true);
        expect(await state.cache.setIfAbsent('marker', 'second', 1_000)).toBe(false);
        expect(await state.cache.get('marker')).toBe('first');
      });

      it('setIfAbsent sets again after expiry', async () => {
        expect(await state.cache.setIfAbsent('marker', 'first', 100)).toBe(true);
        await sleep(200);

        expect(await state.cache.setIfAbsent('marker', 'second', 1_000)).toBe(true);
        expect(await state.cache.get('marker')).toBe('second');
      });

      it('rejects invalid ttlMs', async () => {
        await expect(state.cache.set('key', 'value', 0)).rejects.toThrow(RangeError);
        await expect(state.cache.set('key', 'value', -5)).rejects.toThrow(/ttlMs.*positive number of milliseconds/);
        await expect(state.cache.setIfAbsent('key', 'value', Number.NaN)).rejects.toThrow(RangeError);
        expect(await state.cache.get('key')).toBeNull();
      });

      it('shares values between instances', async () => {
        const peer = await openPeer();

        await state.cache.set('shared', 'value', 1_000);

        expect(await peer.cache.get('shared')).toBe('value');
      });
    });

    describe('rate limiter', () => {
      it('rejects hits over the limit', async () => {
        const results = [];
        for (let i = 0; i < 4; i += 1) results.push(await state.rateLimiter.hit('client', 3, 1_000));

        expect(results.map((result) => result.allowed)).toEqual([true, true, true, false]);
        expect(results.map((result) => result.remaining)).toEqual([2, 1, 0, 0]);
        expect(results.map((result) => result.limit)).toEqual([3, 3, 3, 3]);
        expect(results[0]?.retryAfterMs).toBe(0);
        expect(results[3]?.retryAfterMs).toBeGreaterThan(500);
        expect(results[3]?.retryAfterMs).toBeLessThanOrEqual(1_000);
        expect(results[3]?.resetMs).toBeLessThanOrEqual(1_000);
      });

      it('allows again as the window slides', async () => {
        expect((await state.rateLimiter.hit('client', 2, 400)).allowed).toBe(true);
        await sleep(200);
        expect((await state.rateLimiter.hit('client', 2, 400)).allowed).toBe(true);

        const rejected = await state.rateLimiter.hit('client', 2, 400);
        expect(rejected.allowed).toBe(false);
        // The oldest hit leaves the window about 200 ms from now, the second one about 400 ms from now.
        // setTimeout may wake a millisecond early against the monotonic clock, hence the small margin.
        expect(rejected.retryAfterMs).toBeGreaterThan(100);
        expect(rejected.retryAfterMs).toBeLessThanOrEqual(205);
        expect(rejected.resetMs).toBeGreaterThan(rejected.retryAfterMs);

        await sleep(rejected.retryAfterMs + 30);
        const afterSlide = await state.rateLimiter.hit('client', 2, 400);
        expect(afterSlide.allowed).toBe(true);
        expect(afterSlide.remaining).toBe(0);

        // Only the oldest hit has left, so the window is full again: a fixed window would have reset here.
        expect((await state.rateLimiter.hit('client', 2, 400)).allowed).toBe(false);
      });

      it('does not record rejected hits', async () => {
        expect((await state.rateLimiter.hit('client', 1, 200)).allowed).toBe(true);
        for (let i = 0; i < 5; i += 1) {
          expect((await state.rateLimiter.hit('client', 1, 200)).allowed).toBe(false);
        }

        await sleep(250);
        expect((await state.rateLimiter.hit('client', 1, 200)).allowed).toBe(true);
      });

      it('counts keys separately', async () => {
        expect((await state.rateLimiter.hit('first', 1, 1_000)).allowed).toBe(true);
        expect((await state.rateLimiter.hit('second', 1, 1_000)).allowed).toBe(true);
        expect((await state.rateLimiter.hit('first', 1, 1_000)).allowed).toBe(false);
      });

      it('counts hits from every instance', async () => {
        const peer = await openPeer();

        expect((await state.rateLimiter.hit('client', 2, 1_000)).allowed).toBe(true);
        expect((await peer.rateLimiter.hit('client', 2, 1_000)).allowed).toBe(true);
        expect((await state.rateLimiter.hit('client', 2, 1_000)).allowed).toBe(false);
      });

      it('admits exactly the limit under concurrency', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => state.rateLimiter.hit('burst', 7, 5_000)));

        expect(results.filter((result) => result.allowed)).toHaveLength(7);
      });

      it('rejects invalid limit and window', async () => {
        await expect(state.rateLimiter.hit('client', 0, 1_000)).rejects.toThrow(/rate limit.*at least 1/);
        await expect(state.rateLimiter.hit('client', 1.5, 1_000)).rejects.toThrow(RangeError);
        await expect(state.rateLimiter.hit('client', 1, 0)).rejects.toThrow(/windowMs/);
      });
    });

    describe('pub/sub', () => {
      it('delivers to two subscribers in order', async () => {
        const first: string[] = [];
        const second: string[] = [];
        await state.pubsub.subscribe('events', (message) => first.push(message));
        await state.pubsub.subscribe('events', (message) => second.push(message));

        await state.pubsub.publish('events', 'one');
        await state.pubsub.publish('events', 'two');

        await vi.waitFor(() => expect(first).toEqual(['one', 'two']));
        await vi.waitFor(() => expect(second).toEqual(['one', 'two']));
      });

      it('delivers only on the subscribed channel', async () => {
        const received: string[] = [];
        await state.pubsub.subscribe('wanted', (message) => received.push(message));

        await state.pubsub.publish('other', 'ignored');
        await state.pubsub.publish('wanted', 'kept');

        await vi.waitFor(() => expect(received).toEqual(['kept']));
      });

      it('unsubscribe stops one subscriber', async () => {
        const removed: string[] = [];
        const kept: string[] = [];
        const unsubscribe = await state.pubsub.subscribe('events', (message) => removed.push(message));
        await state.pubsub.subscribe('events', (message) => kept.push(message));
        await state.pubsub.publish('events', 'before');
        await vi.waitFor(() => expect(removed).toEqual(['before']));

        await unsubscribe();
        await unsubscribe();
        await state.pubsub.publish('events', 'after');

        // Messages on one channel arrive in order, so once `kept` has 'after', `removed` would have it too.
        await vi.waitFor(() => expect(kept).toEqual(['before', 'after']));
        expect(removed).toEqual(['before']);
      });

      it('unsubscribing the last handler stops delivery', async () => {
        const removed: string[] = [];
        const sentinel: string[] = [];
        const unsubscribe = await state.pubsub.subscribe('events', (message) => removed.push(message));
        await unsubscribe();
        await state.pubsub.subscribe('sentinel', (message) => sentinel.push(message));

        await state.pubsub.publish('events', 'after');
        await state.pubsub.publish('sentinel', 'done');

        await vi.waitFor(() => expect(sentinel).toEqual(['done']));
        expect(removed).toEqual([]);
      });

      it('same handler subscribed twice gets two copies', async () => {
        const received: string[] = [];
        const handler = (message: string): void => void received.push(message);
        const unsubscribeFirst = await state.pubsub.subscribe('events', handler);
        await state.pubsub.subscribe('events', handler);

        await state.pubsub.publish('events', 'twice');
        await vi.waitFor(() => expect(received).toEqual(['twice', 'twice']));

        await unsubscribeFirst();
        await state.pubsub.publish('events', 'once');
        await vi.waitFor(() => expect(received).toEqual(['twice', 'twice', 'once']));
      });

      it('handler error spares other handlers', async () => {
        const received: string[] = [];
        await state.pubsub.subscribe('events', () => {
          throw new Error('handler failed');
        });
        await state.pubsub.subscribe('events', (message) => received.push(message));

        await expect(state.pubsub.publish('events', 'message')).resolves.toBeUndefined();

        await vi.waitFor(() => expect(received).toEqual(['message']));
      });

      it('delivers between instances', async () => {
        const peer = await openPeer();
        const received: string[] = [];
        await peer.pubsub.subscribe('events', (message) => received.push(message));

        await state.pubsub.publish('events', 'across');

        await vi.waitFor(() => expect(received).toEqual(['across']));
      });
    });

    describe('locks', () => {
      it('acquire excludes a second holder', async () => {
        const peer = await openPeer();

        const lock = await state.locks.acquire('job', 5_000);
        expect(lock?.name).toBe('job');
        expect(await peer.locks.acquire('job', 5_000)).toBeNull();

        expect(await lock?.release()).toBe(true);
        expect(await peer.locks.acquire('job', 5_000)).not.toBeNull();
      });

      it('locks with different names are independent', async () => {
        expect(await state.locks.acquire('first', 5_000)).not.toBeNull();
        expect(await state.locks.acquire('second', 5_000)).not.toBeNull();
      });

      it('expiry frees the lock', async () => {
        const peer = await openPeer();

        expect(await state.locks.acquire('job', 100)).not.toBeNull();
        expect(await peer.locks.acquire('job', 100)).toBeNull();

        await sleep(200);
        expect(await peer.locks.acquire('job', 1_000)).not.toBeNull();
      });

      it('release by a non-owner fails', async () => {
        const peer = await openPeer();
        const expired = await state.locks.acquire('job', 100);
        await sleep(200);
        const current = await peer.locks.acquire('job', 5_000);
        expect(current).not.toBeNull();

        expect(await expired?.release()).toBe(false);
        expect(await expired?.extend(5_000)).toBe(false);

        expect(await state.locks.acquire('job', 5_000)).toBeNull();
        expect(await current?.release()).toBe(true);
      });

      it('release twice returns false', async () => {
        const lock = await state.locks.acquire('job', 5_000);

        expect(await lock?.release()).toBe(true);
        expect(await lock?.release()).toBe(false);
      });

      it('extend keeps the lock past its ttl', async () => {
        const peer = await openPeer();
        const lock = await state.locks.acquire('job', 200);

        await sleep(100);
        expect(await lock?.extend(500)).toBe(true);
        await sleep(200);

        expect(await peer.locks.acquire('job', 1_000)).toBeNull();
      });

      it('rejects invalid ttlMs', async () => {
        await expect(state.locks.acquire('job', 0)).rejects.toThrow(RangeError);
        await expect(state.locks.withLock('job', 1_000, async () => 1, { waitMs: -1 })).rejects.toThrow(/waitMs/);
      });
    });

    describe('withLock', () => {
      it('returns the result and releases', async () => {
        const result = await state.locks.withLock('job', 5_000, async () => 42);

        expect(result).toBe(42);
        expect(await state.locks.acquire('job', 5_000)).not.toBeNull();
      });

      it('releases when fn throws', async () => {
        await expect(
          state.locks.withLock('job', 5_000, async () => {
            throw new Error('step failed');
          }),
        ).rejects.toThrow('step failed');

        expect(await state.locks.acquire('job', 5_000)).not.toBeNull();
      });

      it('throws LockUnavailableError without waitMs', async () => {
        const peer = await openPeer();
        await peer.locks.acquire('job', 5_000);
        const fn = vi.fn(async () => 'ran');

        const error = await state.locks.withLock('job', 5_000, fn).catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(LockUnavailableError);
        expect(error).toMatchObject({ code: 'lock_unavailable', status: 409, details: { lock: 'job', waitMs: 0 } });
        expect(fn).not.toHaveBeenCalled();
      });

      it('throws LockUnavailableError after waitMs', async () => {
        const peer = await openPeer();
        await peer.locks.acquire('job', 5_000);

        const started = performance.now();
        const attempt = state.locks.withLock('job', 5_000, async () => 'ran', { waitMs: 300 });

        await expect(attempt).rejects.toBeInstanceOf(LockUnavailableError);
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      });

      it('waits for the holder to release', async () => {
        const peer = await openPeer();
        const holder = await peer.locks.acquire('job', 5_000);
        const events: string[] = [];

        const waiting = state.locks.withLock('job', 5_000, async () => events.push('fn ran'), { waitMs: 3_000 });
        await sleep(200);
        events.push('holder released');
        await holder?.release();

        await expect(waiting).resolves.toBe(2);
        expect(events).toEqual(['holder released', 'fn ran']);
      });

      it('waits for the lock to expire', async () => {
        const peer = await openPeer();
        await peer.locks.acquire('job', 200);

        await expect(state.locks.withLock('job', 5_000, async () => 'ran', { waitMs: 3_000 })).resolves.toBe('ran');
      });

      it('runs concurrent callers one at a time', async () => {
        let running = 0;
        let maxRunning = 0;
        const run = async (): Promise<void> => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await sleep(20);
          running -= 1;
        };

        await Promise.all(Array.from({ length: 5 }, () => state.locks.withLock('job', 5_000, run, { waitMs: 5_000 })));

        expect(maxRunning).toBe(1);
      });

      it('extends the lock while fn runs', async () => {
        const peer = await openPeer();
        let acquiredByPeer: unknown = 'not tried';

        // The lock lives 1 s and the run takes 2.5 s, so only extensions keep it; the margin absorbs a loaded machine.
        await state.locks.withLock('job', 1_000, async () => {
          await sleep(2_500);
          acquiredByPeer = await peer.locks.acquire('job', 1_000);
        });

        expect(acquiredByPeer).toBeNull();
      });
    });

    describe('close', () => {
      it('rejects calls after close', async () => {
        await state.close();
        await state.close();

        await expect(state.cache.get('key')).rejects.toBeInstanceOf(SharedStateClosedError);
        await expect(state.rateLimiter.hit('key', 1, 1_000)).rejects.toBeInstanceOf(SharedStateClosedError);
        await expect(state.pubsub.publish('channel', 'message')).rejects.toBeInstanceOf(SharedStateClosedError);
        await expect(state.locks.acquire('lock', 1_000)).rejects.toBeInstanceOf(SharedStateClosedError);
        await expect(state.ping()).rejects.toBeInstanceOf(SharedStateClosedError);
      });
    });
  });
});

describe('memory back end', () => {
  it('instances do not share state', async () => {
    const first = await createSharedState({ logger });
    const second = await createSharedState({ logger });

    await first.cache.set('key', 'value');

    expect(await second.cache.get('key')).toBeNull();
    await Promise.all([first.close(), second.close()]);
  });
});

describe.skipIf(!redisUrl)(redisUrl ? 'redis key layout' : 'redis key layout (skipped: REDIS_URL not set)', () => {
  let raw: Redis;

  beforeAll(() => {
    raw = new Redis(redisUrl ?? '');
  });

  afterAll(async () => {
    await raw.quit();
  });

  it('prefixes every key', async () => {
    const prefix = `mify-test:${randomUUID()}:`;
    const state = await createSharedState({ redisUrl, keyPrefix: prefix, logger });

    await state.cache.set('entry', 'value', 5_000);
    await state.rateLimiter.hit('client', 5, 5_000);
    await state.locks.acquire('job', 5_000);

    const keys = await raw.keys(`${prefix}*`);
    expect(keys.sort()).toEqual([`${prefix}cache:entry`, `${prefix}lock:job`, `${prefix}ratelimit:client`]);
    await state.close();
    await raw.del(...keys);
  });

  it('rate-limit window key expires with its hits', async () => {
    const prefix = `mify-test:${randomUUID()}:`;
    const state = await createSharedState({ redisUrl, keyPrefix: prefix, logger });

    await state.rateLimiter.hit('client', 5, 2_000);
    const ttlMs = await raw.pttl(`${prefix}ratelimit:client`);

    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(2_000);
    await state.close();
    await raw.del(`${prefix}ratelimit:client`);
  });

  it('uses the default prefix mify:', async () => {
    const state = await createSharedState({ redisUrl, logger });
    const name = `test-${randomUUID()}`;

    await state.cache.set(name, 'value', 5_000);

    expect(await raw.get(`mify:cache:${name}`)).toBe('value');
    await state.cache.delete(name);
    await state.close();
  });
});

describe('createSharedState', () => {
  it('selects memory without redisUrl', async () => {
    const state = await createSharedState({ logger });

    expect(state.kind).toBe('memory');
    await state.close();
  });

  it('names the host when Redis is unreachable', async () => {
    const port = await findClosedPort();

    const error = await createSharedState({ redisUrl: `redis://admin:s3cret-pw@127.0.0.1:${port}`, logger }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(SharedStateUnavailableError);
    expect(error).toMatchObject({ code: 'shared_state_unavailable', details: { host: '127.0.0.1', port } });
    expect(String((error as Error).message)).toContain(`127.0.0.1:${port}`);
    expect(String((error as Error).message)).toContain('REDIS_URL');
    expect(String((error as Error).message)).toContain('ECONNREFUSED');
    expect(String((error as Error).message)).not.toContain('s3cret-pw');
  });

  it('rejects a malformed URL without echoing it', async () => {
    const error = await createSharedState({ redisUrl: 'redis://admin:s3cret-pw@', logger }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/REDIS_URL is invalid/);
    expect(String((error as Error).message)).not.toContain('s3cret-pw');
  });
});

/** Returns a port on 127.0.0.1 that nothing listens on, by binding a free port and closing it again. */
async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('Expected a TCP address from server.address().');
  return address.port;
}

/** Deletes every key under `prefix`, so a Redis run leaves nothing behind. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const raw = new Redis(url);
  try {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
  } finally {
    await raw.quit();
  }
}
