import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel, type Imported, type Run } from '../../import-n8n/test/api.js';
import { buildExtensions, FIXTURES } from '../../import-n8n/test/build.js';
import { startPlatformStub, type Received, type Reply } from './platform-stub.js';

const APP_KEY = 'app-test-key-json-repair';

/** Returns the output items of a node, read from the run's steps. */
function stepOutput(run: Run, nodeName: string): Array<Record<string, unknown>> {
  const step = (run as Run & { steps?: Array<{ nodeName: string; output: { ports: Record<string, Array<{ json: Record<string, unknown> }>> } | null }> }).steps?.find((entry) => entry.nodeName === nodeName);
  return (step?.output?.ports.main ?? []).map((item) => item.json);
}

/**
 * Implements Dify's `POST /v1/workflows/run` in blocking mode: a Bearer app key, a JSON body
 * `{ inputs, response_mode, user }`, and errors shaped `{ code, message, status }`.
 * The app repairs llm_string by closing its open braces, like the Python node of json-repair.
 */
function difyApp(request: Received): Reply {
  const error = (status: number, code: string, message: string): Reply => ({ status, body: { code, message, status } });
  if (request.method !== 'POST' || request.path !== '/v1/workflows/run') return error(404, 'not_found', 'The requested URL was not found on the server.');
  if (request.headers.authorization !== `Bearer ${APP_KEY}`) return error(401, 'unauthorized', 'Access token is invalid');
  const body = request.body as { inputs?: Record<string, unknown>; response_mode?: string; user?: string };
  if (typeof body?.inputs !== 'object' || body.inputs === null) return error(400, 'invalid_param', 'inputs is required');
  if (typeof body.user !== 'string' || body.user === '') return error(400, 'invalid_param', 'user is required');
  if (body.response_mode !== 'blocking' && body.response_mode !== 'streaming') return error(400, 'invalid_param', 'response_mode must be blocking or streaming');
  const text = String(body.inputs.llm_string ?? '');
  const missing = (text.match(/\{/g) ?? []).length - (text.match(/\}/g) ?? []).length;
  const result = text + '}'.repeat(Math.max(0, missing));
  return {
    status: 200,
    body: {
      workflow_run_id: `run-${request.path.length}-${text.length}`,
      task_id: `task-${text.length}`,
      data: { id: `run-${text.length}`, workflow_id: 'wf-1', status: 'succeeded', outputs: { result }, error: null, elapsed_time: 0.2, total_tokens: 0, total_steps: 3, created_at: 1_700_000_000, finished_at: 1_700_000_001 },
    },
  };
}

