/**
 * Workflow endpoints over real HTTP: the kernel mounts the sandboxed mify.publish-rest routes
 * at /api/workflow-endpoints, and the published 3-node greeting graph answers them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GREETING_INPUT_SCHEMA, greetingGraph, startPublishKernel, type PublishKernel } from './support/publish-kernel.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ path: string; message: string }>;
}

describe('workflow endpoints', () => {
  let k: PublishKernel;
  let graphId: string;
  let versionId: string;

  beforeAll(async () => {
    k = await startPublishKernel({ extensions: ['publish-rest'] });
    const published = await k.publish({ name: 'Greeting', slug: 'greeting', description: 'Greets a person', definition: greetingGraph(), settings: { endpoint: { inputSchema: GREETING_INPUT_SCHEMA } } });
    graphId = published.id;
    versionId = published.versionId!;
    await k.publish({ name: 'Public greeting', slug: 'public-greeting', endpointAuth: 'public', definition: greetingGraph('public-greet') });
    await k.publish({ name: 'Limited', slug: 'limited', endpointAuth: 'public', definition: greetingGraph('limited'), settings: { endpoint: { rateLimit: { limit: 2, windowSeconds: 60 } } } });
    await k.publish({ name: 'Draft only', slug: 'draft-only', definition: greetingGraph('draft-only'), publish: false });
  });

  afterAll(async () => {
    await k?.close();
  });

  async function problemOf(response: Response): Promise<Problem> {
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    return (await response.json()) as Problem;
  }

  describe('info', () => {
    it('returns the exact panel shape', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting/info', { cookie: k.cookie });
      const body = (await response.json()) as Record<string, unknown>;

      expect(response.status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(['auth', 'method', 'openapiUrl', 'publishedVersion', 'rateLimit', 'sampleCurl', 'slug', 'url'].sort());
      expect(body).toMatchObject({ slug: 'greeting', method: 'POST', auth: 'api-key', rateLimit: { limit: 600, windowSeconds: 60, scope: 'api-key' }, publishedVersion: { id: versionId, version: 1 } });
      expect(body.url).toBe(`${k.t.url}/api/workflow-endpoints/greeting`);
      expect(body.openapiUrl).toBe(`${k.t.url}/api/workflow-endpoints/greeting/openapi.json`);
      expect(body.sampleCurl).toContain("curl -X POST");
      expect(body.sampleCurl).toContain('-H "Authorization: Bearer $MIFY_API_KEY"');
      expect(body.sampleCurl).toContain('{"name":"text"}');
    });

    it('reports a public graph with its limit', async () => {
      const body = (await (await k.t.fetch('/api/workflow-endpoints/limited/info')).json()) as Record<string, any>;

      expect(body.auth).toBe('public');
      expect(body.rateLimit).toEqual({ limit: 2, windowSeconds: 60, scope: 'ip' });
      expect(body.sampleCurl).not.toContain('Authorization');
    });

    it('answers 404 problem for an unknown slug', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/no-such-graph/info', { key: k.key });

      expect(response.status).toBe(404);
      expect((await problemOf(response)).code).toBe('endpoint_not_found');
    });

    it('answers 404 for a graph without a published version', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/draft-only/info', { key: k.key });

      expect(response.status).toBe(404);
      expect((await problemOf(response)).detail).toContain("'draft-only'");
    });
  });

  describe('openapi.json', () => {
    it('carries the input and output schemas', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting/openapi.json', { key: k.key });
      const document = (await response.json()) as Record<string, any>;
      const operation = document.paths['/api/workflow-endpoints/greeting'].post;

      expect(response.status).toBe(200);
      expect(document.openapi).toBe('3.1.0');
      expect(operation.requestBody.content['application/json'].schema).toEqual(GREETING_INPUT_SCHEMA);
      expect(operation.responses['200'].content['application/json'].schema).toMatchObject({ type: 'object' });
      expect(operation.responses['429'].content['application/problem+json']).toBeDefined();
      expect(operation.security).toEqual([{ apiKey: [] }]);
    });
  });

  describe('calls', () => {
    it('answers synchronously with the respond node body', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: k.key, json: { name: 'Ada' } });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ greeting: 'Hello, Ada!' });
      expect(response.headers.get('x-mify-run-id')).toMatch(/^run_/);
      expect(response.headers.get('x-mify-graph-version')).toBe('1');
    });

    it('runs a public graph without a key', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/public-greeting', { method: 'POST', json: { name: 'Grace' } });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ greeting: 'Hello, Grace!' });
    });

    it('answers 202 with a run id in async mode', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting?mode=async', { method: 'POST', key: k.key, json: { name: 'Alan' } });
      const body = (await response.json()) as { runId: string; links: { events: string } };

      expect(response.status).toBe(202);
      expect(body.links.events).toBe(`/api/runs/${body.runId}/events`);
      const run = (await (await k.t.fetch(`/api/runs/${body.runId}?wait=true`, { key: k.key })).json()) as { graphId: string };
      expect(run.graphId).toBe(graphId);
    });

    it('streams run events as Server-Sent Events', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: k.key, headers: { accept: 'text/event-stream' }, json: { name: 'Edsger' } });
      const text = await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(text).toContain('event: run.started');
      expect(text).toContain('event: step.succeeded');
      expect(text).toContain('event: run.finished');
    });

    it('serves the published version, not a newer draft', async () => {
      const changed = greetingGraph() as { nodes: Array<{ id: string; parameters: Record<string, unknown> }> };
      changed.nodes[1]!.parameters = { operations: [{ op: 'set', path: 'greeting', value: 'changed draft' }, { op: 'keepOnly', paths: ['greeting'] }] };
      const saved = await k.t.fetch(`/api/graphs/${graphId}/definition`, { method: 'PUT', key: k.key, json: changed });
      expect(saved.status).toBe(200);

      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: k.key, json: { name: 'Barbara' } });

      expect(await response.json()).toEqual({ greeting: 'Hello, Barbara!' });
    });
  });

  describe('bad input', () => {
    it('answers 404 for an unknown slug', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/unknown-slug', { method: 'POST', key: k.key, json: {} });
      const problem = await problemOf(response);

      expect(response.status).toBe(404);
      expect(problem.type).toBe('urn:mify:problem:endpoint_not_found');
      expect(problem.detail).toContain("'unknown-slug'");
    });

    it('answers 404 for an unpublished graph', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/draft-only', { method: 'POST', key: k.key, json: { name: 'x' } });
      const problem = await problemOf(response);

      expect(response.status).toBe(404);
      expect(problem.code).toBe('endpoint_not_published');
    });

    it('answers 422 listing schema violations', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: k.key, json: { name: 7, extra: true } });
      const problem = await problemOf(response);

      expect(response.status).toBe(422);
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '$.name' }), expect.objectContaining({ message: expect.stringContaining('additional properties') })]));
    });

    it('answers 422 for an input that is not an object', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: k.key, json: [1, 2] });

      expect(response.status).toBe(422);
      expect((await problemOf(response)).detail).toContain('must be a JSON object');
    });

    it('answers 429 with retry-after past the rate limit', async () => {
      const call = () => k.t.fetch('/api/workflow-endpoints/limited', { method: 'POST', json: { name: 'n' } });
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200);

      const response = await call();
      const problem = await problemOf(response);

      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(problem.detail).toContain('2 calls per 60 s');
    });

    it('answers 401 for a wrong key', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: 'mify_wrong_key', json: { name: 'x' } });

      expect(response.status).toBe(401);
      expect((await problemOf(response)).code).toBe('unauthorized');
    });

    it('answers 401 without a key for an api-key graph', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', json: { name: 'x' } });

      expect(response.status).toBe(401);
      expect((await problemOf(response)).detail).toContain('needs an API key');
    });

    it('answers 403 for a viewer key', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'POST', key: k.viewerKey, json: { name: 'x' } });

      expect(response.status).toBe(403);
      expect((await problemOf(response)).detail).toContain("role 'viewer'");
    });

    it('answers 400 for an unknown mode', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting?mode=later', { method: 'POST', key: k.key, json: { name: 'x' } });

      expect(response.status).toBe(400);
      expect((await problemOf(response)).detail).toContain('sync, async or stream');
    });

    it('stops answering once the live version is archived', async () => {
      const { id } = await k.publish({ name: 'Archived', slug: 'archived', definition: greetingGraph('archived') });
      expect((await k.t.fetch('/api/workflow-endpoints/archived', { method: 'POST', key: k.key, json: { name: 'x' } })).status).toBe(200);
      const archived = await k.t.fetch(`/api/graphs/${id}/archive`, { method: 'POST', key: k.key, json: {} });
      expect(archived.status).toBe(200);

      const response = await k.t.fetch('/api/workflow-endpoints/archived', { method: 'POST', key: k.key, json: { name: 'x' } });

      expect(response.status).toBe(404);
      expect((await problemOf(response)).code).toBe('endpoint_not_published');
    });

    it('serves a renamed slug at once', async () => {
      const { id } = await k.publish({ name: 'Renamed', slug: 'before-rename', definition: greetingGraph('before-rename') });
      expect((await k.t.fetch('/api/workflow-endpoints/before-rename', { method: 'POST', key: k.key, json: { name: 'x' } })).status).toBe(200);
      const renamed = await k.t.fetch(`/api/graphs/${id}`, { method: 'PUT', key: k.key, json: { slug: 'after-rename' } });
      expect(renamed.status).toBe(200);

      const old = await k.t.fetch('/api/workflow-endpoints/before-rename', { method: 'POST', key: k.key, json: { name: 'x' } });
      const current = await k.t.fetch('/api/workflow-endpoints/after-rename', { method: 'POST', key: k.key, json: { name: 'Ada' } });

      expect(old.status).toBe(404);
      expect((await problemOf(old)).code).toBe('endpoint_not_found');
      expect(await current.json()).toEqual({ greeting: 'Hello, Ada!' });
    });
  });

  describe('kernel mount', () => {
    it('lists the mounted URL of each route', async () => {
      const contributions = (await (await k.t.fetch('/api/extensions/contributions', { cookie: k.cookie })).json()) as { routes: Array<{ extensionId: string; url: string }> };
      const urls = contributions.routes.filter((route) => route.extensionId === 'mify.publish-rest').map((route) => route.url);

      expect(urls).toEqual(['/api/workflow-endpoints/:slug', '/api/workflow-endpoints/:slug/openapi.json', '/api/workflow-endpoints/:slug/info']);
    });

    it('keeps mounted routes out of /api/ext', async () => {
      const response = await k.t.fetch('/api/ext/mify.publish-rest/greeting', { method: 'POST', key: k.key, json: { name: 'x' } });

      expect(response.status).toBe(404);
    });

    it('answers 405 for another method on a mounted path', async () => {
      const response = await k.t.fetch('/api/workflow-endpoints/greeting', { method: 'DELETE', key: k.key });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    });

    it('leaves unknown kernel paths to the 404 handler', async () => {
      const response = await k.t.fetch('/api/no-such-area/x', { key: k.key });

      expect(response.status).toBe(404);
      expect((await problemOf(response)).code).toBe('route_not_found');
    });
  });
});
