/** The HTTP request and Cloudflare KV nodes in a graph run by the real executor, over the kernel's HTTP API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';
import { ACCOUNT_ID, API_TOKEN, startCloudflareServer, type CloudflareServer } from './support/cloudflare-server.js';
import { buildExtension } from './support/kernel.js';
import { sendJson, startStubServer, type StubServer } from './support/stub-server.js';

interface RunBody {
  id: string;
  status: string;
  output: { items: Array<{ json: Record<string, any> }> } | null;
  error?: { message: string } | null;
}

describe('I/O nodes in a graph', () => {
  let t: TestKernel;
  let key: string;
  let api: StubServer;
  let cf: CloudflareServer;

  beforeAll(async () => {
    await buildExtension();
    api = await startStubServer();
    api.handle = (request, response) => sendJson(response, 200, { id: Number(request.path.split('/').pop()), name: `user ${request.path.split('/').pop()}` });
    cf = await startCloudflareServer();
    t = await startTestKernel('pglite', { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
    const owner = await setupOwner(t, { workspace: 'IO' });
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
    await t.kernel.services.vault.create(owner.workspace.id, { name: 'cf', type: 'mify.io.cloudflare-api-token', data: { accountId: ACCOUNT_ID, apiToken: API_TOKEN, baseUrl: cf.baseUrl } });
  });

  afterAll(async () => {
    await t?.close();
    await api?.close();
    await cf?.close();
  });

  it('fetches users and stores them in KV', async () => {
    const definition = {
      nodes: [
        { id: 'fetch', name: 'Fetch', type: 'mify.io.http-request', typeVersion: 1, parameters: { url: `${api.url}/users/{{ $json.userId }}`, output: 'body' } },
        { id: 'store', name: 'Store', type: 'mify.io.cloudflare-kv', typeVersion: 1, parameters: { credential: 'cf', operation: 'put', namespaceId: 'users', key: 'user:{{ $json.id }}', value: '{{ $json.name }}' } },
      ],
      edges: [{ from: { node: 'fetch', port: 'main' }, to: { node: 'store', port: 'main' } }],
    };
    const created = await t.fetch('/api/graphs', { method: 'POST', key, json: { name: 'Sync users', definition } });
    const graph = (await created.json()) as { id: string };
    expect(created.status, JSON.stringify(graph)).toBe(201);

    const response = await t.fetch(`/api/graphs/${graph.id}/runs`, { method: 'POST', key, json: { version: 'draft', wait: true, input: [{ json: { userId: 7 } }, { json: { userId: 9 } }] } });
    const run = (await response.json()) as RunBody;

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(api.requests.map((request) => request.path)).toEqual(['/users/7', '/users/9']);
    expect(run.output!.items.map((item) => item.json)).toEqual([
      { id: 7, name: 'user 7', kv: { key: 'user:7', operation: 'put', stored: true } },
      { id: 9, name: 'user 9', kv: { key: 'user:9', operation: 'put', stored: true } },
    ]);
    expect(cf.kv.get('users:user:9')!.value.toString()).toBe('user 9');
  });
});