describe('Dify platform node over HTTP', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;
  let stub: Awaited<ReturnType<typeof startPlatformStub>>;
  let imported: Imported;
  const codeNode = () => imported.graph.draft.nodes.find((node) => node.type === 'mify.platform.dify.node')!;

  /** Sets the platform node's parameters in the draft of the imported graph. */
  async function configure(parameters: Record<string, unknown>) {
    const draft = structuredClone(imported.graph.draft);
    const node = draft.nodes.find((entry) => entry.id === codeNode().id)!;
    node.parameters = { ...node.parameters, ...parameters };
    const saved = await api.call(`/api/graphs/${imported.graph.id}/definition`, { method: 'PUT', json: draft });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  }

  beforeAll(async () => {
    await buildExtensions(['import-dify', 'control', 'data']);
    api = await startImportKernel({ MIFY_ALLOW_PRIVATE_NETWORK: 'true' });
    stub = await startPlatformStub(difyApp);
    imported = await api.importFile('dify', 'json-repair.yml', fs.readFileSync(`${FIXTURES}/dify/json-repair.yml`, 'utf8'));
    for (const [name, apiKey] of [['dify-json-repair', APP_KEY], ['dify-wrong', 'app-revoked']]) {
      const created = await api.call('/api/credentials', { json: { name, type: 'generic', data: { apiKey } } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });

  afterAll(async () => {
    await stub?.close();
    await api?.t.close();
  });

  it('unconfigured node names missing settings', async () => {
    const result = await api.run(imported.graph.id, [{ llm_string: '{"a": 1' }]);

    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain(`Node '${codeNode().name}' is the Dify node "code"`);
    expect(result.error?.message).toContain('baseUrl');
    expect(result.error?.message).toContain('credential');
    expect(stub.received).toHaveLength(0);
  });

  it('configured node runs app per item', async () => {
    await configure({ baseUrl: stub.url, credential: 'dify-json-repair' });
    const before = stub.received.length;

    const result = await api.run(imported.graph.id, [{ llm_string: '{"a": 1' }, { llm_string: '{"b": {"c": 2' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const sent = stub.received.slice(before);
    expect(sent).toHaveLength(2);
    for (const [index, request] of sent.entries()) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v1/workflows/run');
      expect(request.headers.authorization).toBe(`Bearer ${APP_KEY}`);
      expect(request.headers['content-type']).toContain('application/json');
      expect(request.body).toEqual({ inputs: { llm_string: ['{"a": 1', '{"b": {"c": 2'][index] }, response_mode: 'blocking', user: expect.stringMatching(/^mify-.+/) });
    }
    // Each item gets the outputs the app returned for it.
    const returned = sent.map((request) => (difyApp(request).body as { data: { outputs: { result: string } } }).data.outputs);
    expect(returned).toEqual([{ result: '{"a": 1}' }, { result: '{"b": {"c": 2}}' }]);
    expect(stepOutput(result, codeNode().name)).toEqual([{ llm_string: '{"a": 1', ...returned[0] }, { llm_string: '{"b": {"c": 2', ...returned[1] }]);
  });

  it('app output reaches End node', async () => {
    await configure({ baseUrl: stub.url, credential: 'dify-json-repair' });

    const result = await api.run(imported.graph.id, [{ llm_string: '{"list": [1, {"n": 2' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const returned = (difyApp(stub.received.at(-1)!).body as { data: { outputs: { result: string } } }).data.outputs.result;
    expect(returned).toBe('{"list": [1, {"n": 2}}');
    expect(result.output!.items.map((item) => item.json)).toEqual([{ output: returned }]);
  });

  it('base URL ending in /v1', async () => {
    await configure({ baseUrl: `${stub.url}/v1/`, credential: 'dify-json-repair' });
    const before = stub.received.length;

    const result = await api.run(imported.graph.id, [{ llm_string: '[{' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(stub.received.slice(before).map((request) => request.path)).toEqual(['/v1/workflows/run']);
    expect(result.output!.items.map((item) => item.json)).toEqual([{ output: '[{}' }]);
  });

  it('rejected app key fails clearly', async () => {
    await configure({ baseUrl: stub.url, credential: 'dify-wrong' });

    const result = await api.run(imported.graph.id, [{ llm_string: '{' }]);

    expect(result.status).toBe('failed');
    expect(stub.received.at(-1)!.headers.authorization).toBe('Bearer app-revoked');
    expect(result.error?.message).toContain('responded with status 401: unauthorized: Access token is invalid');
    expect(result.error?.message).toContain("credential 'dify-wrong'");
  });

  it('server error and failed run', async () => {
    await configure({ baseUrl: stub.url, credential: 'dify-json-repair' });
    stub.respondWith(() => ({ status: 500, body: { code: 'internal_server_error', message: 'The server encountered an internal error.', status: 500 } }));

    const crashed = await api.run(imported.graph.id, [{ llm_string: '{' }]);

    expect(crashed.status).toBe('failed');
    expect(crashed.error?.message).toContain('status 500: internal_server_error: The server encountered an internal error.');

    // In blocking mode a failed app run returns status 200 with data.status "failed".
    stub.respondWith((request) => ({ status: 200, body: { workflow_run_id: 'r', task_id: 't', data: { id: 'r', workflow_id: 'w', status: 'failed', outputs: null, error: `ModuleNotFoundError for ${String((request.body as { inputs: { llm_string: string } }).inputs.llm_string)}`, elapsed_time: 0.1, total_tokens: 0, total_steps: 2, created_at: 1, finished_at: 2 } } }));

    const failed = await api.run(imported.graph.id, [{ llm_string: '{"x"' }]);

    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toContain('the Dify run ended failed: ModuleNotFoundError for {"x"');
    stub.respondWith(difyApp);
  });
});
