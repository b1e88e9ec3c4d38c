import DiffMatchPatch from 'diff-match-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

const httpParameters = {
  type: 'object',
  properties: {
    url: { type: 'string', format: 'uri' },
    retries: { type: 'integer', minimum: 0 },
    prompt: { type: 'string' },
  },
  required: ['url'],
  additionalProperties: false,
};

function nodeContribution(type: string, typeVersion: number, extra: Record<string, unknown> = {}) {
  return { type, typeVersion, name: type, description: 'Test node.', category: 'Test', executionClass: 'deterministic', inputs: ['main'], outputs: ['main'], parameters: { type: 'object', properties: {} }, ...extra };
}

/** Writes an extension whose node types cover triggers, parameters with a schema, two versions and loops. */
function writeFlowExtension(): string {
  const nodes = [
    nodeContribution('acme.flow.trigger', 1, { inputs: [], control: 'trigger' }),
    nodeContribution('acme.flow.http', 1, { parameters: httpParameters }),
    nodeContribution('acme.flow.http', 2, { parameters: httpParameters }),
    nodeContribution('acme.flow.set', 1),
    nodeContribution('acme.flow.loop', 1, { control: 'loop', outputs: ['loop', 'done'] }),
    // Declares its control the older way, inside the parameter schema.
    nodeContribution('acme.flow.each', 1, { outputs: ['loop', 'done'], parameters: { type: 'object', properties: {}, 'x-mify-control': 'loop' } }),
  ];
  const implementations = [...new Set(nodes.map((node) => node.type))].map((type) => `'${type}': { async execute(ctx, input) { return { items: input.items }; } }`).join(',\n');
  return writeIsolateExtension({ id: 'acme.flow', manifest: { contributes: { nodes } }, code: `export default { nodes: { ${implementations} } };` });
}

function node(id: string, type: string, extra: Record<string, unknown> = {}) {
  return { id, name: id.charAt(0).toUpperCase() + id.slice(1), type, typeVersion: 1, ...extra };
}

function edge(from: string, to: string, fromPort = 'main', toPort = 'main') {
  return { from: { node: from, port: fromPort }, to: { node: to, port: toPort } };
}

const longPrompt = `Summarise the page. ${'Keep every number exactly as written and name the section it came from. '.repeat(5)}`;

/** Trigger → Fetch → Store. */
function simpleGraph(url = 'https://example.com/a', prompt = longPrompt) {
  return {
    nodes: [node('start', 'acme.flow.trigger'), node('fetch', 'acme.flow.http', { parameters: { url, prompt } }), node('store', 'acme.flow.set')],
    edges: [edge('start', 'fetch'), edge('fetch', 'store')],
  };
}

interface GraphBody {
  id: string;
  name: string;
  slug: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  endpointAuth: string;
  draft: { nodes: Array<{ id: string; parameters: Record<string, unknown>; settings: { onError: string } }>; edges: unknown[] };
  liveVersion: { id: string; number: number } | null;
}
interface VersionBody {
  id: string;
  number: number;
  status: string;
  live: boolean;
  definitionHash: string;
}
interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  errors: Array<{ code: string; path: string; message: string; nodeName?: string; edgeIndex?: number; parameter?: string }>;
}

