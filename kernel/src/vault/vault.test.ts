import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { open, seal } from './cipher.js';

describe('AES-256-GCM cipher', () => {
  const key = Buffer.alloc(32, 7);

  it('round-trips with the same associated data', () => {
    expect(open(key, seal(key, 'secret', 'ws:1'), 'ws:1')).toBe('secret');
  });

  it('fails when moved to another row', () => {
    expect(() => open(key, seal(key, 'secret', 'ws:1'), 'ws:2')).toThrow();
  });

  it('fails with another key', () => {
    expect(() => open(Buffer.alloc(32, 8), seal(key, 'secret', 'ws:1'), 'ws:1')).toThrow();
  });
});

describe.each(databaseBackends)('credentials vault on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let owner: Awaited<ReturnType<typeof setupOwner>>;
    const secret = 'sk-live-0123456789abcdef';

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      owner = await setupOwner(t);
    });

    afterAll(async () => {
      await t?.close();
    });

    it('never returns a secret through the API', async () => {
      const created = await t.fetch('/api/credentials', { method: 'POST', cookie: owner.cookie, json: { name: 'openai', type: 'openai', data: { apiKey: secret } } });
      const body = (await created.json()) as { id: string; fields: string[] };
      const list = await (await t.fetch('/api/credentials', { cookie: owner.cookie })).text();
      const one = await (await t.fetch(`/api/credentials/${body.id}`, { cookie: owner.cookie })).text();

      expect(created.status).toBe(201);
      expect(body.fields).toEqual(['apiKey']);
      for (const text of [JSON.stringify(body), list, one]) expect(text).not.toContain(secret);
    });

    it('stores only ciphertext', async () => {
      const rows = await t.kernel.services.db.query<{ ciphertext: Uint8Array }>(`select ciphertext from credentials where name = 'openai'`);

      expect(rows).toHaveLength(1);
      expect(Buffer.from(rows[0]!.ciphertext).toString('utf8')).not.toContain(secret);
    });

    it('resolves for a node and audits the read', async () => {
      const { vault, auditLog } = t.kernel.services;
      const resolved = await vault.resolve(owner.workspace.id, 'openai', { kind: 'node', id: 'mify.llm.chat', runId: 'run_1', nodeId: 'n1' });
      const entries = await auditLog.list(owner.workspace.id, { action: 'credential.read' });

      expect(resolved.data).toEqual({ apiKey: secret });
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorType: 'node', actorId: 'mify.llm.chat', target: resolved.id });
      expect(JSON.stringify(entries)).not.toContain(secret);
    });

    it('falls back to a global credential', async () => {
      const { vault } = t.kernel.services;
      await vault.create(null, { name: 'shared-smtp', type: 'smtp', data: { password: 'global-pass' } });
      const resolved = await vault.resolve(owner.workspace.id, 'shared-smtp', { kind: 'node', id: 'mify.email.send' });

      expect(resolved.data).toEqual({ password: 'global-pass' });
    });

    it('prefers the workspace credential over a global one', async () => {
      const { vault } = t.kernel.services;
      await vault.create(null, { name: 'search', type: 'generic', data: { v: 'global' } });
      await vault.create(owner.workspace.id, { name: 'search', type: 'generic', data: { v: 'workspace' } });

      expect((await vault.resolve(owner.workspace.id, 'search', { kind: 'system', id: 'test' })).data).toEqual({ v: 'workspace' });
    });

    it('replaces a secret and renames', async () => {
      const created = (await (await t.fetch('/api/credentials', { method: 'POST', cookie: owner.cookie, json: { name: 'rotate', type: 'generic', data: { token: 'old' } } })).json()) as { id: string };
      const updated = await t.fetch(`/api/credentials/${created.id}`, { method: 'PUT', cookie: owner.cookie, json: { name: 'rotated', data: { token: 'new' } } });
      const resolved = await t.kernel.services.vault.resolve(owner.workspace.id, 'rotated', { kind: 'system', id: 'test' });

      expect(updated.status).toBe(200);
      expect(resolved.data).toEqual({ token: 'new' });
    });

    it('rejects a duplicate name', async () => {
      const response = await t.fetch('/api/credentials', { method: 'POST', cookie: owner.cookie, json: { name: 'openai', type: 'openai', data: {} } });

      expect(response.status).toBe(409);
    });

    it('deletes a credential', async () => {
      const created = (await (await t.fetch('/api/credentials', { method: 'POST', cookie: owner.cookie, json: { name: 'gone', type: 'generic', data: { a: 1 } } })).json()) as { id: string };
      const deleted = await t.fetch(`/api/credentials/${created.id}`, { method: 'DELETE', cookie: owner.cookie });
      const again = await t.fetch(`/api/credentials/${created.id}`, { cookie: owner.cookie });

      expect(deleted.status).toBe(204);
      expect(again.status).toBe(404);
    });
  });
});
