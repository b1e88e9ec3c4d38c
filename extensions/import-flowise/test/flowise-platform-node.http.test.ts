import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel, type Imported } from '../../import-n8n/test/api.js';
import { buildExtensions } from '../../import-n8n/test/build.js';
import { startPlatformStub, type Received, type Reply } from '../../import-dify/test/platform-stub.js';

const FLOW_ID = '3c7f1b2e-5d9a-4e1f-9b0c-2a6d8e4f1a37';
const API_KEY = 'flowise-key-abc123';

/** An agentflow v2 written for this test: a start node, then a custom function MIFY cannot run. */
const FLOW = {
  nodes: [
    { id: 'startAgentflow_0', type: 'agentFlow', position: { x: 0, y: 0 }, data: { name: 'startAgentflow', label: 'Start', inputs: { startInputType: 'chatInput' } } },
    { id: 'customFunctionAgentflow_0', type: 'agentFlow', position: { x: 200, y: 0 }, data: { name: 'customFunctionAgentflow', label: 'Score', version: 1, inputs: { customFunctionJavascriptFunction: 'return $flow.input.length;' } } },
  ],
  edges: [{ source: 'startAgentflow_0', sourceHandle: 'startAgentflow_0-output-startAgentflow', target: 'customFunctionAgentflow_0', targetHandle: 'customFunctionAgentflow_0' }],
};

/**
 * Implements Flowise's `POST /api/v1/prediction/:id`: a body `{ question }`, a Bearer API key
 * when the flow has one, and a JSON response with text, question, chatId and sessionId.
 * Errors are `{ statusCode, success, message }`, or `{ error }` for a rejected key.
 */
function flowise(request: Received): Reply {
  const match = /^\/api\/v1\/prediction\/([^/?]+)$/.exec(request.path);
  if (request.method !== 'POST' || !match) return { status: 404, body: { statusCode: 404, success: false, message: `Cannot ${request.method} ${request.path}` } };
  if (decodeURIComponent(match[1]!) !== FLOW_ID) return { status: 404, body: { statusCode: 404, success: false, message: `Error: predictionsServices.buildChatflow - Chatflow ${match[1]} not found` } };
  if (request.headers.authorization !== `Bearer ${API_KEY}`) return { status: 401, body: { error: 'Unauthorized Access' } };
  const question = (request.body as { question?: unknown })?.question;
  if (typeof question !== 'string') return { status: 400, body: { statusCode: 400, success: false, message: 'Error: predictionsServices.buildChatflow - question is required' } };
  const chatId = `chat-${question.length}`;
  return { status: 200, body: { text: `${question.length} characters`, question, chatId, chatMessageId: `msg-${question.length}`, sessionId: chatId, executedData: [] } };
}

