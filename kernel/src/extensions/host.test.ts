import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { BUNDLED_EXTENSIONS_DIR, MANIFEST_FILE } from './host.js';
import { keyFingerprint, packExtension } from './package.js';

const echoInput = { items: [{ json: { text: 'hi' } }] };

describe.each(databaseBackends)('extension host on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let admin: { cookie: string };
    let editorKey: string;
    const keys = generateKeyPairSync('ed25519');
    const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-host-'));

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_TRUSTED_SIGNING_KEYS: keyFingerprint(keys.publicKey) } });
      admin = await setupOwner(t);
      editorKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: admin.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
    });

    afterAll(async () => {
      await t?.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    const invokeEcho = (id = 'acme.echo') => t.kernel.services.extensionHost.invoke(id, { kind: 'node', name: `${id}.echo`, input: echoInput }, { workspaceId: null });

    it('installs from a folder and runs a node', async () => {
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { folder: writeIsolateExtension() } });
      const body = (await response.json()) as { id: string; state: string };

      expect(response.status).toBe(201);
      // An install starts the sandbox right away, so a broken bundle fails the install.
      expect(body).toMatchObject({ id: 'acme.echo', state: 'active', sandbox: 'running' });
      expect(await invokeEcho()).toEqual({ items: [{ json: { text: 'hi', version: '1.0.0' } }] });
    });

    it('starts only shipped extensions on the kernel thread', async () => {
      const host = t.kernel.services.extensionHost;
      await invokeEcho();
      const parameters = { operations: [{ op: 'set', path: 'b', value: 2 }] };
      const node = { id: 'edit', name: 'Edit', type: 'mify.data.edit-fields', typeVersion: 1, parameters };
      const output = await host.invoke('mify.data', { kind: 'node', name: 'mify.data.edit-fields', input: { items: [{ json: { a: 1 } }], ports: {}, parameters, node } }, { workspaceId: null });

      expect(output).toEqual({ items: [{ json: { a: 1, b: 2 } }] });

      // acme.echo was installed from a folder, so its calls start on an isolate thread.
      expect(host.sandboxStats('acme.echo')).toMatchObject({ startedOnKernelThread: 0, kernelThreadSliceMs: null });
      expect(host.sandboxStats('acme.echo')!.startedOnIsolateThread).toBeGreaterThan(0);
      expect(host.sandboxStats('mify.data')).toMatchObject({ kernelThreadSliceMs: 20, startedOnIsolateThread: 0, outranSlice: 0 });
      expect(host.sandboxStats('mify.data')!.startedOnKernelThread).toBeGreaterThan(0);
    });

    it('runs calls up to limits.concurrency', async () => {
      const host = t.kernel.services.extensionHost;
      const folder = writeIsolateExtension({ id: 'acme.wide', manifest: { limits: { memoryLimitMb: 32, timeoutMs: 500, concurrency: 5 } } });
      expect((await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { folder } })).status).toBe(201);

      const outputs = await Promise.all(Array.from({ length: 8 }, () => invokeEcho('acme.wide')));

      expect(outputs).toHaveLength(8);
      expect(host.sandboxStats('acme.wide')).toMatchObject({ maxSize: 5, alive: 5 });
    });

    it('lists contributions with their extension', async () => {
      const response = await t.fetch('/api/extensions/contributions', { cookie: admin.cookie });
      const body = (await response.json()) as { nodes: Array<{ type: string; extensionId: string }>; routes: Array<{ url: string }>; importers: Array<{ extensionId: string }> };

      expect(body.nodes).toContainEqual(expect.objectContaining({ type: 'acme.echo.echo', extensionId: 'acme.echo' }));
      expect(body.routes).toContainEqual(expect.objectContaining({ url: '/api/ext/acme.echo/hello/:name' }));
      // acme.echo contributes no importer; the bundled importer extensions do.
      expect(body.importers.filter((importer) => importer.extensionId === 'acme.echo')).toEqual([]);
    });

    it('keeps parameter order of manifest', async () => {
      const file = JSON.parse(fs.readFileSync(path.join(BUNDLED_EXTENSIONS_DIR, 'data', MANIFEST_FILE), 'utf8')) as { contributes: { nodes: Array<{ type: string; parameters: { properties: Record<string, unknown> } }> } };
      const declared = file.contributes.nodes.find((node) => node.type === 'mify.data.edit-fields')!;
      const response = await t.fetch('/api/extensions/contributions', { cookie: admin.cookie });
      const body = (await response.json()) as { nodes: Array<{ type: string; parameters: { properties: Record<string, unknown> } }> };
      const served = body.nodes.find((node) => node.type === 'mify.data.edit-fields')!;

      expect(Object.keys(served.parameters.properties)).toEqual(Object.keys(declared.parameters.properties));
    });

    it('serves a contributed route', async () => {
      const response = await t.fetch('/api/ext/acme.echo/hello/world');

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ greeting: 'hello world' });
    });

    it('refuses installs by a non-administrator', async () => {
      const response = await t.fetch('/api/extensions', { method: 'POST', key: editorKey, json: { folder: writeIsolateExtension({ id: 'acme.other' }) } });

      expect(response.status).toBe(403);
    });

    it('rejects an invalid manifest naming the JSON path', async () => {
      const folder = writeIsolateExtension({ id: 'acme.bad', manifest: { version: 'one', engines: { mify: '^1.0.0' } } });
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { folder } });
      const body = (await response.json()) as { errors: Array<{ path: string; message: string }> };

      expect(response.status).toBe(422);
      expect(body.errors.map((e) => e.path)).toContain('$.version');
    });

    it('rejects an extension for another kernel version', async () => {
      const folder = writeIsolateExtension({ id: 'acme.future', manifest: { engines: { mify: '^2.0.0' } } });
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { folder } });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(422);
      expect(body.code).toBe('incompatible_engine');
      expect(body.detail).toContain('^2.0.0');
    });

    it('disables and enables, keeping the state', async () => {
      const disabled = (await (await t.fetch('/api/extensions/acme.echo/disable', { method: 'POST', cookie: admin.cookie })).json()) as { state: string; sandbox: string };
      const call = await invokeEcho().catch((error: Error) => error.message);
      const row = await t.kernel.services.db.prisma.installedExtension.findUnique({ where: { id: 'acme.echo' } });
      const enabled = (await (await t.fetch('/api/extensions/acme.echo/enable', { method: 'POST', cookie: admin.cookie })).json()) as { state: string };

      expect(disabled.state).toBe('disabled');
      expect(disabled.sandbox).toBe('stopped');
      expect(call).toContain('disabled');
      expect(row!.enabled).toBe(false);
      expect(enabled.state).toBe('active');
    });

    it('upgrades to a new version', async () => {
      const response = await t.fetch('/api/extensions/acme.echo/upgrade', { method: 'POST', cookie: admin.cookie, json: { folder: writeIsolateExtension({ version: '1.1.0' }) } });
      const body = (await response.json()) as { version: string; previousVersion: string };

      expect(response.status).toBe(200);
      expect(body).toMatchObject({ version: '1.1.0', previousVersion: '1.0.0' });
      expect(await invokeEcho()).toEqual({ items: [{ json: { text: 'hi', version: '1.1.0' } }] });
    });

    it('rolls back an upgrade that fails to load', async () => {
      const broken = writeIsolateExtension({ version: '1.2.0', code: 'export default { nodes: { ' });
      const response = await t.fetch('/api/extensions/acme.echo/upgrade', { method: 'POST', cookie: admin.cookie, json: { folder: broken } });
      const body = (await response.json()) as { code: string; detail: string };
      const status = (await (await t.fetch('/api/extensions/acme.echo', { cookie: admin.cookie })).json()) as { version: string; state: string };

      expect(response.status).toBe(422);
      expect(body.code).toBe('upgrade_failed');
      expect(body.detail).toContain('1.1.0 was restored');
      expect(status).toMatchObject({ version: '1.1.0', state: 'active' });
      expect(await invokeEcho()).toEqual({ items: [{ json: { text: 'hi', version: '1.1.0' } }] });
    });

    it('marks a repeatedly failing extension unhealthy and keeps serving', async () => {
      const folder = writeIsolateExtension({ id: 'acme.crash', code: `export default { nodes: { 'acme.crash.echo': { execute() { throw new Error('boom'); } } }, routes: {} };` });
      await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { folder } });
      const errors: string[] = [];
      for (let i = 0; i < 5; i++) errors.push(await invokeEcho('acme.crash').then(() => 'ok', (error: Error) => error.message));
      const status = (await (await t.fetch('/api/extensions/acme.crash', { cookie: admin.cookie })).json()) as { health: string; recentFailures: number; lastError: string };

      expect(errors.every((message) => message.includes("Extension 'acme.crash'") && message.includes('boom'))).toBe(true);
      expect(status.health).toBe('unhealthy');
      expect(status.recentFailures).toBe(5);
      expect((await t.fetch('/api/health')).status).toBe(200);
      expect(await invokeEcho()).toMatchObject({ items: [{ json: { text: 'hi' } }] });
    });

    it('installs a package signed by a trusted key', async () => {
      const file = path.join(tmp, 'signed.tgz');
      await packExtension(writeIsolateExtension({ id: 'acme.signed' }), file, { privateKeyPem });
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { packageFile: file } });

      expect(response.status).toBe(201);
      expect(((await response.json()) as { source: string }).source).toBe('package');
    });

    it('refuses an unsigned package unless allowed', async () => {
      const file = path.join(tmp, 'unsigned.tgz');
      await packExtension(writeIsolateExtension({ id: 'acme.unsigned' }), file);
      const refused = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { packageFile: file } });
      const allowed = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { packageFile: file, allowUnsigned: true } });

      expect(refused.status).toBe(422);
      expect(((await refused.json()) as { detail: string }).detail).toContain('is not signed');
      expect(allowed.status).toBe(201);
    });

    it('refuses a package altered after signing', async () => {
      const file = path.join(tmp, 'tampered.tgz');
      await packExtension(writeIsolateExtension({ id: 'acme.tampered' }), file, { privateKeyPem });
      const unpacked = fs.mkdtempSync(path.join(tmp, 'x-'));
      await tar.extract({ file, cwd: unpacked });
      fs.appendFileSync(path.join(unpacked, 'dist', 'index.js'), '\n// injected');
      await tar.create({ gzip: true, file, cwd: unpacked }, fs.readdirSync(unpacked));
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie: admin.cookie, json: { packageFile: file, allowUnsigned: true } });

      expect(response.status).toBe(422);
      expect(((await response.json()) as { detail: string }).detail).toContain('SHA-256 mismatch for dist/index.js');
    });

    it('uninstalls and removes the files', async () => {
      const location = path.join(t.config.dataDir, 'extensions', 'acme.signed');
      expect(fs.existsSync(location)).toBe(true);
      const response = await t.fetch('/api/extensions/acme.signed', { method: 'DELETE', cookie: admin.cookie });

      expect(response.status).toBe(204);
      expect(fs.existsSync(location)).toBe(false);
      expect((await t.fetch('/api/extensions/acme.signed', { cookie: admin.cookie })).status).toBe(404);
    });
  });
});