describe.each(databaseBackends)('graph API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;
    let viewerKey: string;

    async function call<T = unknown>(path: string, init: { method?: string; json?: unknown; key?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T; response: Response }> {
      const response = await t.fetch(path, { method: init.method ?? 'GET', key: init.key ?? key, ...(init.json !== undefined ? { json: init.json } : {}), headers: init.headers ?? {} });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, response };
    }

    async function createGraph(input: Record<string, unknown> = {}): Promise<GraphBody> {
      const { status, body } = await call<GraphBody>('/api/graphs', { method: 'POST', json: { name: 'Graph', ...input } });
      expect(status, JSON.stringify(body)).toBe(201);
      return body;
    }

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t, { workspace: 'Graphs' });
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      viewerKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'viewer', role: 'viewer' } })).json()) as { key: string }).key;
      await t.kernel.services.extensionHost.install({ folder: writeFlowExtension() });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('creates, reads, saves, lists and deletes a graph', async () => {
      const created = await createGraph({ name: 'Daily digest', description: 'Fetches and stores', tags: ['news', 'news', 'daily'] });
      expect(created).toMatchObject({ name: 'Daily digest', slug: null, tags: ['news', 'daily'], endpointAuth: 'api_key', liveVersion: null, draft: { nodes: [], edges: [] } });

      const saved = await call<GraphBody>(`/api/graphs/${created.id}/definition`, { method: 'PUT', json: simpleGraph() });
      expect(saved.status).toBe(200);
      expect(saved.body.draft.nodes).toHaveLength(3);
      expect(saved.body.draft.nodes[1]!.settings.onError).toBe('fail');

      const read = await call<GraphBody>(`/api/graphs/${created.id}`);
      expect(read.status).toBe(200);
      expect(read.body.draft.nodes.map((n) => n.id)).toEqual(['start', 'fetch', 'store']);

      const listed = await call<{ items: Array<{ id: string; draft?: unknown }> }>('/api/graphs?tag=daily');
      expect(listed.body.items.map((item) => item.id)).toEqual([created.id]);
      expect(listed.body.items[0]!.draft).toBeUndefined();

      expect((await call(`/api/graphs/${created.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await call(`/api/graphs/${created.id}`)).status).toBe(404);
      expect((await call(`/api/graphs/${created.id}`, { method: 'DELETE' })).status).toBe(404);
    });

    it('rejects a definition listing every problem', async () => {
      const graph = await createGraph();
      const definition = {
        nodes: [
          node('start', 'acme.flow.trigger'),
          node('fetch', 'acme.flow.http', { parameters: { url: 'https://example.com', retries: 'many' } }),
          node('parse', 'acme.flow.set'),
          node('mystery', 'acme.unknown.node'),
          node('future', 'acme.flow.http', { typeVersion: 9, parameters: { url: 'https://example.com' } }),
        ],
        edges: [edge('start', 'fetch'), edge('fetch', 'parse'), edge('parse', 'fetch'), edge('parse', 'nowhere')],
      };

      const { status, body, response } = await call<ProblemBody>(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: definition });

      expect(status).toBe(422);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(body.type).toBe('urn:mify:problem:validation_failed');
      expect(body.detail).toContain('5 problems');
      expect(body.errors.map((error) => error.code).sort()).toEqual(['cycle', 'dangling_edge', 'invalid_parameter', 'unknown_node_type', 'unknown_type_version']);
      expect(body.errors.find((error) => error.code === 'cycle')!.message).toContain("'Fetch' → 'Parse' → 'Fetch'");
      expect(body.errors.find((error) => error.code === 'dangling_edge')).toMatchObject({ edgeIndex: 3, path: '$.edges[3].to.node' });
      expect(body.errors.find((error) => error.code === 'unknown_node_type')).toMatchObject({ nodeName: 'Mystery' });
      expect(body.errors.find((error) => error.code === 'unknown_type_version')!.message).toContain('known versions: 1, 2');
      expect(body.errors.find((error) => error.code === 'invalid_parameter')).toMatchObject({ nodeName: 'Fetch', parameter: 'retries', path: '$.nodes[1].parameters.retries' });
      expect((await call<GraphBody>(`/api/graphs/${graph.id}`)).body.draft.nodes).toEqual([]);
    });

    it('accepts cycles through loop nodes', async () => {
      const graph = await createGraph();
      const definition = {
        nodes: [node('start', 'acme.flow.trigger'), node('loop', 'acme.flow.loop'), node('work', 'acme.flow.set'), node('each', 'acme.flow.each'), node('inner', 'acme.flow.set')],
        edges: [edge('start', 'loop'), edge('loop', 'work', 'loop'), edge('work', 'loop'), edge('loop', 'each', 'done'), edge('each', 'inner', 'loop'), edge('inner', 'each')],
      };

      const { status, body } = await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: definition });

      expect(status, JSON.stringify(body)).toBe(200);
    });

    it('validates the definition given at creation', async () => {
      const { status, body } = await call<ProblemBody>('/api/graphs', { method: 'POST', json: { name: 'Broken', definition: { nodes: [node('x', 'acme.unknown.node')], edges: [] } } });

      expect(status).toBe(422);
      expect(body.errors).toMatchObject([{ code: 'unknown_node_type', path: '$.definition.nodes[0].type' }]);
    });

    it('updates metadata through the allowlist', async () => {
      const graph = await createGraph({ settings: { color: 'blue', icon: 'star' } });

      const updated = await call<GraphBody>(`/api/graphs/${graph.id}`, {
        method: 'PUT',
        json: { name: 'Renamed', slug: 'renamed-graph', tags: ['ops'], settings: { icon: null, owner: 'team-a' }, endpointAuth: 'public', scheduleHints: [{ cron: '0 6 * * 1-5', timezone: 'Europe/Berlin' }] },
      });

      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body).toMatchObject({ name: 'Renamed', slug: 'renamed-graph', tags: ['ops'], settings: { color: 'blue', owner: 'team-a' }, endpointAuth: 'public' });
      expect(updated.body.settings).not.toHaveProperty('icon');
    });

    it('rejects fields outside the allowlist by name', async () => {
      const graph = await createGraph();

      const { status, body } = await call<ProblemBody>(`/api/graphs/${graph.id}`, { method: 'PUT', json: { name: 'Sneaky', draft: { nodes: [], edges: [] }, workspaceId: 'ws_other' } });

      expect(status).toBe(422);
      expect(body.detail).toContain("'draft'");
      expect(body.detail).toContain("'workspaceId'");
      expect(body.detail).toContain('allowed: name, description, slug, tags, settings, endpointAuth, scheduleHints');
      expect((await call<GraphBody>(`/api/graphs/${graph.id}`)).body.name).toBe('Graph');
    });

    it('rejects invalid metadata values', async () => {
      const graph = await createGraph();

      const { status, body } = await call<ProblemBody>(`/api/graphs/${graph.id}`, { method: 'PUT', json: { slug: 'Not A Slug', endpointAuth: 'open', scheduleHints: [{ cron: 'sometimes', timezone: 'Mars/Olympus' }] } });

      expect(status).toBe(422);
      expect(body.errors.map((error) => error.path).sort()).toEqual(['body.endpointAuth', 'body.scheduleHints.0.cron', 'body.scheduleHints.0.timezone', 'body.slug']);
    });

    it('rejects a slug used by another graph', async () => {
      await createGraph({ slug: 'taken' });
      const other = await createGraph();

      expect((await call(`/api/graphs/${other.id}`, { method: 'PUT', json: { slug: 'taken' } })).status).toBe(409);
      expect((await call('/api/graphs', { method: 'POST', json: { name: 'Again', slug: 'taken' } })).status).toBe(409);
    });

    it('publishes idempotently', async () => {
      const graph = await createGraph({ definition: simpleGraph() });

      const first = await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' });
      const again = await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' });

      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ number: 1, status: 'published', live: true });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);

      await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: simpleGraph('https://example.com/b') });
      const second = await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' });
      expect(second.status).toBe(201);
      expect(second.body.number).toBe(2);

      const versions = await call<{ items: VersionBody[] }>(`/api/graphs/${graph.id}/versions`);
      expect(versions.body.items.map((version) => [version.number, version.live])).toEqual([[2, true], [1, false]]);
      expect((await call<GraphBody>(`/api/graphs/${graph.id}`)).body.liveVersion).toMatchObject({ id: second.body.id, number: 2 });
    });

    it('publishes one version when publishes race', async () => {
      const graph = await createGraph({ definition: simpleGraph() });

      const results = await Promise.all(Array.from({ length: 5 }, () => call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' })));

      expect(results.map((result) => result.status).sort()).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(results.map((result) => result.body.id)).size).toBe(1);
      const versions = await call<{ items: VersionBody[] }>(`/api/graphs/${graph.id}/versions`);
      expect(versions.body.items).toHaveLength(1);
    });

    it('reads a version with its definition', async () => {
      const graph = await createGraph({ definition: simpleGraph() });
      const published = (await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' })).body;

      const byId = await call<VersionBody & { definition: GraphBody['draft'] }>(`/api/graphs/${graph.id}/versions/${published.id}`);
      const byNumber = await call<VersionBody & { definition: GraphBody['draft'] }>(`/api/graphs/${graph.id}/versions/1`);

      expect(byId.status).toBe(200);
      expect(byId.body.definition.nodes.map((n) => n.id)).toEqual(['start', 'fetch', 'store']);
      expect(byId.body.definitionHash).toMatch(/^[0-9a-f]{64}$/);
      expect(byNumber.body.id).toBe(published.id);
      expect((await call(`/api/graphs/${graph.id}/versions/2`)).status).toBe(404);
    });

    it('replays a publish with the same Idempotency-Key', async () => {
      const graph = await createGraph({ definition: simpleGraph() });
      const headers = { 'idempotency-key': `publish-${graph.id}` };

      const first = await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST', headers });
      const replay = await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST', headers });

      expect(first.status).toBe(201);
      expect(replay.status).toBe(201);
      expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.id).toBe(first.body.id);
    });

    it('refuses to publish a draft whose node types were removed', async () => {
      const extra = writeIsolateExtension({ id: 'acme.extra' });
      await t.kernel.services.extensionHost.install({ folder: extra });
      const graph = await createGraph({ definition: { nodes: [node('echo', 'acme.extra.echo')], edges: [] } });
      await t.kernel.services.extensionHost.disable('acme.extra');

      const published = await call<ProblemBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' });
      const validation = await call<{ ok: boolean; problems: Array<{ code: string }> }>(`/api/graphs/${graph.id}/validation`);

      expect(published.status).toBe(422);
      expect(published.body.errors.map((error) => error.code)).toEqual(['unknown_node_type']);
      expect(validation.body).toMatchObject({ ok: false, problems: [{ code: 'unknown_node_type' }] });
    });

    it('archives the live version and falls back to the previous one', async () => {
      const graph = await createGraph({ definition: simpleGraph() });
      const v1 = (await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' })).body;
      await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: simpleGraph('https://example.com/b') });
      const v2 = (await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' })).body;

      const archived = await call<{ archived: VersionBody; live: VersionBody | null }>(`/api/graphs/${graph.id}/archive`, { method: 'POST' });
      expect(archived.status).toBe(200);
      expect(archived.body.archived).toMatchObject({ id: v2.id, status: 'archived', live: false });
      expect(archived.body.live).toMatchObject({ id: v1.id, live: true });

      const byId = await call<{ archived: VersionBody; live: VersionBody | null }>(`/api/graphs/${graph.id}/archive?versionId=${v1.id}`, { method: 'POST' });
      expect(byId.body.live).toBeNull();
      expect((await call<GraphBody>(`/api/graphs/${graph.id}`)).body.liveVersion).toBeNull();

      const nothingLive = await call<ProblemBody>(`/api/graphs/${graph.id}/archive`, { method: 'POST' });
      expect(nothingLive.status).toBe(409);

      const republished = await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' });
      expect(republished.status).toBe(200);
      expect(republished.body).toMatchObject({ id: v2.id, number: 2, status: 'published', live: true });
    });

    it('replaces the draft from a version', async () => {
      const graph = await createGraph({ definition: simpleGraph() });
      const v1 = (await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' })).body;
      await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: simpleGraph('https://example.com/changed') });

      const restored = await call<GraphBody>(`/api/graphs/${graph.id}/draft-from/${v1.id}`, { method: 'POST', headers: { 'idempotency-key': `restore-${graph.id}` } });

      expect(restored.status).toBe(200);
      expect(restored.body.draft.nodes[1]!.parameters.url).toBe('https://example.com/a');
      const byNumber = await call<GraphBody>(`/api/graphs/${graph.id}/draft-from/1`, { method: 'POST' });
      expect(byNumber.status).toBe(200);
      expect((await call(`/api/graphs/${graph.id}/draft-from/ver_missing`, { method: 'POST' })).status).toBe(404);
    });

    it('diffs versions and the draft', async () => {
      const graph = await createGraph({ definition: simpleGraph() });
      const v1 = (await call<VersionBody>(`/api/graphs/${graph.id}/publish`, { method: 'POST' })).body;
      const changed = simpleGraph('https://example.com/b', longPrompt.replace('Summarise', 'Condense'));
      changed.nodes.push(node('notify', 'acme.flow.set'));
      changed.edges = [edge('start', 'fetch'), edge('start', 'notify')];
      await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: changed });

      type Diff = {
        from: { versionId: string | null };
        to: { ref: string };
        nodes: { added: Array<{ id: string }>; removed: unknown[]; changed: Array<{ id: string; changes: Array<{ path: string; before?: unknown; after?: unknown; textDelta?: string }> }> };
        edges: { added: unknown[]; removed: unknown[] };
      };
      const { status, body } = await call<Diff>(`/api/graphs/${graph.id}/versions/${v1.id}/diff/draft`);

      expect(status).toBe(200);
      expect(body.from.versionId).toBe(v1.id);
      expect(body.to.ref).toBe('draft');
      expect(body.nodes.added.map((n) => n.id)).toEqual(['notify']);
      expect(body.nodes.removed).toEqual([]);
      const fetch = body.nodes.changed.find((n) => n.id === 'fetch')!;
      expect(fetch.changes.find((change) => change.path === '$.parameters.url')).toEqual({ path: '$.parameters.url', kind: 'changed', before: 'https://example.com/a', after: 'https://example.com/b' });
      const prompt = fetch.changes.find((change) => change.path === '$.parameters.prompt')!;
      const dmp = new DiffMatchPatch();
      expect(dmp.patch_apply(dmp.patch_fromText(prompt.textDelta!), prompt.before as string)[0]).toBe(prompt.after);
      expect(prompt.textDelta).toContain('+Conden');
      expect(body.edges.removed).toEqual([edge('fetch', 'store')]);
      expect(body.edges.added).toEqual([edge('start', 'notify')]);

      await call(`/api/graphs/${graph.id}/publish`, { method: 'POST' });
      const byNumber = await call<Diff>(`/api/graphs/${graph.id}/versions/2/diff/1`);
      expect(byNumber.status).toBe(200);
      expect(byNumber.body.nodes.removed).toEqual([{ id: 'notify', name: 'Notify', type: 'acme.flow.set', typeVersion: 1 }]);
      expect((await call(`/api/graphs/${graph.id}/versions/3/diff/1`)).status).toBe(404);
    });

    it('pages through graphs with a cursor', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) ids.push((await createGraph({ name: `Paged ${index}`, tags: ['paged'] })).id);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/api/graphs?tag=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await call<{ items: Array<{ id: string }>; nextCursor: string | null }>(query);
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor);

      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const found = await call<{ items: Array<{ id: string }> }>('/api/graphs?q=PAGED%203');
      expect(found.body.items.map((item) => item.id)).toEqual([ids[3]]);
      expect((await call('/api/graphs?cursor=not-a-cursor')).status).toBe(400);
    });

    it('pages through versions with a cursor', async () => {
      const graph = await createGraph({ definition: simpleGraph() });
      for (const url of ['https://example.com/1', 'https://example.com/2']) {
        await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', json: simpleGraph(url) });
        await call(`/api/graphs/${graph.id}/publish`, { method: 'POST' });
      }

      const first = await call<{ items: VersionBody[]; nextCursor: string | null }>(`/api/graphs/${graph.id}/versions?limit=1`);
      const second = await call<{ items: VersionBody[]; nextCursor: string | null }>(`/api/graphs/${graph.id}/versions?limit=1&cursor=${first.body.nextCursor}`);

      expect(first.body.items.map((version) => version.number)).toEqual([2]);
      expect(second.body.items.map((version) => version.number)).toEqual([1]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('lets a viewer read but not write', async () => {
      const graph = await createGraph({ definition: simpleGraph() });

      expect((await call(`/api/graphs/${graph.id}`, { key: viewerKey })).status).toBe(200);
      expect((await call('/api/graphs', { key: viewerKey })).status).toBe(200);
      expect((await call('/api/graphs', { method: 'POST', key: viewerKey, json: { name: 'No' } })).status).toBe(403);
      expect((await call(`/api/graphs/${graph.id}/definition`, { method: 'PUT', key: viewerKey, json: simpleGraph() })).status).toBe(403);
      expect((await call(`/api/graphs/${graph.id}/publish`, { method: 'POST', key: viewerKey })).status).toBe(403);
      expect((await call(`/api/graphs/${graph.id}`, { method: 'DELETE', key: viewerKey })).status).toBe(403);
    });

    it('hides the versions of another workspace’s graph', async () => {
      const { userService, graphService } = t.kernel.services;
      const other = await userService.createUser({ email: 'other@example.com', password: 'other-password-1' });
      const workspace = await userService.createWorkspace({ name: 'Other', ownerId: other.id });
      const foreign = await graphService.create(workspace.id, { type: 'user', id: other.id }, { name: 'Foreign', definition: simpleGraph() });
      const foreignVersion = (await graphService.publish(workspace.id, foreign.id, { type: 'user', id: other.id })).version;
      const own = await createGraph({ definition: simpleGraph() });

      expect((await call(`/api/graphs/${own.id}/versions/${foreignVersion.id}`)).status).toBe(404);
      expect((await call(`/api/graphs/${own.id}/draft-from/${foreignVersion.id}`, { method: 'POST' })).status).toBe(404);
      expect((await call(`/api/graphs/${own.id}/versions/${foreignVersion.id}/diff/draft`)).status).toBe(404);
      expect((await call(`/api/graphs/${own.id}/archive?versionId=${foreignVersion.id}`, { method: 'POST' })).status).toBe(404);
      expect((await call(`/api/graphs/${foreign.id}/versions/${foreignVersion.id}`)).status).toBe(404);
      expect((await graphService.getVersion(workspace.id, foreign.id, foreignVersion.id)).status).toBe('published');
    });

    it('describes the graph routes in the OpenAPI document', async () => {
      const { body } = await call<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> }>('/api/openapi.json');

      expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/graphs', '/api/graphs/{id}/publish', '/api/graphs/{id}/versions/{from}/diff/{to}']));
      expect(body.paths['/api/graphs/{id}/definition']!.put!.requestBody!.content['application/json']!.schema.properties).toHaveProperty('nodes');
    });
  });
});
