import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { sessionCookie, setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { hashPassword, verifyPassword } from './passwords.js';

describe('password hashing', () => {
  it('verifies the right password only', async () => {
    const stored = await hashPassword('hunter2-long');

    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('hunter2-long', stored)).toBe(true);
    expect(await verifyPassword('hunter3-long', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same-password')).not.toBe(await hashPassword('same-password'));
  });
});

describe.each(databaseBackends)('auth on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let owner: Awaited<ReturnType<typeof setupOwner>>;

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
    });

    afterAll(async () => {
      await t?.close();
    });

    it('reports setup needed, then done', async () => {
      const before = (await (await t.fetch('/api/setup/status')).json()) as { needsSetup: boolean };
      owner = await setupOwner(t, { workspace: 'Acme Labs' });
      const after = (await (await t.fetch('/api/setup/status')).json()) as { needsSetup: boolean };

      expect(before.needsSetup).toBe(true);
      expect(owner.workspace.slug).toBe('acme-labs');
      expect(after.needsSetup).toBe(false);
    });

    it('refuses a second setup', async () => {
      const response = await t.fetch('/api/setup', { method: 'POST', json: { email: 'intruder@example.com', password: 'password-123', workspace: 'Mine' } });

      expect(response.status).toBe(409);
      expect(await t.kernel.services.db.prisma.user.count({ where: { email: 'intruder@example.com' } })).toBe(0);
    });

    it('rejects a short password and a bad email by name', async () => {
      const response = await t.fetch('/api/auth/login', { method: 'POST', json: { email: 'nobody', password: 'x' } });

      expect(response.status).toBe(401);
      const created = await t.kernel.services.userService.createUser({ email: 'bad', password: 'short' }).catch((error: Error & { details?: { errors: Array<{ path: string }> } }) => error);
      expect((created as { details: { errors: Array<{ path: string }> } }).details.errors.map((e) => e.path)).toEqual(['email', 'password']);
    });

    it('sets an httpOnly session cookie on sign-in', async () => {
      const response = await t.fetch('/api/auth/login', { method: 'POST', json: { email: 'OWNER@example.com', password: 'correct-horse-1' } });
      const setCookie = response.headers.getSetCookie().join('\n');

      expect(response.status).toBe(200);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Lax');
    });

    it('rejects a wrong password with the same message as an unknown email', async () => {
      const wrong = await t.fetch('/api/auth/login', { method: 'POST', json: { email: 'owner@example.com', password: 'wrong-password' } });
      const unknown = await t.fetch('/api/auth/login', { method: 'POST', json: { email: 'ghost@example.com', password: 'wrong-password' } });

      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { detail: string }).detail).toBe(((await unknown.json()) as { detail: string }).detail);
    });

    it('ends a session on sign-out', async () => {
      const login = await t.fetch('/api/auth/login', { method: 'POST', json: { email: 'owner@example.com', password: 'correct-horse-1' } });
      const cookie = sessionCookie(login);
      const me = await t.fetch('/api/auth/me', { cookie });
      const logout = await t.fetch('/api/auth/logout', { method: 'POST', cookie });
      const after = await t.fetch('/api/auth/me', { cookie });

      expect(me.status).toBe(200);
      expect(logout.status).toBe(204);
      expect(logout.headers.getSetCookie().join('\n')).toMatch(/^mify_session=; Max-Age=0; Path=\//);
      expect(after.status).toBe(401);
    });

    it('shows an API key once and stores only its hash', async () => {
      const created = await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'deploy' } });
      const body = (await created.json()) as { id: string; key: string; prefix: string };
      const list = (await (await t.fetch('/api/api-keys', { cookie: owner.cookie })).json()) as { items: Array<Record<string, unknown>> };
      const row = await t.kernel.services.db.prisma.apiKey.findUnique({ where: { id: body.id } });

      expect(created.status).toBe(201);
      expect(body.key.startsWith(`mify_${body.prefix}_`)).toBe(true);
      expect(JSON.stringify(list)).not.toContain(body.key);
      expect(row!.keyHash).not.toContain(body.key);
      expect(row!.keyHash).toHaveLength(64);
    });

    it('stops a revoked key at once', async () => {
      const created = (await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'temp' } })).json()) as { id: string; key: string };
      const before = await t.fetch('/api/workspace', { key: created.key });
      const revoked = await t.fetch(`/api/api-keys/${created.id}`, { method: 'DELETE', cookie: owner.cookie });
      const after = await t.fetch('/api/workspace', { key: created.key });

      expect(before.status).toBe(200);
      expect(revoked.status).toBe(200);
      expect(after.status).toBe(401);
    });

    it('caches a resolved key and forgets it on revocation', async () => {
      const apiKeys = t.kernel.services.apiKeyService;
      const { key, record } = await apiKeys.create({ workspaceId: owner.workspace.id, name: 'cached', role: 'viewer', createdBy: null });
      const beforeUse = apiKeys.cachedPrincipal(key);
      const resolved = await apiKeys.resolve(key);
      const cached = apiKeys.cachedPrincipal(key);
      await apiKeys.revoke(owner.workspace.id, record.id);

      expect(beforeUse).toBeUndefined();
      expect(resolved).toMatchObject({ type: 'api_key', apiKeyId: record.id, workspaceId: owner.workspace.id, role: 'viewer' });
      expect(cached).toBe(resolved);
      expect(apiKeys.cachedPrincipal(key)).toBeUndefined();
      expect(await apiKeys.resolve(key)).toBeNull();
    });

    it('rejects a malformed key without a lookup', () => {
      expect(t.kernel.services.apiKeyService.cachedPrincipal('not-a-key')).toBeNull();
    });

    it('scopes a key to its workspace and role', async () => {
      const created = (await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'reader', role: 'viewer' } })).json()) as { key: string };
      const workspace = (await (await t.fetch('/api/workspace', { key: created.key })).json()) as { id: string; role: string };
      const write = await t.fetch('/api/credentials', { method: 'POST', key: created.key, json: { name: 'x', type: 'generic', data: {} } });

      expect(workspace).toMatchObject({ id: owner.workspace.id, role: 'viewer' });
      expect(write.status).toBe(403);
      expect(((await write.json()) as { detail: string }).detail).toContain("'viewer'");
    });

    it('refuses a key with more rights than its creator', async () => {
      const editorKey = (await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string };
      const response = await t.fetch('/api/api-keys', { method: 'POST', key: editorKey.key, json: { name: 'escalate', role: 'owner' } });

      expect(response.status).toBe(403);
    });

    it('switches workspaces by header and hides others', async () => {
      const created = await t.fetch('/api/workspaces', { method: 'POST', cookie: owner.cookie, json: { name: 'Second' } });
      const second = (await created.json()) as { id: string; slug: string };
      const bySlug = (await (await t.fetch('/api/workspace', { cookie: owner.cookie, workspace: second.slug })).json()) as { id: string };
      const stranger = await t.kernel.services.userService.createUser({ email: 'stranger@example.com', password: 'stranger-pass' });
      await t.kernel.services.userService.createWorkspace({ name: 'Private', ownerId: stranger.id });
      const hidden = await t.fetch('/api/workspace', { cookie: owner.cookie, workspace: 'private' });

      expect(created.status).toBe(201);
      expect(bySlug.id).toBe(second.id);
      expect(hidden.status).toBe(404);
    });
  });
});
