/**
 * Kernel installs from a registry served over real HTTP on 127.0.0.1: range and
 * engine resolution, key pinning, signature and checksum checks, unsigned packages
 * and the `mify ext install id@range` command.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createLogger } from '@mify/kernel';
import { packExtension } from '@mify/sdk/package';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../kernel/src/cli/main.js';
import { loadConfig } from '../../kernel/src/config.js';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../../kernel/src/test-support/databases.js';
import { writeIsolateExtension } from '../../kernel/src/test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../kernel/src/test-support/kernel.js';
import { openRegistry, type OpenedRegistry } from './open.js';

const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface ServedRegistry {
  url: string;
  opened: OpenedRegistry;
  dataDir: string;
  publish(options: { id: string; version?: string; engine?: string }): Promise<void>;
  close(): Promise<void>;
}

/** Starts a registry on its own in-memory database, served on an ephemeral port of 127.0.0.1. */
async function serveRegistry(options: { sign?: boolean } = {}): Promise<ServedRegistry> {
  const database: TestDatabase = await openTestDatabase('pglite', { migrate: false });
  const dataDir = tempDir('mify-registry-');
  const opened = await openRegistry({ dataDir, db: database.db, sign: options.sign ?? true, logger: createLogger({ level: 'silent' }) });
  const token = (await opened.registry.issueToken('acme')).token;
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: opened.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    opened,
    dataDir,
    async publish({ id, version = '1.0.0', engine = '^1.0.0' }) {
      const folder = writeIsolateExtension({ id, version, dir: tempDir('mify-install-ext-'), manifest: { engines: { mify: engine } } });
      const file = path.join(tempDir('mify-install-pack-'), 'package.tgz');
      await packExtension(folder, file);
      const response = await fetch(`${url}/api/registry/packages`, { method: 'POST', headers: { 'x-mify-registry-token': token, 'content-type': 'application/gzip' }, body: fs.readFileSync(file) });
      if (response.status !== 201) throw new Error(`publish failed: ${response.status} ${await response.text()}`);
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await database.cleanup();
    },
  };
}

describe.each(databaseBackends)('registry installs on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let registry: ServedRegistry;
    let t: TestKernel;
    let cookie: string;

    const install = (body: unknown) => t.fetch('/api/extensions', { method: 'POST', cookie, json: body });

    beforeAll(async () => {
      registry = await serveRegistry();
      await registry.publish({ id: 'acme.hello', version: '1.0.0' });
      await registry.publish({ id: 'acme.hello', version: '1.1.0' });
      await registry.publish({ id: 'acme.future', version: '1.0.0', engine: '^9.0.0' });
      await registry.publish({ id: 'acme.tampered' });
      await registry.publish({ id: 'acme.default-url' });
      t = await startTestKernel(backend.name, { env: { MIFY_REGISTRY_URL: registry.url } });
      cookie = (await setupOwner(t)).cookie;
    });

    afterAll(async () => {
      await t?.close();
      await registry?.close();
    });

    it('installs the highest version in a range', async () => {
      const response = await install({ registry: { id: 'acme.hello', range: '^1.0.0', url: registry.url } });
      const body = (await response.json()) as { id: string; version: string; source: string; state: string };

      expect(response.status).toBe(201);
      expect(body).toMatchObject({ id: 'acme.hello', version: '1.1.0', source: 'registry', state: 'active' });
    });

    it('runs a node of the installed extension', async () => {
      const output = await t.kernel.services.extensionHost.invoke('acme.hello', { kind: 'node', name: 'acme.hello.echo', input: { items: [{ json: { a: 1 } }], parameters: {} } }, { workspaceId: null });

      expect(JSON.stringify(output)).toContain('"version":"1.1.0"');
    });

    it('pins the registry key on first use', async () => {
      const pins = JSON.parse(fs.readFileSync(path.join(t.config.dataDir, 'registry-keys.json'), 'utf8')) as Record<string, { fingerprint: string }>;

      expect(pins[registry.url]!.fingerprint).toBe(registry.opened.registry.signingKey!.fingerprint);
    });

    it('uses MIFY_REGISTRY_URL when no url is given', async () => {
      const response = await install({ registry: { id: 'acme.default-url', range: '1.0.0' } });

      expect(response.status).toBe(201);
    });

    it('searches the registry through the kernel', async () => {
      const response = await t.fetch('/api/extensions/registry/search?q=hello', { cookie });
      const body = (await response.json()) as { items: Array<{ id: string; latestVersion: string }> };

      expect(response.status).toBe(200);
      expect(body.items).toEqual([expect.objectContaining({ id: 'acme.hello', latestVersion: '1.1.0' })]);
    });

    it('lists registry versions through the kernel', async () => {
      const response = await t.fetch('/api/extensions/registry/packages/acme.hello', { cookie });
      const body = (await response.json()) as { versions: Array<{ version: string }> };

      expect(body.versions.map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);
    });

    it('rejects an id that is already installed', async () => {
      const response = await install({ registry: { id: 'acme.hello', range: '*' } });

      expect(response.status).toBe(409);
    });

    it('reports an unknown id', async () => {
      const response = await install({ registry: { id: 'acme.missing', range: '*' } });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(404);
      expect(body.code).toBe('package_not_found');
      expect(body.detail).toContain('acme.missing');
    });

    it('reports a range without a version', async () => {
      const response = await install({ registry: { id: 'acme.future', range: '^5.0.0' } });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(404);
      expect(body.code).toBe('no_matching_version');
      expect(body.detail).toContain('^5.0.0');
    });

    it('skips versions built for another kernel', async () => {
      const response = await install({ registry: { id: 'acme.future', range: '*' } });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(404);
      expect(body.detail).toContain('engines.mify ^9.0.0');
    });

    it('rejects an invalid range before calling the registry', async () => {
      const response = await install({ registry: { id: 'acme.hello', range: 'newest' } });
      const body = (await response.json()) as { detail: string };

      expect(response.status).toBe(422);
      expect(body.detail).toContain('semver range');
    });

    it('rejects two sources at once', async () => {
      const response = await install({ folder: '/tmp', registry: { id: 'acme.hello' } });

      expect(response.status).toBe(422);
    });

    it('upgrades to a newer registry version', async () => {
      await registry.publish({ id: 'acme.hello', version: '1.2.0' });

      const response = await t.fetch('/api/extensions/acme.hello/upgrade', { method: 'POST', cookie, json: { registry: { id: 'acme.hello', range: '^1.0.0' } } });
      const body = (await response.json()) as { version: string; previousVersion: string; source: string };

      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ version: '1.2.0', previousVersion: '1.1.0', source: 'registry' });
    });

    it('rejects a tarball altered in the file store', async () => {
      const stored = path.join(registry.dataDir, 'packages', 'acme.tampered', 'acme.tampered-1.0.0.tgz');
      const bytes = fs.readFileSync(stored);
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
      fs.writeFileSync(stored, bytes);

      const response = await install({ registry: { id: 'acme.tampered', range: '*' } });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(422);
      expect(body.code).toBe('invalid_extension_package');
      expect(body.detail).toContain('does not match the integrity');
    });
  });
});

