import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { defineRoute } from './route.js';

describe.each(databaseBackends)('HTTP API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let ownerKey: string;

    beforeAll(async () => {
      t = await startTestKernel(backend.name, {
        env: { MIFY_BODY_LIMIT_BYTES: '2048', MIFY_CORS_ORIGINS: 'http://studio.test' },
        extraRoutes: () => [
          defineRoute({
            method: 'post',
            path: '/api/test/jobs',
            operationId: 'startTestJob',
            summary: 'Starts a job (test probe)',
            tags: ['test'],
            auth: 'workspace',
            idempotent: true,
            body: z.object({ input: z.string() }),
            responses: { 202: { description: 'Started' } },
            handler: ({ body }) => ({ status: 202, body: { jobId: crypto.randomUUID(), input: body.input } }),
          }),
          defineRoute({
            method: 'get',
            path: '/api/test/raw',
            operationId: 'getTestRaw',
            summary: 'Answers with a Response of its own (test probe)',
            tags: ['test'],
            auth: 'public',
            responses: { 200: { description: 'Text' } },
            handler: () => new Response('raw', { headers: { 'content-type': 'text/plain', 'x-probe': 'kept' } }),
          }),
          defineRoute({
            method: 'get',
            path: '/api/test/headers',
            operationId: 'getTestHeaders',
            summary: 'Answers with headers of its own (test probe)',
            tags: ['test'],
            auth: 'public',
            responses: { 200: { description: 'JSON' } },
            handler: () => ({ headers: { 'X-Probe': 'kept', vary: 'Accept' }, body: { ok: true } }),
          }),
        ],
      });
      const owner = await setupOwner(t);
      const created = await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'owner key', role: 'owner' } });
      ownerKey = ((await created.json()) as { key: string }).key;
    });

    afterAll(async () => {
      await t?.close();
    });

    it('reports health of storage and shared state', async () => {
      const response = await t.fetch('/api/health');
      const body = (await response.json()) as { status: string; checks: Record<string, { status: string; backend: string }> };

      expect(response.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.checks.storage!.backend).toBe(backend.name);
      expect(body.checks.sharedState!.status).toBe('ok');
    });

    it('serves an OpenAPI 3.1 document of every route', async () => {
      const response = await t.fetch('/api/openapi.json');
      const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };

      expect(doc.openapi).toBe('3.1.0');
      for (const route of t.kernel.services.routes) {
        expect(doc.paths[route.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')]?.[route.method], `${route.method} ${route.path}`).toBeDefined();
      }
      expect(doc.paths['/api/credentials']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { type: 'object' } } } });
    });

    it('answers unknown routes with a problem', async () => {
      const response = await t.fetch('/api/nope');
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(body.code).toBe('route_not_found');
      expect(body.detail).toContain('/api/nope');
    });

    it('answers a wrong method with 405 and Allow', async () => {
      const response = await t.fetch('/api/health', { method: 'DELETE' });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    });

    it('rejects malformed JSON without writing', async () => {
      const before = await t.kernel.services.db.prisma.credential.count();
      const response = await t.fetch('/api/credentials', { method: 'POST', key: ownerKey, headers: { 'content-type': 'application/json' }, body: '{"name": "x",' });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(400);
      expect(body.code).toBe('malformed_json');
      expect(await t.kernel.services.db.prisma.credential.count()).toBe(before);
    });

    it('rejects a non-JSON content type', async () => {
      const response = await t.fetch('/api/credentials', { method: 'POST', key: ownerKey, headers: { 'content-type': 'text/plain' }, body: 'name=x' });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(415);
      expect(body.detail).toContain("'text/plain'");
    });

    it('rejects an oversized body without writing', async () => {
      const before = await t.kernel.services.db.prisma.credential.count();
      const response = await t.fetch('/api/credentials', { method: 'POST', key: ownerKey, json: { name: 'big', type: 'generic', data: { blob: 'x'.repeat(4096) } } });
      const body = (await response.json()) as { code: string; detail: string };

      expect(response.status).toBe(413);
      expect(body.detail).toContain('2048 bytes');
      expect(await t.kernel.services.db.prisma.credential.count()).toBe(before);
    });

    it('rejects an oversized chunked body', async () => {
      const before = await t.kernel.services.db.prisma.credential.count();
      const text = JSON.stringify({ name: 'chunked', type: 'generic', data: { blob: 'x'.repeat(4096) } });
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      });
      const response = await t.fetch('/api/credentials', { method: 'POST', key: ownerKey, headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
      const problem = (await response.json()) as { code: string };

      expect(response.status).toBe(413);
      expect(problem.code).toBe('body_too_large');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await t.kernel.services.db.prisma.credential.count()).toBe(before);
    });

    it('lists every invalid field in a 422', async () => {
      const response = await t.fetch('/api/credentials', { method: 'POST', key: ownerKey, json: { name: 42, data: 'nope' } });
      const body = (await response.json()) as { code: string; errors: Array<{ path: string }> };

      expect(response.status).toBe(422);
      expect(body.code).toBe('validation_failed');
      expect(body.errors.map((e) => e.path).sort()).toEqual(['body.data', 'body.name', 'body.type']);
    });

    it('requires credentials on workspace routes', async () => {
      const response = await t.fetch('/api/credentials');

      expect(response.status).toBe(401);
      expect(((await response.json()) as { code: string }).code).toBe('unauthorized');
    });

    it('rejects an unknown API key', async () => {
      const response = await t.fetch('/api/credentials', { key: 'mify_AAAAAAAA_' + 'A'.repeat(43) });

      expect(response.status).toBe(401);
      expect(((await response.json()) as { detail: string }).detail).toContain('invalid or revoked');
    });

    it('echoes a valid request id and makes one otherwise', async () => {
      const kept = await t.fetch('/api/health', { headers: { 'x-request-id': 'trace-123' } });
      const made = await t.fetch('/api/health', { headers: { 'x-request-id': 'bad id with spaces' } });

      expect(kept.headers.get('x-request-id')).toBe('trace-123');
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('sends request id and rate-limit headers on success and errors', async () => {
      const cases = [
        await t.fetch('/api/workspace', { key: ownerKey }),
        await t.fetch('/api/nope'),
        await t.fetch('/api/credentials', { method: 'POST', key: ownerKey, json: { name: 42 } }),
      ];

      expect(cases.map((response) => response.status)).toEqual([200, 404, 422]);
      for (const response of cases) {
        expect(response.headers.get('x-request-id'), `${response.status}`).toMatch(/^[0-9a-f-]{36}$/);
        expect(response.headers.get('ratelimit-limit'), `${response.status}`).toBe('100000');
        expect(Number(response.headers.get('ratelimit-remaining')), `${response.status}`).toBeGreaterThan(0);
        expect(response.headers.get('ratelimit-reset'), `${response.status}`).toBe('60');
      }
    });

    it('sends the request id on a 401 from authentication', async () => {
      const response = await t.fetch('/api/workspace', { headers: { authorization: 'Basic abc', 'x-request-id': 'auth-probe' } });

      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('x-request-id')).toBe('auth-probe');
    });

    it('adds the shared headers to a Response a route builds', async () => {
      const response = await t.fetch('/api/test/raw', { headers: { origin: 'http://studio.test' } });

      expect(await response.text()).toBe('raw');
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(response.headers.get('x-probe')).toBe('kept');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('ratelimit-limit')).toBe('100000');
      expect(response.headers.get('access-control-allow-origin')).toBe('http://studio.test');
    });

    it('merges a route\'s own headers with the shared ones', async () => {
      const response = await t.fetch('/api/test/headers', { headers: { origin: 'http://studio.test' } });

      expect(await response.json()).toEqual({ ok: true });
      expect(response.headers.get('x-probe')).toBe('kept');
      expect(response.headers.get('vary')).toBe('Origin, Accept');
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers HEAD with the headers of GET', async () => {
      const response = await t.fetch('/api/workspace', { method: 'HEAD', key: ownerKey });

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('ratelimit-limit')).toBe('100000');
    });

    it('sends CORS headers to a configured origin only', async () => {
      const allowed = await t.fetch('/api/health', { headers: { origin: 'http://studio.test' } });
      const other = await t.fetch('/api/health', { headers: { origin: 'http://evil.test' } });

      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://studio.test');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed.headers.get('access-control-expose-headers')).toContain('ratelimit-remaining');
      expect(allowed.headers.get('vary')).toBe('Origin');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect(other.headers.get('vary')).toBe('Origin');
    });

    it('answers CORS preflight for configured origins only', async () => {
      const allowed = await t.fetch('/api/credentials', { method: 'OPTIONS', headers: { origin: 'http://studio.test', 'access-control-request-method': 'POST' } });
      const other = await t.fetch('/api/credentials', { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });

      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://studio.test');
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      expect(allowed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('replays a repeated Idempotency-Key', async () => {
      const first = await t.fetch('/api/test/jobs', { method: 'POST', key: ownerKey, headers: { 'idempotency-key': 'job-1' }, json: { input: 'a' } });
      const second = await t.fetch('/api/test/jobs', { method: 'POST', key: ownerKey, headers: { 'idempotency-key': 'job-1' }, json: { input: 'a' } });
      const fresh = await t.fetch('/api/test/jobs', { method: 'POST', key: ownerKey, headers: { 'idempotency-key': 'job-2' }, json: { input: 'a' } });
      const firstBody = (await first.json()) as { jobId: string };

      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(((await second.json()) as { jobId: string }).jobId).toBe(firstBody.jobId);
      expect(((await fresh.json()) as { jobId: string }).jobId).not.toBe(firstBody.jobId);
    });

    it('rejects a reused Idempotency-Key with another body', async () => {
      await t.fetch('/api/test/jobs', { method: 'POST', key: ownerKey, headers: { 'idempotency-key': 'job-3' }, json: { input: 'a' } });
      const response = await t.fetch('/api/test/jobs', { method: 'POST', key: ownerKey, headers: { 'idempotency-key': 'job-3' }, json: { input: 'b' } });

      expect(response.status).toBe(422);
      expect(((await response.json()) as { code: string }).code).toBe('idempotency_key_reused');
    });

    it('makes idempotent creation write once', async () => {
      const send = () => t.fetch('/api/credentials', { method: 'POST', key: ownerKey, headers: { 'idempotency-key': 'cred-1' }, json: { name: 'once', type: 'generic', data: { token: 't' } } });
      const first = await send();
      const second = await send();

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(await t.kernel.services.db.prisma.credential.count({ where: { name: 'once' } })).toBe(1);
    });
  });
});

