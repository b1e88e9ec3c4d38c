import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { createHostBridge } from './bridge.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { HostCallContext } from './types.js';

interface Increment {
  value: number;
  applied: boolean;
}

describe.each(databaseBackends)('kv.increment on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;

    function bridge(overrides: Partial<HostCallContext> = {}) {
      return createHostBridge({ extensionId: 'acme.count', permissions: ['kv:read', 'kv:write'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent', ...overrides }, host.services);
    }

    function increment(key: string, by: number, options?: Record<string, unknown>, overrides: Partial<HostCallContext> = {}): Promise<Increment> {
      return bridge(overrides).call('kv.increment', options === undefined ? [key, by] : [key, by, options]) as Promise<Increment>;
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name);
    });

    afterAll(async () => {
      await host?.close();
    });

    it('starts a counter at by and adds to it', async () => {
      expect(await increment('visits', 2)).toEqual({ value: 2, applied: true });
      expect(await increment('visits', 3)).toEqual({ value: 5, applied: true });
      expect(await increment('visits', -1)).toEqual({ value: 4, applied: true });
      expect(await bridge().call('kv.get', ['visits'])).toBe(4);
    });

    it('separates workspaces and extensions', async () => {
      await increment('shared', 1, undefined, { workspaceId: 'ws_a' });
      await increment('shared', 1, undefined, { workspaceId: 'ws_a' });

      expect(await increment('shared', 1, undefined, { workspaceId: 'ws_b' })).toEqual({ value: 1, applied: true });
      expect(await increment('shared', 1, undefined, { extensionId: 'acme.other' })).toEqual({ value: 1, applied: true });
    });

    it('leaves the counter unchanged past max', async () => {
      expect(await increment('quota', 3, { max: 4 })).toEqual({ value: 3, applied: true });
      expect(await increment('quota', 2, { max: 4 })).toEqual({ value: 3, applied: false });
      expect(await increment('quota', 1, { max: 4 })).toEqual({ value: 4, applied: true });
      expect(await increment('quota', 1, { max: 4 })).toEqual({ value: 4, applied: false });
    });

    it('does not create a counter with by above max', async () => {
      expect(await increment('too-big', 5, { max: 4 })).toEqual({ value: 0, applied: false });
      expect(await bridge().call('kv.get', ['too-big'])).toBeNull();
    });

    it('applies exactly max of many concurrent increments', async () => {
      const results = await Promise.all(Array.from({ length: 40 }, () => increment('race', 1, { max: 25 })));

      expect(results.filter((result) => result.applied)).toHaveLength(25);
      expect(results.filter((result) => result.applied).map((result) => result.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
      expect(await bridge().call('kv.get', ['race'])).toBe(25);
    });

    it('restarts the counter after its window', async () => {
      await increment('window', 7, { windowSeconds: 1 });
      await sleep(1_100);

      expect(await increment('window', 1, { windowSeconds: 1 })).toEqual({ value: 1, applied: true });
    });

    it('keeps the window of the first increment', async () => {
      await increment('kept', 1, { windowSeconds: 1 });
      await increment('kept', 1, { windowSeconds: 3_600 });
      await sleep(1_100);

      expect(await bridge().call('kv.get', ['kept'])).toBeNull();
    });

    it('rejects a key that holds a text', async () => {
      await bridge().call('kv.set', ['label', 'hello']);

      const error = await rejection(increment('label', 1));

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain("key 'label' contains a string set by kv.set");
    });

    it.each([
      ['a fraction', 1.5],
      ['a step above the maximum', 2e12],
    ])('rejects by as %s', async (_case, by) => {
      expect((await rejection(increment('bad', by))).code).toBe('invalid_argument');
    });

    it('needs kv:write', async () => {
      const error = await rejection(bridge({ permissions: ['kv:read'] }).call('kv.increment', ['x', 1]));

      expect(error.code).toBe('permission_denied');
    });
  });
});

describe('limits.hit', () => {
  let host: TestHostServices;

  function hit(bucket: string, overrides: Partial<HostCallContext> = {}) {
    const bridge = createHostBridge({ extensionId: 'acme.limits', permissions: ['kv:write'], workspaceId: null, collections: [], dataDir: '/nonexistent', ...overrides }, host.services);
    return bridge.call('limits.hit', [bucket, 2, 60]) as Promise<{ allowed: boolean; remaining: number; retryAfterSeconds: number }>;
  }

  beforeAll(async () => {
    host = await createTestHostServices('pglite');
  });

  afterAll(async () => {
    await host?.close();
  });

  it('allows limit hits per window and then rejects', async () => {
    const results = [await hit('ip:10.0.0.1'), await hit('ip:10.0.0.1'), await hit('ip:10.0.0.1')];

    expect(results.map((result) => result.allowed)).toEqual([true, true, false]);
    expect(results[1]!.remaining).toBe(0);
    expect(results[2]!.retryAfterSeconds).toBeGreaterThan(0);
    expect(results[2]!.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('separates buckets, extensions and workspaces', async () => {
    await hit('ip:10.0.0.2');
    await hit('ip:10.0.0.2');

    expect((await hit('ip:10.0.0.3')).allowed).toBe(true);
    expect((await hit('ip:10.0.0.2', { extensionId: 'acme.other' })).allowed).toBe(true);
    expect((await hit('ip:10.0.0.2', { workspaceId: 'ws_a' })).allowed).toBe(true);
  });

  it('rejects a window longer than a day', async () => {
    const bridge = createHostBridge({ extensionId: 'acme.limits', permissions: ['kv:write'], workspaceId: null, collections: [], dataDir: '/nonexistent' }, host.services);

    expect((await rejection(bridge.call('limits.hit', ['b', 1, 86_401]))).code).toBe('invalid_argument');
  });
});
