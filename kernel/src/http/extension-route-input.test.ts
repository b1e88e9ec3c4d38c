/** What an extension route receives: the mount path itself as a route, the client IP and the Idempotency-Key. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { startTestKernel, type TestKernel } from '../test-support/kernel.js';

const MOUNT = '/api/input-test';

/** Writes an isolate extension whose routes echo parts of their input. */
function writeExtension(root: string): string {
  const folder = path.join(root, 'test.route-input');
  fs.mkdirSync(path.join(folder, 'dist'), { recursive: true });
  const manifest = {
    id: 'test.route-input', version: '1.0.0', name: 'route input', description: 'route input test', engines: { mify: '^1.0.0' }, runtime: 'isolate', entry: 'dist/index.js',
    permissions: [`routes:mount:${MOUNT}`],
    contributes: {
      routes: [
        { method: 'GET', path: '', mount: MOUNT, auth: 'public', summary: 'Echo the caller' },
        { method: 'POST', path: '/', mount: MOUNT, auth: 'public', summary: 'Echo the idempotency key' },
        { method: 'GET', path: ':id', mount: MOUNT, auth: 'public', summary: 'Echo the id' },
      ],
    },
  };
  fs.writeFileSync(path.join(folder, 'mify.extension.json'), JSON.stringify(manifest));
  fs.writeFileSync(
    path.join(folder, 'dist/index.js'),
    `export default { routes: {
      'GET ': { handle: (_ctx, request) => ({ body: { route: 'root', clientIp: request.caller.clientIp } }) },
      'POST /': { handle: (_ctx, request) => ({ status: 201, body: { idempotencyKey: request.idempotencyKey } }) },
      'GET :id': { handle: (_ctx, request) => ({ body: { route: 'item', id: request.params.id } }) },
    } };`,
  );
  return folder;
}

describe.each(databaseBackends)('extension route input on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let root: string;

    beforeAll(async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-route-input-'));
      t = await startTestKernel(backend.name, { env: { MIFY_TRUST_PROXY: 'true' } });
      await t.kernel.services.extensionHost.install({ folder: writeExtension(root) });
    }, 120_000);

    afterAll(async () => {
      await t?.close();
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('serves the mount path itself', async () => {
      const response = await t.fetch(MOUNT);

      expect(response.status).toBe(200);
      expect((await response.json()).route).toBe('root');
    });

    it('lists the mount path as the url of an empty route', () => {
      const urls = t.kernel.services.contributions.list().routes.filter((route) => route.extensionId === 'test.route-input').map((route) => `${route.method} ${route.url}`);

      expect(urls).toEqual([`GET ${MOUNT}`, `POST ${MOUNT}`, `GET ${MOUNT}/:id`]);
    });

    it('serves the mount path with a trailing slash', async () => {
      expect((await (await t.fetch(`${MOUNT}/`)).json()).route).toBe('root');
    });

    it('keeps parameter routes apart from the mount path', async () => {
      expect(await (await t.fetch(`${MOUNT}/abc`)).json()).toEqual({ route: 'item', id: 'abc' });
    });

    it('passes the forwarded client IP when the proxy is trusted', async () => {
      const response = await t.fetch(MOUNT, { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } });

      expect((await response.json()).clientIp).toBe('203.0.113.7');
    });

    it('passes the socket address without a forwarded header', async () => {
      expect((await (await t.fetch(MOUNT)).json()).clientIp).toBe('127.0.0.1');
    });

    it('passes the Idempotency-Key header', async () => {
      const response = await t.fetch(MOUNT, { method: 'POST', headers: { 'idempotency-key': 'order-42' } });

      expect(await response.json()).toEqual({ idempotencyKey: 'order-42' });
    });

    it('passes null without an Idempotency-Key', async () => {
      expect(await (await t.fetch(MOUNT, { method: 'POST' })).json()).toEqual({ idempotencyKey: null });
    });

    it('rejects an Idempotency-Key longer than 255 characters', async () => {
      const response = await t.fetch(MOUNT, { method: 'POST', headers: { 'idempotency-key': 'k'.repeat(256) } });

      expect(response.status).toBe(400);
      expect((await response.json()).detail).toContain('must have 1-255 characters, got 256');
    });

    it('answers 405 with the methods of the mount path', async () => {
      const response = await t.fetch(MOUNT, { method: 'DELETE' });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST');
    });
  });
});