describe('extension discovery', () => {
  it('registers a folder dropped into MIFY_DATA_DIR/extensions and the bundled WASM sample', async () => {
    const t = await startTestKernel('pglite', {
      env: {},
      beforeStart: (dataDir) => writeIsolateExtension({ id: 'acme.dropped', dir: path.join(dataDir, 'extensions', 'dropped') }),
    });
    try {
      const host = t.kernel.services.extensionHost;
      const dropped = await host.status('acme.dropped');
      const sample = await host.status('mify.sample-wasm');
      const output = await host.invoke('mify.sample-wasm', { kind: 'node', name: 'mify.sample-wasm.text-stats', input: { parameters: { transform: 'uppercase' }, items: [{ json: { text: 'two words' } }] } }, { workspaceId: null });

      expect(dropped).toMatchObject({ source: 'folder', state: 'active' });
      expect(sample).toMatchObject({ source: 'bundled', runtime: 'wasm', state: 'active' });
      expect(JSON.stringify(output)).toContain('TWO WORDS');
    } finally {
      await t.close();
    }
  });
});

describe('sandboxes started on first call', () => {
  let t: TestKernel;
  let admin: { cookie: string };

  beforeAll(async () => {
    t = await startTestKernel('pglite', {
      env: {},
      beforeStart: (dataDir) => {
        writeIsolateExtension({ id: 'acme.lazy', dir: path.join(dataDir, 'extensions', 'lazy') });
        writeIsolateExtension({ id: 'acme.broken', dir: path.join(dataDir, 'extensions', 'broken'), code: 'export default { nodes: { ' });
      },
    });
    admin = await setupOwner(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  const statusOf = async (id: string) => (await (await t.fetch(`/api/extensions/${id}`, { cookie: admin.cookie })).json()) as { state: string; sandbox: string; health: string; lastError: string | null };
  const invoke = (id: string) => t.kernel.services.extensionHost.invoke(id, { kind: 'node', name: `${id}.echo`, input: echoInput }, { workspaceId: null });

  it('reports a loaded extension as on-demand', async () => {
    const status = await statusOf('acme.lazy');

    expect(status.state).toBe('active');
    expect(status.sandbox).toBe('on-demand');
  });

  it('lists contributions before any call', async () => {
    const body = (await (await t.fetch('/api/extensions/contributions', { cookie: admin.cookie })).json()) as { nodes: Array<{ type: string }> };

    expect(body.nodes.map((node) => node.type)).toContain('acme.lazy.echo');
  });

  it('answers concurrent first calls', async () => {
    const outputs = await Promise.all([invoke('acme.lazy'), invoke('acme.lazy'), invoke('acme.lazy')]);
    const status = await statusOf('acme.lazy');

    for (const output of outputs) expect(output).toEqual({ items: [{ json: { text: 'hi', version: '1.0.0' } }] });
    expect(status.sandbox).toBe('running');
    expect(status.health).toBe('healthy');
  });

  it('marks a bundle that fails on first call as failed', async () => {
    const before = await statusOf('acme.broken');
    const firstCall = await invoke('acme.broken').then(() => 'ok', (error: Error) => error.message);
    const after = await statusOf('acme.broken');
    const secondCall = await invoke('acme.broken').then(() => 'ok', (error: Error & { code?: string }) => error.code);

    expect(before).toMatchObject({ state: 'active', sandbox: 'on-demand', health: 'healthy' });
    expect(firstCall).toContain("Extension 'acme.broken'");
    expect(after).toMatchObject({ state: 'failed', sandbox: 'stopped', health: 'unhealthy' });
    expect(after.lastError).toContain("Extension 'acme.broken'");
    expect(secondCall).toBe('extension_inactive');
  });

  it('starts the sandbox again when re-enabled', async () => {
    await t.fetch('/api/extensions/acme.lazy/disable', { method: 'POST', cookie: admin.cookie });
    const enabled = (await (await t.fetch('/api/extensions/acme.lazy/enable', { method: 'POST', cookie: admin.cookie })).json()) as { state: string; sandbox: string };

    expect(enabled).toMatchObject({ state: 'active', sandbox: 'running' });
    expect(await invoke('acme.lazy')).toEqual({ items: [{ json: { text: 'hi', version: '1.0.0' } }] });
  });
});
