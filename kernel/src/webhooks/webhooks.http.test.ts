/**
 * Webhooks over real HTTP: graphs with the bundled mify.io webhook and respond-to-webhook
 * nodes are created and published through the API, then called at /api/webhooks/….
 * The nodes run from extensions/io/dist, so build it first (`cd extensions/io && pnpm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** Request body limit of the test kernel, small enough that a test can exceed it cheaply. */

const BODY_LIMIT_BYTES = 64 * 1024;

interface Problem {
  type: string;
  status: number;
  detail: string;
  code: string;
  [member: string]: unknown;
}

interface RequestJson {
  method: string;
  path: string;
  headers: Record<string, string>;
  query: Record<string, string | string[]>;
  body: unknown;
  receivedAt: string;
}

function webhookNode(parameters: Record<string, unknown>, id = 'hook') {
  return { id, name: `Webhook ${id}`, type: 'mify.io.webhook', typeVersion: 1, parameters };
}

function respondNode(parameters: Record<string, unknown>, id = 'reply') {
  return { id, name: `Respond ${id}`, type: 'mify.io.respond-to-webhook', typeVersion: 1, parameters };
}

function edge(from: string, to: string) {
  return { from: { node: from, port: 'main' }, to: { node: to, port: 'main' } };
}

describe.each(databaseBackends)('webhooks on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let slug: string;
    let editorKey: string;
    let viewerKey: string;
    let otherWorkspaceKey: string;

    async function api<T = unknown>(path: string, init: { method?: string; json?: unknown; key?: string } = {}): Promise<{ status: number; body: T }> {
      const response = await t.fetch(path, { method: init.method ?? 'GET', key: init.key ?? editorKey, ...(init.json !== undefined ? { json: init.json } : {}) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    }

    async function createGraph(name: string, definition: unknown): Promise<string> {
      const created = await api<{ id: string }>('/api/graphs', { method: 'POST', json: { name, definition } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id;
    }

    async function publish(graphId: string): Promise<void> {
      const published = await api(`/api/graphs/${graphId}/publish`, { method: 'POST' });
      expect([200, 201], JSON.stringify(published.body)).toContain(published.status);
    }

    async function publishGraph(name: string, definition: unknown): Promise<string> {
      const graphId = await createGraph(name, definition);
      await publish(graphId);
      return graphId;
    }

    function callHook(path: string, init: RequestInit = {}): Promise<Response> {
      return fetch(`${t.url}/api/webhooks/${slug}/${path}`, { method: 'POST', ...init });
    }

    async function problemOf(response: Response): Promise<Problem> {
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      return (await response.json()) as Problem;
    }

    async function runCount(graphId: string): Promise<number> {
      const { body } = await api<{ items: unknown[] }>(`/api/runs?graphId=${graphId}&limit=100`);
      return body.items.length;
    }

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) } });
      const io = (await t.kernel.services.extensionHost.list()).find((extension: { id: string }) => extension.id === 'mify.io');
      if (io?.state !== 'active') throw new Error(`mify.io is not active (${JSON.stringify(io)}); build it with: cd extensions/io && pnpm run build`);
      if (!t.kernel.services.nodeTypes.resolve('mify.io.webhook', 1)) throw new Error('extensions/io/dist predates the webhook nodes; build it with: cd extensions/io && pnpm run build');

      const owner = await setupOwner(t, { workspace: 'Hooks' });
      slug = owner.workspace.slug;
      const createKey = async (role: string, workspace?: string) => {
        const response = await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: `${role}-${workspace ?? 'main'}`, role }, ...(workspace ? { workspace } : {}) });
        return ((await response.json()) as { key: string }).key;
      };
      editorKey = await createKey('editor');
      viewerKey = await createKey('viewer');
      const other = await t.fetch('/api/workspaces', { method: 'POST', cookie: owner.cookie, json: { name: 'Elsewhere' } });
      otherWorkspaceKey = await createKey('owner', ((await other.json()) as { id: string }).id);
    });

    afterAll(async () => {
      await t?.close();
    });

    describe('response modes', () => {
      it('onReceived returns 202 immediately', async () => {
        const graphId = await publishGraph('Received', { nodes: [webhookNode({ path: 'received' })], edges: [] });

        const response = await callHook('received', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order: 7 }) });
        const body = (await response.json()) as { runId: string; status: string; links: { run: string; events: string } };

        expect(response.status).toBe(202);
        expect(body.links.run).toBe(`/api/runs/${body.runId}`);
        expect(response.headers.get('location')).toBe(`/api/runs/${body.runId}`);
        const run = await api<{ graphId: string; mode: string; input: { items: Array<{ json: RequestJson }> } }>(body.links.run);
        expect(run.body.graphId).toBe(graphId);
        expect(run.body.mode).toBe('webhook');
        expect(run.body.input.items[0]!.json.body).toEqual({ order: 7 });
      });

      it('lastNode returns output items as JSON', async () => {
        await publishGraph('Last node', { nodes: [webhookNode({ path: 'echo/json', responseMode: 'lastNode' })], edges: [] });

        const response = await callHook('echo/json', { headers: { 'content-type': 'application/json', cookie: 'mify_session=nope', 'x-trace': 'abc' }, body: JSON.stringify({ name: 'Ada', tags: ['a', 'b'] }) });
        const items = (await response.json()) as RequestJson[];

        expect(response.status).toBe(200);
        expect(response.headers.get('x-mify-run-id')).toMatch(/^run_/);
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({ method: 'POST', path: 'echo/json', query: {}, body: { name: 'Ada', tags: ['a', 'b'] } });
        expect(items[0]!.headers['x-trace']).toBe('abc');
        expect(items[0]!.headers).not.toHaveProperty('cookie');
        expect(Date.parse(items[0]!.receivedAt)).not.toBeNaN();
      });

      it('responseNode sends described status, headers, text', async () => {
        await publishGraph('Greeter', {
          nodes: [webhookNode({ path: 'greet', responseMode: 'responseNode' }), respondNode({ statusCode: 201, headers: { 'X-Greeting': 'yes' }, body: 'text', text: 'Hello {{ $json.body.name }}' })],
          edges: [edge('hook', 'reply')],
        });

        const response = await callHook('greet', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Grace' }) });

        expect(response.status).toBe(201);
        expect(response.headers.get('x-greeting')).toBe('yes');
        expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(await response.text()).toBe('Hello Grace');
      });

      it('responseNode sends JSON of all items', async () => {
        await publishGraph('All items', {
          nodes: [webhookNode({ path: 'all-items', methods: ['PUT'], responseMode: 'responseNode' }), respondNode({ body: 'allItemsJson' })],
          edges: [edge('hook', 'reply')],
        });

        const response = await callHook('all-items', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
        const body = (await response.json()) as RequestJson[];

        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(body.map((item) => item.body)).toEqual([{ n: 1 }]);
      });

      it('responseNode answers with experimental rigor', async () => {
        // Experimental runs keep previews of step outputs, but the response step is kept whole.
        const long = 'x'.repeat(5_000);
        await publishGraph('Experimental', {
          nodes: [webhookNode({ path: 'experimental', responseMode: 'responseNode' }), respondNode({ body: 'text', text: `${long}{{ $json.body.name }}` })],
          edges: [edge('hook', 'reply')],
          settings: { rigor: 'experimental' },
        });

        const response = await callHook('experimental', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }) });

        expect(response.status).toBe(200);
        expect(await response.text()).toBe(`${long}Ada`);
      });

      it('responseNode echoes a binary body', async () => {
        await publishGraph('Binary echo', {
          nodes: [webhookNode({ path: 'echo/binary', responseMode: 'responseNode' }), respondNode({ body: 'binary', binaryProperty: 'data' })],
          edges: [edge('hook', 'reply')],
        });
        const bytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);

        const response = await callHook('echo/binary', { headers: { 'content-type': 'image/png' }, body: bytes });

        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/png');
        expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
      });

      it('responseNode without respond step returns 500', async () => {
        await publishGraph('No reply', { nodes: [webhookNode({ path: 'no-reply', responseMode: 'responseNode' })], edges: [] });

        const response = await callHook('no-reply');
        const problem = await problemOf(response);

        expect(response.status).toBe(500);
        expect(problem.code).toBe('webhook_no_response');
        expect(problem.detail).toContain('respond-to-webhook');
      });

      it('failed run returns 500 with run id', async () => {
        // Binary mode without an attachment makes the respond node fail.
        await publishGraph('Failing', {
          nodes: [webhookNode({ path: 'failing', responseMode: 'lastNode' }), respondNode({ body: 'binary', binaryProperty: 'missing' })],
          edges: [edge('hook', 'reply')],
        });

        const response = await callHook('failing', { headers: { 'content-type': 'application/json' }, body: '{}' });
        const problem = await problemOf(response);

        expect(response.status).toBe(500);
        expect(problem.code).toBe('webhook_run_failed');
        expect(problem.runStatus).toBe('failed');
        expect(problem.detail).toContain(`/api/runs/${String(problem.runId)}`);
      });

      it('wait timeout returns 202 with link', async () => {
        await publishGraph('Slow', {
          nodes: [webhookNode({ path: 'slow', responseMode: 'lastNode', timeoutMs: 300 }), { id: 'nap', name: 'Nap', type: 'mify.control.wait', typeVersion: 1, parameters: { amount: 2, unit: 'seconds' } }],
          edges: [edge('hook', 'nap')],
        });

        const started = Date.now();
        const response = await callHook('slow');
        const body = (await response.json()) as { runId: string; links: { run: string }; detail: string };

        expect(response.status).toBe(202);
        expect(Date.now() - started).toBeLessThan(1_800);
        expect(body.links.run).toBe(`/api/runs/${body.runId}`);
        expect(body.detail).toContain('300 ms');
      });
    });

    describe('request bodies and queries', () => {
      beforeAll(async () => {
        await publishGraph('Inspector', { nodes: [webhookNode({ path: 'inspect', methods: ['GET', 'POST', 'DELETE'], responseMode: 'lastNode' })], edges: [] });
      });

      async function inspect(init: RequestInit, query = ''): Promise<RequestJson> {
        const response = await callHook(`inspect${query}`, init);
        const text = await response.text();
        expect(response.status, text).toBe(200);
        return (JSON.parse(text) as RequestJson[])[0]!;
      }

      it('parses repeated form fields as arrays', async () => {
        const request = await inspect({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Ada+L&tag=a&tag=b' });

        expect(request.body).toEqual({ name: 'Ada L', tag: ['a', 'b'] });
      });

      it('keeps text bodies as text', async () => {
        const request = await inspect({ headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'plain text ü' });

        expect(request.body).toBe('plain text ü');
      });

      it('parses repeated query parameters as arrays', async () => {
        const request = await inspect({ method: 'GET' }, '?q=a%20b&id=1&id=2');

        expect(request.method).toBe('GET');
        expect(request.query).toEqual({ q: 'a b', id: ['1', '2'] });
        expect(request.body).toBeNull();
      });

      it('attaches other bodies as binary data', async () => {
        const response = await callHook('inspect', { method: 'DELETE', headers: { 'content-type': 'application/octet-stream' }, body: Uint8Array.from([1, 2, 3]) });
        const runId = response.headers.get('x-mify-run-id')!;
        const run = await api<{ input: { items: Array<{ json: RequestJson; binary?: Record<string, { mimeType: string; data: string }> }> } }>(`/api/runs/${runId}`);

        expect(response.status).toBe(200);
        expect(run.body.input.items[0]!.json.body).toBeNull();
        expect(run.body.input.items[0]!.binary!.data).toEqual({ mimeType: 'application/octet-stream', data: Buffer.from([1, 2, 3]).toString('base64') });
      });

      it('rejects malformed JSON with 400', async () => {
        const response = await callHook('inspect', { headers: { 'content-type': 'application/json' }, body: '{"open": ' });
        const problem = await problemOf(response);

        expect(response.status).toBe(400);
        expect(problem.code).toBe('webhook_invalid_json');
      });

      it('rejects a body over the limit with 413', async () => {
        const response = await callHook('inspect', { headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(BODY_LIMIT_BYTES + 1) });
        const problem = await problemOf(response);

        expect(response.status).toBe(413);
        expect(problem.detail).toContain('MIFY_BODY_LIMIT_BYTES');
      });
    });

    describe('authentication', () => {
      let apiKeyGraph: string;
      let secretGraph: string;

      beforeAll(async () => {
        apiKeyGraph = await publishGraph('Key hook', { nodes: [webhookNode({ path: 'secure/key', authentication: 'apiKey', responseMode: 'lastNode' })], edges: [] });
        const credential = await api('/api/credentials', { method: 'POST', json: { name: 'hook-secret', type: 'mify.io.http-header', data: { headers: { 'X-Hook-Secret': 's3cret-value' } } } });
        expect(credential.status).toBe(201);
        secretGraph = await publishGraph('Secret hook', { nodes: [webhookNode({ path: 'secure/secret', authentication: 'headerSecret', credential: 'hook-secret', responseMode: 'lastNode' })], edges: [] });
      });

      it('accepts an editor API key of the workspace', async () => {
        const response = await callHook('secure/key', { headers: { authorization: `Bearer ${editorKey}` } });
        const [request] = (await response.json()) as RequestJson[];

        expect(response.status).toBe(200);
        expect(request!.headers).not.toHaveProperty('authorization');
      });

      it.each([
        ['no key', undefined, 401],
        ['an unknown key', 'mify_not-a-real-key', 401],
        ['a viewer key', 'viewer', 403],
        ['a key of another workspace', 'other', 403],
      ])('rejects %s without starting a run', async (_case, key, status) => {
        const before = await runCount(apiKeyGraph);
        let token = key;
        if (key === 'viewer') token = viewerKey;
        if (key === 'other') token = otherWorkspaceKey;

        const response = await callHook('secure/key', { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const problem = await problemOf(response);

        expect(response.status).toBe(status);
        expect(problem.detail.length).toBeGreaterThan(20);
        expect(await runCount(apiKeyGraph)).toBe(before);
      });

      it('accepts and hides header secret', async () => {
        const response = await callHook('secure/secret', { headers: { 'x-hook-secret': 's3cret-value' } });
        const [request] = (await response.json()) as RequestJson[];

        expect(response.status).toBe(200);
        expect(request!.headers).not.toHaveProperty('x-hook-secret');
      });

      it.each([
        ['a missing secret header', {}, 401],
        ['a wrong secret', { 'x-hook-secret': 's3cret-valuf' }, 403],
      ])('rejects %s without starting a run', async (_case, headers, status) => {
        const before = await runCount(secretGraph);

        const response = await callHook('secure/secret', { headers });
        const problem = await problemOf(response);

        expect(response.status).toBe(status);
        expect(problem.detail).toContain('X-Hook-Secret');
        expect(await runCount(secretGraph)).toBe(before);
      });
    });

    describe('routing', () => {
      it('serves only the published version', async () => {
        const graphId = await createGraph('Versioned', { nodes: [webhookNode({ path: 'versioned', responseMode: 'lastNode' })], edges: [] });

        const draftOnly = await callHook('versioned');
        expect(draftOnly.status).toBe(404);
        expect((await problemOf(draftOnly)).detail).toContain("path 'versioned'");

        await publish(graphId);
        const first = await callHook('versioned');
        expect(first.status).toBe(200);
        expect(((await first.json()) as RequestJson[])[0]!.path).toBe('versioned');

        const changed = { nodes: [webhookNode({ path: 'versioned', responseMode: 'responseNode' }), respondNode({ statusCode: 203, body: 'text', text: 'version two' })], edges: [edge('hook', 'reply')] };
        expect((await api(`/api/graphs/${graphId}/definition`, { method: 'PUT', json: changed })).status).toBe(200);
        const unpublishedChange = await callHook('versioned');
        expect(unpublishedChange.status).toBe(200);
        await unpublishedChange.body?.cancel();

        await publish(graphId);
        const second = await callHook('versioned');
        expect(second.status).toBe(203);
        expect(await second.text()).toBe('version two');
      });

      it('archived live version stops responding', async () => {
        const graphId = await publishGraph('Archived', { nodes: [webhookNode({ path: 'archived' })], edges: [] });
        expect((await callHook('archived')).status).toBe(202);

        expect((await api(`/api/graphs/${graphId}/archive`, { method: 'POST' })).status).toBe(200);
        const response = await callHook('archived');

        expect(response.status).toBe(404);
        expect((await problemOf(response)).code).toBe('webhook_not_found');
      });

      it('path conflict returns 409 naming graphs', async () => {
        const first = await publishGraph('Orders A', { nodes: [webhookNode({ path: 'orders', methods: ['POST', 'PUT'] })], edges: [] });
        const second = await publishGraph('Orders B', { nodes: [webhookNode({ path: '/orders/', methods: ['POST'] })], edges: [] });

        const response = await callHook('orders');
        const problem = await problemOf(response);

        expect(response.status).toBe(409);
        expect(problem.code).toBe('webhook_conflict');
        expect(problem.detail).toContain(`'Orders A' (${first}`);
        expect(problem.detail).toContain(`'Orders B' (${second}`);
        expect(problem.detail).toContain('archive');
        expect((await callHook('orders', { method: 'PUT' })).status).toBe(202);
      });

      it('unknown path returns 404', async () => {
        const response = await callHook('nothing/here');
        const problem = await problemOf(response);

        expect(response.status).toBe(404);
        expect(problem.detail).toContain("path 'nothing/here'");
      });

      it('unknown workspace returns 404', async () => {
        const response = await fetch(`${t.url}/api/webhooks/no-such-workspace/received`, { method: 'POST' });

        expect(response.status).toBe(404);
        expect((await problemOf(response)).detail).toContain("Workspace 'no-such-workspace'");
      });

      it('unaccepted method returns 405 with Allow', async () => {
        await publishGraph('Get only', { nodes: [webhookNode({ path: 'get-only', methods: ['GET'] })], edges: [] });

        const response = await callHook('get-only', { method: 'PATCH' });

        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('GET');
        expect((await problemOf(response)).code).toBe('webhook_method_not_allowed');
      });

      it('runs only the matched webhook branch', async () => {
        await publishGraph('Two hooks', {
          nodes: [
            webhookNode({ path: 'two/a', responseMode: 'responseNode' }, 'hookA'),
            webhookNode({ path: 'two/b', responseMode: 'responseNode' }, 'hookB'),
            respondNode({ body: 'text', text: 'from a' }, 'replyA'),
            respondNode({ body: 'text', text: 'from b' }, 'replyB'),
          ],
          edges: [edge('hookA', 'replyA'), edge('hookB', 'replyB')],
        });

        expect(await (await callHook('two/a')).text()).toBe('from a');
        expect(await (await callHook('two/b')).text()).toBe('from b');
      });

      it('rate limit returns 429', async () => {
        const limited = await startTestKernel(backend.name, { env: { MIFY_RATE_LIMIT_IP_PER_MINUTE: '3' } });
        try {
          const statuses: number[] = [];
          for (let attempt = 0; attempt < 4; attempt++) {
            const response = await fetch(`${limited.url}/api/webhooks/any/unknown-path`, { method: 'POST' });
            statuses.push(response.status);
            if (response.status === 429) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
            await response.body?.cancel();
          }

          expect(statuses).toEqual([404, 404, 404, 429]);
        } finally {
          await limited.close();
        }
      });

      it('is listed in the OpenAPI document', async () => {
        const { body } = await api<{ paths: Record<string, Record<string, { security: unknown[] }>> }>('/api/openapi.json');
        const operations = body.paths['/api/webhooks/{workspace}/{path}'];

        expect(Object.keys(operations ?? {}).sort()).toEqual(['delete', 'get', 'patch', 'post', 'put']);
        expect(operations!.post!.security).toEqual([]);
      });
    });
  });
});
