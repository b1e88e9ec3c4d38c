import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';

/** A node that makes one host call from its item and returns the result or the error. */
const CALLER_CODE = (id: string) => `export default { nodes: { '${id}.echo': { async execute(ctx, input) {
  const { method, args } = input.items[0].json;
  try { return { items: [{ json: { result: await ctx.host.call(method, args) } }] }; }
  catch (error) { return { items: [{ json: { error: { code: error.code, message: error.message } } }] }; }
} } } };`;

describe.each(databaseBackends)('runs.wait and knowledge.search on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let cookie: string;
    let workspaceId: string;
    let otherWorkspaceId: string;

    const call = async (extensionId: string, method: string, args: unknown[], workspace = workspaceId) => {
      const output = (await t.kernel.services.extensionHost.invoke(extensionId, { kind: 'node', name: `${extensionId}.echo`, input: { items: [{ json: { method, args } }] } }, { workspaceId: workspace })) as {
        items: Array<{ json: { result?: any; error?: { code: string; message: string } } }>;
      };
      return output.items[0]!.json;
    };

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t);
      cookie = owner.cookie;
      workspaceId = owner.workspace.id;
      const other = await t.fetch('/api/workspaces', { method: 'POST', cookie, json: { name: 'Beta' } });
      otherWorkspaceId = ((await other.json()) as { id: string }).id;
      const host = t.kernel.services.extensionHost;
      await host.install({ folder: writeIsolateExtension({ id: 'acme.reader', manifest: { permissions: ['runs:read', 'knowledge:read'], limits: { memoryLimitMb: 32, timeoutMs: 5000 } }, code: CALLER_CODE('acme.reader') }) });
      await host.install({ folder: writeIsolateExtension({ id: 'acme.nobody', manifest: { limits: { memoryLimitMb: 32, timeoutMs: 5000 } }, code: CALLER_CODE('acme.nobody') }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    async function finishedRun(): Promise<string> {
      const graph = { nodes: [{ id: 'code', name: 'Code', type: 'mify.data.code', typeVersion: 1, parameters: { mode: 'eachItem', code: 'return { doubled: $json.n * 2 };' } }], edges: [] };
      const response = await t.fetch('/api/runs', { method: 'POST', cookie, json: { graph, wait: true, input: [{ json: { n: 21 } }] } });
      return ((await response.json()) as { id: string }).id;
    }

    it('runs.wait returns a finished run with its output', async () => {
      const runId = await finishedRun();

      const { result } = await call('acme.reader', 'runs.wait', [runId, { timeoutMs: 5000 }]);

      expect(result).toMatchObject({ id: runId, status: 'succeeded', output: [{ json: { doubled: 42 } }], outputTruncated: false });
    });

    it('runs.wait rejects a run of another workspace as not found', async () => {
      const runId = await finishedRun();

      const { error } = await call('acme.reader', 'runs.wait', [runId], otherWorkspaceId);

      expect(error).toMatchObject({ code: 'not_found' });
    });

    it('runs.wait needs runs:read', async () => {
      const { error } = await call('acme.nobody', 'runs.wait', ['run_1']);

      expect(error!.code).toBe('permission_denied');
      expect(error!.message).toContain('"runs:read"');
    });

    it('runs.wait rejects a wait past its maximum', async () => {
      const { error } = await call('acme.reader', 'runs.wait', ['run_1', { timeoutMs: 300_001 }]);

      expect(error!.code).toBe('invalid_argument');
      expect(error!.message).toContain('must be at most 300000 ms');
    });

    it('knowledge.search finds chunks of a knowledge base of the workspace', async (context) => {
      if (!(await t.kernel.services.db.hasVector())) context.skip('pgvector is not installed on this PostgreSQL server');
      const created = await t.fetch('/api/knowledge-bases', { method: 'POST', cookie, json: { name: 'Facts' } });
      const knowledgeBase = (await created.json()) as { id: string };
      const ingested = await t.fetch(`/api/knowledge-bases/${knowledgeBase.id}/ingest`, { method: 'POST', cookie, json: { documents: [{ id: 'tides', mediaType: 'text/plain', text: 'Tides are caused by the gravity of the moon and the sun.' }] } });
      expect(ingested.status).toBe(200);

      const { result, error } = await call('acme.reader', 'knowledge.search', [knowledgeBase.id, { query: 'What causes tides?', topK: 1 }]);

      expect(error).toBeUndefined();
      expect(result.results).toEqual([expect.objectContaining({ chunkId: 'tides#0', documentId: 'tides', text: expect.stringContaining('gravity of the moon') })]);

      const foreign = await call('acme.reader', 'knowledge.search', [knowledgeBase.id, { query: 'tides' }], otherWorkspaceId);
      expect(foreign.error!.code).toBe('not_found');
    });

    it('knowledge.search needs knowledge:read', async () => {
      const { error } = await call('acme.nobody', 'knowledge.search', ['kb_1', { query: 'tides' }]);

      expect(error!.code).toBe('permission_denied');
      expect(error!.message).toContain('"knowledge:read"');
    });

    it('knowledge.search rejects an empty query', async () => {
      const { error } = await call('acme.reader', 'knowledge.search', ['kb_1', { query: '' }]);

      expect(error!.code).toBe('invalid_argument');
      expect(error!.message).toContain('query');
    });
  });
});
