/** Top-level route mounts of extensions: served at their base path, and rejected when they overlap. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** Writes an isolate extension with one public GET route at `mount`/hello. */
function writeExtension(root: string, id: string, mount: string): string {
  const folder = path.join(root, id);
  fs.mkdirSync(path.join(folder, 'dist'), { recursive: true });
  const manifest = {
    id, version: '1.0.0', name: id, description: 'mount test', engines: { mify: '^1.0.0' }, runtime: 'isolate', entry: 'dist/index.js',
    permissions: [`routes:mount:${mount}`],
    contributes: { routes: [{ method: 'GET', path: 'hello', mount, auth: 'public', summary: 'Say hello' }] },
  };
  fs.writeFileSync(path.join(folder, 'mify.extension.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(folder, 'dist/index.js'), `export default { routes: { 'GET hello': { handle: () => ({ status: 200, body: { from: '${id}' } }) } } };`);
  return folder;
}

describe('extension route mounts', () => {
  let t: TestKernel;
  let root: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-mounts-'));
    t = await startTestKernel('pglite');
  });

  afterAll(async () => {
    await t?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves a mounted route at its base path', async () => {
    await t.kernel.services.extensionHost.install({ folder: writeExtension(root, 'test.mount-a', '/api/mount-test') });

    const response = await t.fetch('/api/mount-test/hello');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ from: 'test.mount-a' });
  });

  it('rejects a mount over a kernel route', async () => {
    const error = await t.kernel.services.extensionHost.install({ folder: writeExtension(root, 'test.mount-graphs', '/api/graphs') }).catch((caught: Error & { code?: string }) => caught);

    expect((error as { code?: string }).code).toBe('route_mount_conflict');
    expect((error as Error).message).toContain('kernel route /api/graphs');
  });

  it('rejects a mount another extension holds', async () => {
    const error = await t.kernel.services.extensionHost.install({ folder: writeExtension(root, 'test.mount-b', '/api/mount-test') }).catch((caught: Error) => caught);

    expect((error as { code?: string }).code).toBe('route_mount_conflict');
    expect((error as Error).message).toContain("extension 'test.mount-a' already mounts");
  });

  it('rejects the extension route prefix', async () => {
    const error = await t.kernel.services.extensionHost.install({ folder: writeExtension(root, 'test.mount-ext', '/api/ext') }).catch((caught: Error) => caught);

    expect((error as { code?: string }).code).toBe('route_mount_conflict');
  });

  it('rejects a mount without its permission', async () => {
    const folder = writeExtension(root, 'test.mount-unpermitted', '/api/unpermitted');
    const manifestPath = path.join(folder, 'mify.extension.json');
    fs.writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestPath, 'utf8')), permissions: [] }));

    const error = await t.kernel.services.extensionHost.install({ folder }).catch((caught: Error) => caught);

    expect((error as Error).message).toContain('needs the permission "routes:mount:/api/unpermitted"');
  });

  it('stops serving the mount when the extension is disabled', async () => {
    await t.kernel.services.extensionHost.disable('test.mount-a');

    const response = await t.fetch('/api/mount-test/hello');

    expect(response.status).toBe(404);
  });
});

describe('extension routes while a start loads the extensions', () => {
  it('waits for the mount', async () => {
    const t = await startTestKernel('pglite', { loadExtensions: false, beforeStart: (dataDir) => writeExtension(path.join(dataDir, 'extensions'), 'test.mount-late', '/api/mount-late') });
    try {
      const loading = t.kernel.services.extensionHost.start();
      expect(t.kernel.services.extensionHost.isStarting).toBe(true);

      const response = await t.fetch('/api/mount-late/hello');
      await loading;
      const health = (await (await t.fetch('/api/health')).json()) as { extensions: { loading: boolean; active: number; failed: number } };

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ from: 'test.mount-late' });
      expect(health.extensions.loading).toBe(false);
      expect(health.extensions.active).toBeGreaterThan(1);
    } finally {
      await t.close();
    }
  });

  it('delays kernel routes until loaded', async () => {
    const t = await startTestKernel('pglite', { loadExtensions: false, beforeStart: (dataDir) => writeExtension(path.join(dataDir, 'extensions'), 'test.mount-listed', '/api/mount-listed') });
    try {
      const owner = await setupOwner(t, { workspace: 'Loading' });
      const loading = t.kernel.services.extensionHost.start();

      const listed = await t.fetch('/api/extensions', { cookie: owner.cookie });
      await loading;

      expect(listed.status).toBe(200);
      const body = (await listed.json()) as { items: Array<{ id: string; state: string }> };
      expect(body.items.find((item) => item.id === 'test.mount-listed')?.state).toBe('active');
    } finally {
      await t.close();
    }
  });

  it('still answers 404 for an unknown path', async () => {
    const t = await startTestKernel('pglite', { loadExtensions: false });
    try {
      const loading = t.kernel.services.extensionHost.start();

      const response = await t.fetch('/api/no-such-mount/hello');
      await loading;

      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe('route_not_found');
    } finally {
      await t.close();
    }
  });
});
