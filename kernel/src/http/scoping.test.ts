import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mifyGraphSchema } from '../graphs/model.js';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/**
 * Walks every workspace-scoped route. A member of workspace A must get 404 for
 * each resource of workspace B, list routes must show none of B's rows, and a
 * viewer must not be able to call any writing route.
 */
describe.each(databaseBackends)('workspace scoping on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let keyA: string;
    let viewerKeyA: string;
    const b: { apiKeyId: string; credentialId: string; userId: string; workspaceId: string; graphId: string; versionId: string; runId: string; waitId: string; scheduleId: string; knowledgeBaseId: string; vectorStoreId: string; secret: string } = { apiKeyId: '', credentialId: '', userId: '', workspaceId: '', graphId: '', versionId: '', runId: '', waitId: '', scheduleId: '', knowledgeBaseId: 'kb_none', vectorStoreId: 'vcol_none', secret: 'b-secret-value-0001' };

    /** For each path parameter of a workspace route: the id of workspace B's resource to probe with. */
    const foreignIds: Record<string, () => string> = {
      'DELETE /api/api-keys/:id': () => b.apiKeyId,
      'GET /api/credentials/:id': () => b.credentialId,
      'PUT /api/credentials/:id': () => b.credentialId,
      'DELETE /api/credentials/:id': () => b.credentialId,
      'DELETE /api/workspace/members/:userId': () => b.userId,
      'GET /api/graphs/:id': () => b.graphId,
      'PUT /api/graphs/:id': () => b.graphId,
      'DELETE /api/graphs/:id': () => b.graphId,
      'PUT /api/graphs/:id/definition': () => b.graphId,
      'GET /api/graphs/:id/validation': () => b.graphId,
      'GET /api/graphs/:id/versions': () => b.graphId,
      'GET /api/graphs/:id/versions/:versionId': () => b.graphId,
      'POST /api/graphs/:id/publish': () => b.graphId,
      'POST /api/graphs/:id/archive': () => b.graphId,
      'POST /api/graphs/:id/draft-from/:versionId': () => b.graphId,
      'GET /api/graphs/:id/versions/:from/diff/:to': () => b.graphId,
      'GET /api/graphs/:id/export/n8n': () => b.graphId,
      'POST /api/graphs/:id/runs': () => b.graphId,
      'GET /api/graphs/:id/run-templates': () => b.graphId,
      'POST /api/graphs/:id/run-templates': () => b.graphId,
      'DELETE /api/graphs/:id/run-templates/:tid': () => b.graphId,
      'POST /api/graphs/:id/run-templates/:tid/execute': () => b.graphId,
      'POST /api/graphs/:id/baseline': () => b.graphId,
      'GET /api/graphs/:id/baseline': () => b.graphId,
      'DELETE /api/graphs/:id/baseline': () => b.graphId,
      'GET /api/graphs/:id/comparison-history': () => b.graphId,
      'GET /api/graphs/:id/schedules': () => b.graphId,
      'POST /api/graphs/:id/schedules': () => b.graphId,
      'GET /api/graphs/:id/schedules/:scheduleId': () => b.graphId,
      'PATCH /api/graphs/:id/schedules/:scheduleId': () => b.graphId,
      'DELETE /api/graphs/:id/schedules/:scheduleId': () => b.graphId,
      'GET /api/home/schedules/:id/waiting': () => b.scheduleId,
      'POST /api/home/schedules/:id/approve': () => b.scheduleId,
      'GET /api/home/schedules/:id/executions': () => b.scheduleId,
      'GET /api/home/schedules/:id/notifications': () => b.scheduleId,
      'POST /api/home/schedules/:id/notifications': () => b.scheduleId,
      'DELETE /api/home/schedules/:id/notifications/:notificationId': () => b.scheduleId,
      'GET /api/runs/:id': () => b.runId,
      'POST /api/runs/:id/cancel': () => b.runId,
      'GET /api/runs/:id/events': () => b.runId,
      'POST /api/runs/:id/pause': () => b.runId,
      'POST /api/runs/:id/resume': () => b.runId,
      'GET /api/temporal-time-travel/history/:runId': () => b.runId,
      'GET /api/waits/:id': () => b.waitId,
      'POST /api/waits/:id/decision': () => b.waitId,
      'GET /api/knowledge-bases/:id': () => b.knowledgeBaseId,
      'DELETE /api/knowledge-bases/:id': () => b.knowledgeBaseId,
      'POST /api/knowledge-bases/:id/ingest': () => b.knowledgeBaseId,
      'POST /api/knowledge-bases/:id/search': () => b.knowledgeBaseId,
      'GET /api/knowledge-bases/:id/documents': () => b.knowledgeBaseId,
      'DELETE /api/knowledge-bases/:id/documents/:documentId': () => b.knowledgeBaseId,
      'GET /api/vector-stores/:id': () => b.vectorStoreId,
      'DELETE /api/vector-stores/:id': () => b.vectorStoreId,
      'POST /api/vector-stores/:id/vectors': () => b.vectorStoreId,
      'POST /api/vector-stores/:id/vectors/delete': () => b.vectorStoreId,
      'POST /api/vector-stores/:id/query': () => b.vectorStoreId,
    };
    /** Routes whose path parameter is not a workspace resource, with the reason. */
    const notWorkspaceResources: Record<string, string> = {
      'PUT /api/workspace/members/:userId': 'users are global; an owner adds an existing user to their own workspace by id or email',
      'GET /api/extensions/:id': 'extensions are installed for the whole instance and visible to every workspace',
    };

    const sampleBodies: Record<string, unknown> = {
      'POST /api/api-keys': { name: 'probe', role: 'viewer' },
      'POST /api/credentials': { name: 'probe', type: 'generic', data: { a: 1 } },
      'PUT /api/credentials/:id': { name: 'renamed' },
      'PUT /api/workspace/members/:userId': { role: 'viewer' },
      'POST /api/graphs': { name: 'probe' },
      'POST /api/graphs/import/n8n': { content: '{"nodes":[],"connections":{}}' },
      'POST /api/graphs/import/flowise': { content: '{"nodes":[],"edges":[]}' },
      'POST /api/graphs/import/dify': { content: 'kind: app' },
      'POST /api/graphs/import/langflow': { content: '{"data":{"nodes":[],"edges":[]}}' },
      'PUT /api/graphs/:id': { name: 'renamed' },
      'PUT /api/graphs/:id/definition': { nodes: [], edges: [] },
      'POST /api/graphs/:id/runs': { version: 'live' },
      'POST /api/graphs/:id/run-templates': { name: 'probe', input: [{ json: {} }] },
      'POST /api/graphs/:id/baseline': { runId: 'run_probe' },
      'POST /api/graphs/:id/schedules': { name: 'probe', kind: 'interval', intervalMs: 60_000 },
      'PATCH /api/graphs/:id/schedules/:scheduleId': { enabled: false },
      'POST /api/home/schedules/from-template': { templateId: 'daily-digest', schedule: { kind: 'interval', intervalMs: 60_000, enabled: false } },
      'POST /api/home/schedules/:id/approve': {},
      'POST /api/home/schedules/:id/notifications': { url: 'https://example.com/hooks/mify' },
      'POST /api/canvas-execute': { graphId: 'any-graph' },
      'POST /api/canvas-execute/admin/cache-clear': {},
      'POST /api/waits/:id/decision': { decision: 'approve' },
      'POST /api/knowledge-bases': { name: 'probe' },
      'POST /api/knowledge-bases/:id/ingest': { documents: [{ mediaType: 'text/plain', text: 'probe' }] },
      'POST /api/knowledge-bases/:id/search': { query: 'probe' },
      'POST /api/vector-stores': { name: 'probe', dimensions: 2 },
      'POST /api/vector-stores/:id/vectors': { vectors: [{ id: 'p', vector: [1, 0] }] },
      'POST /api/vector-stores/:id/vectors/delete': { ids: ['p'] },
      'POST /api/vector-stores/:id/query': { vector: [1, 0], topK: 1 },
    };

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t, { workspace: 'A' });
      keyA = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'a-owner', role: 'owner' } })).json()) as { key: string }).key;
      viewerKeyA = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'a-viewer', role: 'viewer' } })).json()) as { key: string }).key;

      const { userService, apiKeyService, vault, graphService } = t.kernel.services;
      const userB = await userService.createUser({ email: 'b@example.com', password: 'b-password-1' });
      const workspaceB = await userService.createWorkspace({ name: 'B', ownerId: userB.id });
      b.userId = userB.id;
      b.workspaceId = workspaceB.id;
      b.apiKeyId = (await apiKeyService.create({ workspaceId: workspaceB.id, name: 'b-key', role: 'owner', createdBy: userB.id })).record.id;
      b.credentialId = (await vault.create(workspaceB.id, { name: 'b-cred', type: 'generic', data: { token: b.secret } })).id;
      b.graphId = (await graphService.create(workspaceB.id, { type: 'user', id: userB.id }, { name: 'b-graph' })).id;
      b.versionId = (await graphService.publish(workspaceB.id, b.graphId, { type: 'user', id: userB.id })).version.id;
      const emptyGraph = mifyGraphSchema.parse({ nodes: [], edges: [] });
      b.scheduleId = (await t.kernel.services.scheduleService.create(workspaceB.id, b.graphId, userB.id, { name: 'b-schedule', kind: 'interval', intervalMs: 60_000, version: 'live', enabled: false, catchUp: 'latest' })).id;
      b.runId = (await t.kernel.services.runService.start({ workspaceId: workspaceB.id, graph: { id: null, versionId: null, workspaceId: workspaceB.id, graph: emptyGraph }, input: [], mode: 'api', createdBy: userB.id, waitForCompletion: true })).id;
      b.waitId = (await t.kernel.services.runService.waits.ensure({ runId: b.runId, rootRunId: b.runId, workspaceId: workspaceB.id, graphId: null, nodeId: 'n', nodeName: 'Review', stepKey: 'n:1', request: { kind: 'approval', title: 'probe' } })).wait.id;
      // Knowledge bases and vector stores need pgvector; without it the probes use ids that cannot exist, which must be 404 all the same.
      if (await t.kernel.services.db.hasVector()) {
        b.knowledgeBaseId = (await t.kernel.services.knowledgeBaseService.create(workspaceB.id, { name: 'b-kb', description: '', embedding: { provider: 'mify-local', model: 'hashed-ngrams-v1' }, chunking: { strategy: 'recursive', chunkSize: 1000, chunkOverlap: 150 }, metric: 'cosine' })).id;
        b.vectorStoreId = (await t.kernel.services.vectorStoreService.create(workspaceB.id, { name: 'b-store', dimensions: 2, metric: 'cosine' })).id;
      }
    });

    afterAll(async () => {
      await t?.close();
    });

    const workspaceRoutes = () => t.kernel.services.routes.filter((route) => route.auth === 'workspace');
    const label = (route: { method: string; path: string }) => `${route.method.toUpperCase()} ${route.path}`;

    it('has a probe for every parameterised workspace route', () => {
      const unmapped = workspaceRoutes()
        .filter((route) => route.path.includes(':'))
        .map(label)
        .filter((name) => !(name in foreignIds) && !(name in notWorkspaceResources));

      expect(unmapped).toEqual([]);
    });

    it('answers 404 for every resource of another workspace', async () => {
      const results: Record<string, number> = {};
      for (const route of workspaceRoutes().filter((r) => label(r) in foreignIds)) {
        const path = route.path.replace(/:(\w+)/, foreignIds[label(route)]!());
        const response = await t.fetch(path, { method: route.method.toUpperCase(), key: keyA, ...(sampleBodies[label(route)] ? { json: sampleBodies[label(route)] } : {}) });
        results[label(route)] = response.status;
      }

      expect(Object.values(results).length).toBe(Object.keys(foreignIds).length);
      for (const [name, status] of Object.entries(results)) expect(status, name).toBe(404);
    });

    it('leaves the other workspace’s rows untouched', async () => {
      const { prisma } = t.kernel.services.db;

      expect((await prisma.apiKey.findUnique({ where: { id: b.apiKeyId } }))!.revokedAt).toBeNull();
      expect((await prisma.credential.findUnique({ where: { id: b.credentialId } }))!.name).toBe('b-cred');
      expect(await prisma.membership.count({ where: { workspaceId: b.workspaceId } })).toBe(1);
      expect((await prisma.graph.findUnique({ where: { id: b.graphId } }))!.name).toBe('b-graph');
      expect((await prisma.graphVersion.findUnique({ where: { id: b.versionId } }))!.status).toBe('published');
      expect(await t.kernel.services.scheduleService.get(b.workspaceId, b.graphId, b.scheduleId)).toMatchObject({ name: 'b-schedule', enabled: false });
    });

    it('shows none of the other workspace’s rows in lists', async () => {
      for (const route of workspaceRoutes().filter((r) => r.method === 'get' && !r.path.includes(':'))) {
        const response = await t.fetch(route.path, { key: keyA });
        const text = await response.text();

        expect(response.status, label(route)).toBe(200);
        for (const foreign of [b.apiKeyId, b.credentialId, b.userId, b.workspaceId, b.graphId, b.versionId, b.runId, b.scheduleId, b.knowledgeBaseId, b.vectorStoreId, b.secret]) expect(text, `${label(route)} leaks ${foreign}`).not.toContain(foreign);
      }
    });

    it('forbids a viewer every writing route', async () => {
      // A POST that only reads, such as a search, declares access 'read' and is open to viewers.
      const writing = workspaceRoutes().filter((route) => route.method !== 'get' && route.access !== 'read');
      expect(writing.length).toBeGreaterThan(0);

      for (const route of writing) {
        const path = route.path.replace(/:(\w+)/, 'any-id');
        const response = await t.fetch(path, { method: route.method.toUpperCase(), key: viewerKeyA, ...(sampleBodies[label(route)] ? { json: sampleBodies[label(route)] } : {}) });
        expect(response.status, label(route)).toBe(403);
      }
    });
  });
});
