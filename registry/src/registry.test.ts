/**
 * The registry's HTTP API against a real database: publishing (checksums, manifest,
 * ownership, duplicates, size limit), signing, search, versions, range resolution
 * against engines.mify, yanking and downloads.
 */
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@mify/kernel';
import { packExtension, unpackAndVerify } from '@mify/sdk/package';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../../kernel/src/test-support/databases.js';
import { writeIsolateExtension } from '../../kernel/src/test-support/extensions.js';
import { openRegistry, type OpenedRegistry } from './open.js';

const ADMIN_TOKEN = 'admin-secret-for-tests';
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function packageBytes(options: { id: string; version?: string; engine?: string; manifest?: Record<string, unknown> }): Promise<Buffer> {
  const folder = writeIsolateExtension({ id: options.id, version: options.version ?? '1.0.0', dir: tempDir('mify-reg-ext-'), manifest: { engines: { mify: options.engine ?? '^1.0.0' }, ...options.manifest } });
  const file = path.join(tempDir('mify-reg-pack-'), 'package.tgz');
  await packExtension(folder, file);
  return fs.readFileSync(file);
}

describe.each(databaseBackends)('registry on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let database: TestDatabase;
    let opened: OpenedRegistry;
    let token: string;
    let otherToken: string;

    const request = (pathname: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('x-mify-registry-token', init.token);
      if (init.json !== undefined) headers.set('content-type', 'application/json');
      return opened.app.request(pathname, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
    };
    const publish = (bytes: Buffer, as = token) => request('/api/registry/packages', { method: 'POST', token: as, headers: { 'content-type': 'application/gzip' }, body: bytes });

    beforeAll(async () => {
      database = await openTestDatabase(backend.name, { migrate: false });
      opened = await openRegistry({ dataDir: tempDir('mify-registry-'), db: database.db, adminToken: ADMIN_TOKEN, maxPackageBytes: 64 * 1024, logger: createLogger({ level: 'silent' }) });
      const created = await request('/api/registry/tokens', { method: 'POST', token: ADMIN_TOKEN, json: { publisher: 'acme' } });
      token = ((await created.json()) as { token: string }).token;
      otherToken = (await opened.registry.issueToken('other')).token;
    });

    afterAll(async () => {
      await opened?.close();
      await database?.cleanup();
    });

    describe('tokens', () => {
      it('creates a token only with the admin token', async () => {
        const response = await request('/api/registry/tokens', { method: 'POST', token: 'wrong', json: { publisher: 'acme' } });

        expect(response.status).toBe(401);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      });

      it('reports the publisher of a token', async () => {
        const response = await request('/api/registry/whoami', { token });

        expect(await response.json()).toEqual({ publisher: 'acme' });
      });

      it('rejects an unknown token with a fix', async () => {
        const response = await request('/api/registry/whoami', { token: 'mifyreg_nope' });
        const body = (await response.json()) as { detail: string };

        expect(response.status).toBe(401);
        expect(body.detail).toMatch(/mify-plugin login/);
      });

      it('accepts a bearer token too', async () => {
        const response = await opened.app.request('/api/registry/whoami', { headers: { authorization: `Bearer ${token}` } });

        expect(response.status).toBe(200);
      });
    });

    describe('publish', () => {
      it('publishes and signs a package', async () => {
        const response = await publish(await packageBytes({ id: 'acme.hello' }));
        const body = (await response.json()) as { id: string; version: string; signerFingerprint: string; integrity: string };

        expect(response.status).toBe(201);
        expect(body.id).toBe('acme.hello');
        expect(body.version).toBe('1.0.0');
        expect(body.signerFingerprint).toBe(opened.registry.signingKey!.fingerprint);
        expect(body.integrity).toMatch(/^sha512-/);
      });

      it('rejects the same version twice with 409', async () => {
        const bytes = await packageBytes({ id: 'acme.twice' });
        await publish(bytes);

        const second = await publish(bytes);
        const body = (await second.json()) as { code: string; detail: string };

        expect(second.status).toBe(409);
        expect(body.code).toBe('version_exists');
        expect(body.detail).toContain('acme.twice@1.0.0');
        expect(body.detail).toContain('1.0.1');
      });

      it('rejects a package over the size limit with 413', async () => {
        const response = await publish(Buffer.alloc(65 * 1024, 1));
        const body = (await response.json()) as { code: string; detail: string; limitBytes: number };

        expect(response.status).toBe(413);
        expect(body.code).toBe('package_too_large');
        expect(body.limitBytes).toBe(64 * 1024);
        expect(body.detail).toContain('65536');
      });

      it('rejects an invalid manifest with its problems', async () => {
        const response = await publish(await packageBytes({ id: 'acme.bad', manifest: { engines: { mify: 'one' } } }));
        const body = (await response.json()) as { code: string; detail: string; errors: Array<{ path: string }> };

        expect(response.status).toBe(422);
        expect(body.code).toBe('invalid_manifest');
        expect(body.errors.map((e) => e.path)).toContain('$.engines.mify');
        expect(body.detail).toContain('mify-plugin validate');
      });

      it('rejects a tarball whose files do not match its checksums', async () => {
        const bytes = await packageBytes({ id: 'acme.altered' });
        const unpacked = tempDir('mify-reg-alter-');
        const file = path.join(tempDir('mify-reg-alter-file-'), 'altered.tgz');
        fs.writeFileSync(file, bytes);
        await tar.extract({ file, cwd: unpacked });
        fs.appendFileSync(path.join(unpacked, 'dist', 'index.js'), '\n// injected');
        await tar.create({ gzip: true, file, cwd: unpacked }, fs.readdirSync(unpacked));

        const response = await publish(fs.readFileSync(file));
        const body = (await response.json()) as { code: string; detail: string; files: string[] };

        expect(response.status).toBe(422);
        expect(body.code).toBe('invalid_package');
        expect(body.files).toEqual(['dist/index.js']);
      });

      it('rejects a body that is not gzip', async () => {
        const response = await request('/api/registry/packages', { method: 'POST', token, json: { hello: 1 } });

        expect(response.status).toBe(415);
      });

      it('rejects publishing without a token', async () => {
        const response = await request('/api/registry/packages', { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: await packageBytes({ id: 'acme.anon' }) });

        expect(response.status).toBe(401);
      });

      it('rejects another publisher on an owned id', async () => {
        await publish(await packageBytes({ id: 'acme.owned' }));

        const response = await publish(await packageBytes({ id: 'acme.owned', version: '2.0.0' }), otherToken);
        const body = (await response.json()) as { detail: string };

        expect(response.status).toBe(403);
        expect(body.detail).toContain("'acme'");
      });
    });

    describe('download and signature', () => {
      it('serves a tarball whose signature verifies with the published key', async () => {
        await publish(await packageBytes({ id: 'acme.signed', version: '1.2.3' }));
        const keys = (await (await request('/api/registry/keys')).json()) as { keys: Array<{ publicKey: string; fingerprint: string }> };

        const response = await request('/api/registry/packages/acme.signed/versions/1.2.3/tarball');
        const file = path.join(tempDir('mify-reg-dl-'), 'dl.tgz');
        fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
        const verified = await unpackAndVerify(file);
        const signature = JSON.parse(fs.readFileSync(path.join(verified.folder, 'signature.json'), 'utf8')) as { signature: string };
        const checksums = fs.readFileSync(path.join(verified.folder, 'checksums.json'));
        const publicKey = createPublicKey({ key: Buffer.from(keys.keys[0]!.publicKey, 'base64'), format: 'der', type: 'spki' });

        expect(response.headers.get('content-type')).toBe('application/gzip');
        expect(response.headers.get('x-mify-integrity')).toMatch(/^sha512-/);
        expect(verified.signerFingerprint).toBe(keys.keys[0]!.fingerprint);
        expect(verify(null, checksums, publicKey, Buffer.from(signature.signature, 'base64'))).toBe(true);
        expect(JSON.parse(checksums.toString()).sha512['dist/index.js']).toMatch(/^[0-9a-f]{128}$/);
        fs.rmSync(verified.folder, { recursive: true, force: true });
      });

      it('returns 404 for an unknown version', async () => {
        const response = await request('/api/registry/packages/acme.signed/versions/9.9.9/tarball');
        const body = (await response.json()) as { code: string };

        expect(response.status).toBe(404);
        expect(body.code).toBe('version_not_found');
      });
    });

    describe('versions and resolution', () => {
      beforeAll(async () => {
        await publish(await packageBytes({ id: 'acme.ranges', version: '1.0.0' }));
        await publish(await packageBytes({ id: 'acme.ranges', version: '1.1.0' }));
        await publish(await packageBytes({ id: 'acme.ranges', version: '1.2.0' }));
        await publish(await packageBytes({ id: 'acme.ranges', version: '2.0.0', engine: '^2.0.0' }));
      });

      it('lists versions newest first', async () => {
        const body = (await (await request('/api/registry/packages/acme.ranges')).json()) as { versions: Array<{ version: string }>; latestVersion: string };

        expect(body.versions.map((v) => v.version)).toEqual(['2.0.0', '1.2.0', '1.1.0', '1.0.0']);
        expect(body.latestVersion).toBe('2.0.0');
      });

      it('returns a version with its manifest', async () => {
        const body = (await (await request('/api/registry/packages/acme.ranges/versions/1.1.0')).json()) as { manifest: { id: string; version: string } };

        expect(body.manifest.version).toBe('1.1.0');
      });

      it('resolves the highest version for the kernel', async () => {
        const body = (await (await request('/api/registry/packages/acme.ranges/resolve?range=*&engine=1.0.0')).json()) as { version: string };

        expect(body.version).toBe('1.2.0');
      });

      it('resolves for a newer kernel', async () => {
        const body = (await (await request('/api/registry/packages/acme.ranges/resolve?range=*&engine=2.1.0')).json()) as { version: string };

        expect(body.version).toBe('2.0.0');
      });

      it('reports a range no engine-compatible version meets', async () => {
        const response = await request('/api/registry/packages/acme.ranges/resolve?range=^2.0.0&engine=1.0.0');
        const body = (await response.json()) as { code: string; detail: string };

        expect(response.status).toBe(404);
        expect(body.code).toBe('no_matching_version');
        expect(body.detail).toContain('2.0.0 (engines.mify ^2.0.0)');
        expect(body.detail).toContain('upgrade the kernel');
      });

      it('reports a range with no version', async () => {
        const response = await request('/api/registry/packages/acme.ranges/resolve?range=^3.0.0');

        expect(response.status).toBe(404);
      });

      it('rejects an invalid range', async () => {
        const response = await request('/api/registry/packages/acme.ranges/resolve?range=not-a-range');
        const body = (await response.json()) as { code: string; detail: string };

        expect(response.status).toBe(400);
        expect(body.detail).toContain('"not-a-range"');
      });

      it('reports an unknown id', async () => {
        const response = await request('/api/registry/packages/acme.nothing/resolve?range=*');
        const body = (await response.json()) as { code: string };

        expect(response.status).toBe(404);
        expect(body.code).toBe('package_not_found');
      });

      it('skips a yanked version in ranges but serves it exactly', async () => {
        const yank = await request('/api/registry/packages/acme.ranges/versions/1.2.0/yank', { method: 'POST', token, json: { reason: 'broken build' } });
        const ranged = (await (await request('/api/registry/packages/acme.ranges/resolve?range=^1.0.0&engine=1.0.0')).json()) as { version: string };
        const exact = (await (await request('/api/registry/packages/acme.ranges/resolve?range=1.2.0&engine=1.0.0')).json()) as { version: string; yanked: boolean };
        const download = await request('/api/registry/packages/acme.ranges/versions/1.2.0/tarball');

        expect(yank.status).toBe(200);
        expect(((await yank.json()) as { yankReason: string }).yankReason).toBe('broken build');
        expect(ranged.version).toBe('1.1.0');
        expect(exact).toMatchObject({ version: '1.2.0', yanked: true });
        expect(download.status).toBe(200);
      });

      it('unyanks a version', async () => {
        await request('/api/registry/packages/acme.ranges/versions/1.1.0/yank', { method: 'POST', token });
        await request('/api/registry/packages/acme.ranges/versions/1.1.0/unyank', { method: 'POST', token });
        const info = (await (await request('/api/registry/packages/acme.ranges/versions/1.1.0')).json()) as { yanked: boolean };

        expect(info.yanked).toBe(false);
      });

      it('lets only the owner yank', async () => {
        const response = await request('/api/registry/packages/acme.ranges/versions/1.0.0/yank', { method: 'POST', token: otherToken });

        expect(response.status).toBe(403);
      });
    });

    describe('search', () => {
      it('finds packages by text', async () => {
        await publish(await packageBytes({ id: 'acme.search-me', manifest: { name: 'Weather lookup', description: 'Looks up the weather.' } }));

        const body = (await (await request('/api/registry/search?q=WEATHER')).json()) as { total: number; items: Array<{ id: string; latestVersion: string }> };

        expect(body.total).toBe(1);
        expect(body.items[0]).toMatchObject({ id: 'acme.search-me', latestVersion: '1.0.0' });
      });

      it('treats like wildcards literally', async () => {
        const body = (await (await request('/api/registry/search?q=%25')).json()) as { total: number };

        expect(body.total).toBe(0);
      });

      it('pages results', async () => {
        const first = (await (await request('/api/registry/search?limit=1')).json()) as { total: number; items: unknown[] };
        const second = (await (await request('/api/registry/search?limit=1&offset=1')).json()) as { items: Array<{ id: string }> };

        expect(first.items).toHaveLength(1);
        expect(first.total).toBeGreaterThan(1);
        expect(second.items[0]!.id).not.toBe((first.items[0] as { id: string }).id);
      });

      it('rejects a limit over 100', async () => {
        const response = await request('/api/registry/search?limit=500');

        expect(response.status).toBe(422);
      });
    });

    describe('openapi', () => {
      it('serves an OpenAPI 3.1 document', async () => {
        const body = (await (await request('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };

        expect(body.openapi).toBe('3.1.0');
        expect(Object.keys(body.paths)).toContain('/api/registry/packages/{id}/resolve');
      });
    });
  });
});

describe('registry signing key', () => {
  it('keeps the key across restarts', async () => {
    const dataDir = tempDir('mify-registry-key-');
    const logger = createLogger({ level: 'silent' });
    const first = await openRegistry({ dataDir, databaseUrl: undefined, db: (await openTestDatabase('pglite', { migrate: false })).db, logger });
    const second = await openRegistry({ dataDir, db: first.db, logger });

    expect(second.registry.signingKey!.fingerprint).toBe(first.registry.signingKey!.fingerprint);
    expect((fs.statSync(path.join(dataDir, 'registry-signing-key.pem')).mode & 0o777).toString(8)).toBe('600');
    await first.db.close();
  });

  it('serves unsigned packages when signing is off', async () => {
    const handle = await openTestDatabase('pglite', { migrate: false });
    const opened = await openRegistry({ dataDir: tempDir('mify-registry-unsigned-'), db: handle.db, sign: false, logger: createLogger({ level: 'silent' }) });
    const token = (await opened.registry.issueToken('acme')).token;

    const published = await opened.app.request('/api/registry/packages', { method: 'POST', headers: { 'x-mify-registry-token': token, 'content-type': 'application/gzip' }, body: await packageBytes({ id: 'acme.plain' }) });
    const keys = (await (await opened.app.request('/api/registry/keys')).json()) as { keys: unknown[] };

    expect(((await published.json()) as { signerFingerprint: string | null }).signerFingerprint).toBeNull();
    expect(keys.keys).toEqual([]);
    await handle.cleanup();
  });
});
