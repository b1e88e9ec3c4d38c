import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_TEST, testEdge as edge, testNode as node } from '../runtime/testing/acme-extension.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** Sub-workflow nodes calling stored graphs through the kernel's subgraph loader. */
describe('stored sub-workflows', () => {
  let t: TestKernel;
  let key: string;

  const call = async <T>(path: string, json?: unknown): Promise<{ status: number; body: T }> => {
    const response = await t.fetch(path, { method: json === undefined ? 'GET' : 'POST', key, ...(json === undefined ? {} : { json }) });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    t = await startTestKernel('pglite');
    const owner = await setupOwner(t);
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor' } })).json()) as { key: string }).key;
    await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('runs the live version of the called graph', async () => {
    const child = await call<{ id: string }>('/api/graphs', { name: 'Child', definition: { nodes: [node('ct', 'trigger', { name: 'Child start' }), node('cp', 'pass', { name: 'Child pass' })], edges: [edge('ct', 'cp')] } });
    await call(`/api/graphs/${child.body.id}/publish`, {});
    const parent = await call<{ id: string }>('/api/graphs', {
      name: 'Parent',
      definition: { nodes: [node('t', 'trigger'), node('s', 'subflow', { parameters: { graphId: child.body.id, version: 'live' } })], edges: [edge('t', 's')] },
    });

    const run = await call<{ status: string; output: { items: Array<{ json: { path?: string[] } }> } }>(`/api/graphs/${parent.body.id}/runs`, { version: 'draft', wait: true, input: [{ json: { n: 1 } }] });

    expect(run.status).toBe(200);
    expect(run.body.status).toBe('succeeded');
    expect(run.body.output.items[0]!.json.path).toEqual(['t', 'Child start', 'Child pass']);
  });

  it('fails clearly when the called graph has no live version', async () => {
    const child = await call<{ id: string }>('/api/graphs', { name: 'Unpublished', definition: { nodes: [node('ct', 'trigger')], edges: [] } });
    const parent = await call<{ id: string }>('/api/graphs', {
      name: 'Parent 2',
      definition: { nodes: [node('t', 'trigger'), node('s', 'subflow', { parameters: { graphId: child.body.id, version: 'live' } })], edges: [edge('t', 's')] },
    });

    const run = await call<{ status: string; error: { message: string } }>(`/api/graphs/${parent.body.id}/runs`, { version: 'draft', wait: true });

    expect(run.body.status).toBe('failed');
    expect(run.body.error.message).toContain('has no published version');
  });
});
