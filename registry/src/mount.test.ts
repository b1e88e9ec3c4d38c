/**
 * The registry mounted in a kernel under /api/registry: publishing through the kernel's
 * HTTP server, its routes in the kernel's OpenAPI document, and an install from it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@mify/kernel';
import { packExtension } from '@mify/sdk/package';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../../kernel/src/test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../kernel/src/test-support/kernel.js';
import { registryRoutes } from './mount.js';

const ADMIN_TOKEN = 'mounted-admin-token-0123456789';

describe('registry mounted in the kernel', () => {
  let t: TestKernel;
  let cookie: string;
  let token: string;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-mounted-registry-'));

  beforeAll(async () => {
    t = await startTestKernel('pglite', {
      extraRoutes: (services) => registryRoutes({ dataDir: path.join(work, 'registry'), db: () => services().db, logger: createLogger({ level: 'silent' }), adminToken: ADMIN_TOKEN }) as never,
    });
    cookie = (await setupOwner(t)).cookie;
    const created = await t.fetch('/api/registry/tokens', { method: 'POST', headers: { 'x-mify-registry-token': ADMIN_TOKEN }, json: { publisher: 'acme' } });
    token = ((await created.json()) as { token: string }).token;
  });

  afterAll(async () => {
    await t?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('publishes through the kernel', async () => {
    const file = path.join(work, 'mounted.tgz');
    await packExtension(writeIsolateExtension({ id: 'acme.mounted', dir: path.join(work, 'ext') }), file);

    const response = await t.fetch('/api/registry/packages', { method: 'POST', headers: { 'x-mify-registry-token': token, 'content-type': 'application/gzip' }, body: fs.readFileSync(file) });

    expect(response.status, await response.clone().text()).toBe(201);
  });

  it('lists its routes in the kernel OpenAPI document', async () => {
    const document = (await (await t.fetch('/api/openapi.json')).json()) as { paths: Record<string, unknown> };

    expect(Object.keys(document.paths)).toContain('/api/registry/packages/{id}/resolve');
  });

  it('installs from itself', async () => {
    const response = await t.fetch('/api/extensions', { method: 'POST', cookie, json: { registry: { id: 'acme.mounted', range: '^1.0.0', url: t.url } } });
    const body = (await response.json()) as { source: string; version: string };

    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ source: 'registry', version: '1.0.0' });
  });

  it('keeps its tables out of the kernel migrations', async () => {
    const kernelMigrations = await t.kernel.services.db.query<{ name: string }>('select name from mify_migrations');
    const registryMigrations = await t.kernel.services.db.query<{ name: string }>('select name from registry_migrations');

    expect(kernelMigrations.some((row) => row.name.includes('registry'))).toBe(false);
    expect(registryMigrations.map((row) => row.name)).toEqual(['20261205100000_registry_tables']);
  });
});