describe('rate limits', () => {
  let t: TestKernel;
  let key: string;
  let owner: Awaited<ReturnType<typeof setupOwner>>;

  beforeAll(async () => {
    t = await startTestKernel('pglite', { env: { MIFY_RATE_LIMIT_IP_PER_MINUTE: '5', MIFY_RATE_LIMIT_KEY_PER_MINUTE: '8' } });
    owner = await setupOwner(t);
    const created = await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'k' } });
    key = ((await created.json()) as { key: string }).key;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('limits anonymous requests per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.fetch('/api/health')).status);
    const limited = await t.fetch('/api/health');
    const body = (await limited.json()) as { code: string; retryAfterSeconds: number };

    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(limited.status).toBe(429);
    expect(body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits each API key on its own budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await t.fetch('/api/workspace', { key })).status);

    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    expect(statuses[8]).toBe(429);
  });

  it('reports the key\'s budget in the RateLimit headers', async () => {
    // Created without HTTP, because the earlier test spent this address's budget.
    const { key: budgetKey } = await t.kernel.services.apiKeyService.create({ workspaceId: owner.workspace.id, name: 'budget', role: 'viewer', createdBy: null });
    const responses = [];
    for (let i = 0; i < 9; i++) responses.push(await t.fetch('/api/workspace', { key: budgetKey }));
    const limited = responses[8]!;

    expect(responses.map((response) => response.headers.get('ratelimit-remaining'))).toEqual(['7', '6', '5', '4', '3', '2', '1', '0', '0']);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-limit')).toBe('8');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