describe('Flowise platform node over HTTP', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;
  let stub: Awaited<ReturnType<typeof startPlatformStub>>;
  let imported: Imported;
  const platformNode = () => imported.graph.draft.nodes.find((node) => node.type === 'mify.platform.flowise.node')!;

  /** Sets the platform node's parameters in the draft of the imported graph. */
  async function configure(parameters: Record<string, unknown>) {
    const draft = structuredClone(imported.graph.draft);
    const node = draft.nodes.find((entry) => entry.id === platformNode().id)!;
    node.parameters = { ...node.parameters, ...parameters };
    const saved = await api.call(`/api/graphs/${imported.graph.id}/definition`, { method: 'PUT', json: draft });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  }

  beforeAll(async () => {
    await buildExtensions(['import-flowise', 'control', 'data']);
    api = await startImportKernel({ MIFY_ALLOW_PRIVATE_NETWORK: 'true' });
    stub = await startPlatformStub(flowise);
    imported = await api.importFile('flowise', 'score.json', JSON.stringify(FLOW));
    expect(imported.report.nodes.find((node) => node.source.id === 'customFunctionAgentflow_0')!.status).toBe('opaque');
    for (const [name, apiKey] of [['flowise-key', API_KEY], ['flowise-old-key', 'revoked']]) {
      const created = await api.call('/api/credentials', { json: { name, type: 'generic', data: { apiKey } } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });

  afterAll(async () => {
    await stub?.close();
    await api?.t.close();
  });

  it('unconfigured node names missing settings', async () => {
    const result = await api.run(imported.graph.id, [{ question: 'hello' }]);

    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain(`Node '${platformNode().name}' is the Flowise node "customFunctionAgentflow"`);
    expect(result.error?.message).toContain('baseUrl');
    expect(result.error?.message).toContain('flowId');
    expect(stub.received).toHaveLength(0);
  });

  it('configured node predicts per item', async () => {
    await configure({ baseUrl: `${stub.url}/`, flowId: FLOW_ID, credential: 'flowise-key' });
    const before = stub.received.length;

    const result = await api.run(imported.graph.id, [{ question: 'How long is this?', user: 'ada' }, { question: 'And this one?', user: 'bo' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const sent = stub.received.slice(before);
    expect(sent.map((request) => [request.method, request.path, request.headers.authorization, request.headers['content-type']])).toEqual([
      ['POST', `/api/v1/prediction/${FLOW_ID}`, `Bearer ${API_KEY}`, 'application/json'],
      ['POST', `/api/v1/prediction/${FLOW_ID}`, `Bearer ${API_KEY}`, 'application/json'],
    ]);
    expect(sent.map((request) => request.body)).toEqual([{ question: 'How long is this?' }, { question: 'And this one?' }]);
    const responses = sent.map((request) => flowise(request).body as Record<string, unknown>);
    expect(responses.map((response) => response.text)).toEqual(['17 characters', '13 characters']);
    expect(result.output!.items.map((item) => item.json)).toEqual([
      { user: 'ada', ...responses[0], response: responses[0]!.text },
      { user: 'bo', ...responses[1], response: responses[1]!.text },
    ]);
  });

  it('questionField selects the question', async () => {
    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: 'flowise-key', questionField: 'message' });
    const before = stub.received.length;

    const result = await api.run(imported.graph.id, [{ message: 'from another field' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(stub.received.slice(before).map((request) => request.body)).toEqual([{ question: 'from another field' }]);
    expect(result.output!.items[0]!.json.text).toBe('18 characters');
  });

  it('missing or rejected API key', async () => {
    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: '', questionField: 'question' });

    const anonymous = await api.run(imported.graph.id, [{ question: 'hi' }]);

    expect(anonymous.status).toBe('failed');
    expect(stub.received.at(-1)!.headers.authorization).toBeUndefined();
    expect(anonymous.error?.message).toContain('responded with status 401: Unauthorized Access');
    expect(anonymous.error?.message).toContain('set credential');

    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: 'flowise-old-key' });

    const rejected = await api.run(imported.graph.id, [{ question: 'hi' }]);

    expect(rejected.status).toBe('failed');
    expect(stub.received.at(-1)!.headers.authorization).toBe('Bearer revoked');
    expect(rejected.error?.message).toContain("credential 'flowise-old-key'");
  });

  it('unknown flow and server error', async () => {
    await configure({ baseUrl: stub.url, flowId: 'no-such-flow', credential: 'flowise-key' });

    const missing = await api.run(imported.graph.id, [{ question: 'hi' }]);

    expect(missing.status).toBe('failed');
    expect(missing.error?.message).toContain('status 404: Error: predictionsServices.buildChatflow - Chatflow no-such-flow not found');
    expect(missing.error?.message).toContain("flowId 'no-such-flow'");

    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: 'flowise-key' });
    stub.respondWith(() => ({ status: 500, body: { statusCode: 500, success: false, message: 'Error: predictionsServices.buildChatflow - Request failed with status code 429' } }));

    const crashed = await api.run(imported.graph.id, [{ question: 'hi' }]);

    expect(crashed.status).toBe('failed');
    expect(crashed.error?.message).toContain('status 500: Error: predictionsServices.buildChatflow - Request failed with status code 429');
    stub.respondWith(flowise);
  });
});