describe('registry installs with other keys', () => {
  let registry: ServedRegistry;
  let unsignedRegistry: ServedRegistry;

  beforeAll(async () => {
    registry = await serveRegistry();
    await registry.publish({ id: 'acme.keyed' });
    unsignedRegistry = await serveRegistry({ sign: false });
    await unsignedRegistry.publish({ id: 'acme.unsigned' });
    await unsignedRegistry.publish({ id: 'acme.cli' });
  });

  afterAll(async () => {
    await registry?.close();
    await unsignedRegistry?.close();
  });

  it('rejects a package signed by another key than the pinned one', async () => {
    const t = await startTestKernel('pglite', { env: { MIFY_REGISTRY_PUBLIC_KEY: 'ab'.repeat(32) } });
    try {
      const { cookie } = await setupOwner(t);
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie, json: { registry: { id: 'acme.keyed', url: registry.url }, allowUnsigned: true } });
      const body = (await response.json()) as { detail: string };

      expect(response.status).toBe(422);
      expect(body.detail).toContain(`signed by key ${registry.opened.registry.signingKey!.fingerprint}`);
      expect(body.detail).toContain('MIFY_REGISTRY_PUBLIC_KEY');
    } finally {
      await t.close();
    }
  });

  it('accepts the pinned key given as base64', async () => {
    const t = await startTestKernel('pglite', { env: { MIFY_REGISTRY_PUBLIC_KEY: registry.opened.registry.signingKey!.publicKey } });
    try {
      const { cookie } = await setupOwner(t);
      const response = await t.fetch('/api/extensions', { method: 'POST', cookie, json: { registry: { id: 'acme.keyed', url: registry.url } } });

      expect(response.status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('rejects an unsigned package unless allowed', async () => {
    const t = await startTestKernel('pglite');
    try {
      const { cookie } = await setupOwner(t);
      const refused = await t.fetch('/api/extensions', { method: 'POST', cookie, json: { registry: { id: 'acme.unsigned', url: unsignedRegistry.url } } });
      const refusal = (await refused.json()) as { detail: string };
      const allowed = await t.fetch('/api/extensions', { method: 'POST', cookie, json: { registry: { id: 'acme.unsigned', url: unsignedRegistry.url }, allowUnsigned: true } });

      expect(refused.status).toBe(422);
      expect(refusal.detail).toContain('is not signed');
      expect(refusal.detail).toContain('--allow-unsigned');
      expect(allowed.status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('installs id@range from the command line', async () => {
    const dataDir = tempDir('mify-cli-registry-');
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: { MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent' } };

    const refused = await runCli(['ext', 'install', 'acme.cli@^1.0.0', '--registry', unsignedRegistry.url], io);
    const refusal = lines.join('\n');
    const code = await runCli(['ext', 'install', 'acme.cli@^1.0.0', '--registry', unsignedRegistry.url, '--allow-unsigned'], io);

    expect(refused).toBe(1);
    expect(refusal).toContain('is not signed');
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('Installed acme.cli@1.0.0 (active).');
  });

  it('rejects an invalid pinned key setting', () => {
    expect(() => loadConfig({ MIFY_REGISTRY_PUBLIC_KEY: 'not a key!' })).toThrow(/MIFY_REGISTRY_PUBLIC_KEY="not a key!" is invalid: expected the hex SHA-256 fingerprint/);
  });

  it('rejects an invalid range on the command line', async () => {
    const lines: string[] = [];
    const code = await runCli(['ext', 'install', 'acme.cli@newest'], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} });

    expect(code).toBe(2);
    expect(lines.join('\n')).toContain("'newest' in acme.cli@newest is not a semver range");
  });
});
