import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MifyError } from '../../errors.js';
import { backendTitle, databaseBackends, type TestDatabase } from '../../test-support/databases.js';
import { MAX_STORED_JSON_BYTES } from './arguments.js';
import { createHostBridge } from './bridge.js';
import { purgeExpiredKeyValues } from './kv.js';
import { createTestHostServices, type TestHostServices } from './test-support.js';
import type { HostCallContext, HostServices } from './types.js';

describe.each(databaseBackends)('kv host methods on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;
    let database: TestDatabase;
    let services: HostServices;

    function bridge(overrides: Partial<HostCallContext> = {}) {
      return createHostBridge({ extensionId: 'acme.kv', permissions: ['kv:read', 'kv:write'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent', ...overrides }, services);
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name);
      ({ database, services } = host);
    });

    afterAll(async () => {
      await host?.close();
    });

    it('round-trips JSON values', async () => {
      const kv = bridge();
      await kv.call('kv.set', ['profile', { name: 'Ada', tags: ['a', 'b'], score: 1.5, active: true }]);

      expect(await kv.call('kv.get', ['profile'])).toEqual({ name: 'Ada', tags: ['a', 'b'], score: 1.5, active: true });
    });

    it('returns null for a missing key', async () => {
      expect(await bridge().call('kv.get', ['missing'])).toBeNull();
    });

    it('replaces an earlier value', async () => {
      const kv = bridge();
      await kv.call('kv.set', ['counter', 1]);
      await kv.call('kv.set', ['counter', 2]);

      expect(await kv.call('kv.get', ['counter'])).toBe(2);
    });

    it('separates workspaces', async () => {
      await bridge({ workspaceId: 'ws_a' }).call('kv.set', ['shared-name', 'a']);
      await bridge({ workspaceId: 'ws_b' }).call('kv.set', ['shared-name', 'b']);

      expect(await bridge({ workspaceId: 'ws_a' }).call('kv.get', ['shared-name'])).toBe('a');
      expect(await bridge({ workspaceId: 'ws_b' }).call('kv.get', ['shared-name'])).toBe('b');
      expect(await bridge({ workspaceId: null }).call('kv.get', ['shared-name'])).toBeNull();
    });

    it('separates extensions', async () => {
      await bridge({ extensionId: 'acme.one' }).call('kv.set', ['key', 'one']);

      expect(await bridge({ extensionId: 'acme.two' }).call('kv.get', ['key'])).toBeNull();
    });

    it('expires a value after ttlMs', async () => {
      const kv = bridge();
      await kv.call('kv.set', ['session', 'live', { ttlMs: 300 }]);
      const before = await kv.call('kv.get', ['session']);
      await sleep(500);

      expect(before).toBe('live');
      expect(await kv.call('kv.get', ['session'])).toBeNull();
      expect(await kv.call('kv.delete', ['session'])).toBe(false);
    });

    it('clears the ttl when set again without one', async () => {
      const kv = bridge();
      await kv.call('kv.set', ['renewed', 1, { ttlMs: 200 }]);
      await kv.call('kv.set', ['renewed', 2]);
      await sleep(300);

      expect(await kv.call('kv.get', ['renewed'])).toBe(2);
    });

    it('purges expired rows', async () => {
      await bridge().call('kv.set', ['purge-me', 1, { ttlMs: 1 }]);
      await sleep(20);

      expect(await purgeExpiredKeyValues(database.db)).toBeGreaterThanOrEqual(1);
      const rows = await database.db.query(`select 1 from extension_kv where key = 'purge-me'`);
      expect(rows).toHaveLength(0);
    });

    it('deletes a key', async () => {
      const kv = bridge();
      await kv.call('kv.set', ['gone', true]);

      expect(await kv.call('kv.delete', ['gone'])).toBe(true);
      expect(await kv.call('kv.get', ['gone'])).toBeNull();
      expect(await kv.call('kv.delete', ['gone'])).toBe(false);
    });

    it('lists by prefix in pages', async () => {
      const kv = bridge({ extensionId: 'acme.lister' });
      for (const key of ['user:3', 'user:1', 'user:2', 'team:1']) await kv.call('kv.set', [key, key]);

      const first = (await kv.call('kv.list', [{ prefix: 'user:', limit: 2 }])) as { data: Array<{ key: string }>; nextCursor: string | null };
      const second = (await kv.call('kv.list', [{ prefix: 'user:', limit: 2, cursor: first.nextCursor }])) as typeof first;

      expect(first.data.map((entry) => entry.key)).toEqual(['user:1', 'user:2']);
      expect(second.data.map((entry) => entry.key)).toEqual(['user:3']);
      expect(second.nextCursor).toBeNull();
    });

    it('treats LIKE wildcards in a prefix as text', async () => {
      const kv = bridge({ extensionId: 'acme.wildcards' });
      await kv.call('kv.set', ['a%b', 1]);
      await kv.call('kv.set', ['axb', 2]);

      const page = (await kv.call('kv.list', [{ prefix: 'a%' }])) as { data: Array<{ key: string }> };

      expect(page.data.map((entry) => entry.key)).toEqual(['a%b']);
    });

    it('rejects a value over the size limit', async () => {
      const error = (await bridge().call('kv.set', ['big', 'x'.repeat(MAX_STORED_JSON_BYTES)]).catch((reason: unknown) => reason)) as MifyError;

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain(`the maximum is ${MAX_STORED_JSON_BYTES} bytes`);
    });

    it('rejects the NUL character', async () => {
      const error = (await bridge().call('kv.set', ['nul', 'a\u0000b']).catch((reason: unknown) => reason)) as MifyError;

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain('U+0000');
    });
  });
});
