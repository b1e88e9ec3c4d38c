import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel, type Imported, type Run } from '../../import-n8n/test/api.js';
import { buildExtensions } from '../../import-n8n/test/build.js';
import { startPlatformStub, type Received, type Reply } from '../../import-dify/test/platform-stub.js';

const FLOW_ID = '8d1f6a0e-2b7c-4c39-a5e4-61f0b9d2c7aa';
const API_KEY = 'sk-langflow-test-key';

function component(id: string, type: string, extra: Record<string, unknown> = {}) {
  return { id, type: 'genericNode', position: { x: 0, y: 0 }, data: { id, type, node: { display_name: id, template: { code: { value: 'class Component: ...' }, input_value: { name: 'input_value', value: '' } }, ...extra } } };
}

function edge(source: string, target: string) {
  return { source, target, sourceHandle: `{"id":"${source}"}`, targetHandle: '{"fieldName":"input_value"}', data: { sourceHandle: { id: source }, targetHandle: { fieldName: 'input_value', id: target } } };
}

/** A flow written for this test: chat input, a custom component with edited code, chat output. */
const FLOW = {
  name: 'Shout',
  description: 'custom component between chat input and output',
  data: {
    nodes: [component('ChatInput-1', 'ChatInput'), component('Shout-1', 'CustomComponent', { edited: true }), component('ChatOutput-1', 'ChatOutput')],
    edges: [edge('ChatInput-1', 'Shout-1'), edge('Shout-1', 'ChatOutput-1')],
  },
};

/** Returns the output items of a node, read from the run's steps. */
function stepOutput(run: Run, nodeName: string): Array<Record<string, unknown>> {
  const step = (run as Run & { steps?: Array<{ nodeName: string; output: { ports: Record<string, Array<{ json: Record<string, unknown> }>> } | null }> }).steps?.find((entry) => entry.nodeName === nodeName);
  return (step?.output?.ports.main ?? []).map((item) => item.json);
}

/**
 * Implements Langflow's `POST /api/v1/run/:flow_id`: the key in the x-api-key header, a body
 * `{ input_value, input_type, output_type }`, and the chat message of the first output in
 * `outputs[0].outputs[0].results.message.text`. Errors are FastAPI's `{ detail }`.
 * The flow replies with the input in capitals.
 */
function langflow(request: Received): Reply {
  const match = /^\/api\/v1\/run\/([^/?]+)(\?.*)?$/.exec(request.path);
  if (request.method !== 'POST' || !match) return { status: 404, body: { detail: 'Not Found' } };
  if (request.headers['x-api-key'] === undefined) return { status: 403, body: { detail: 'An API key must be passed as query or header' } };
  if (request.headers['x-api-key'] !== API_KEY) return { status: 401, body: { detail: 'Invalid or missing API key' } };
  if (decodeURIComponent(match[1]!) !== FLOW_ID) return { status: 404, body: { detail: `Flow identifier ${match[1]} not found` } };
  const body = request.body as { input_value?: unknown; input_type?: unknown; output_type?: unknown };
  const kinds = ['chat', 'text', 'any', 'debug'];
  if (typeof body?.input_value !== 'string' || !kinds.includes(String(body.input_type)) || !kinds.includes(String(body.output_type))) {
    return { status: 422, body: { detail: [{ type: 'value_error', loc: ['body'], msg: 'input_value, input_type and output_type are not valid', input: body }] } };
  }
  const text = body.input_value.toUpperCase();
  const message = { text_key: 'text', data: { text, sender: 'Machine', sender_name: 'AI', session_id: FLOW_ID }, default_value: '', text, sender: 'Machine', sender_name: 'AI', files: [], session_id: FLOW_ID };
  return {
    status: 200,
    body: {
      session_id: FLOW_ID,
      outputs: [{
        inputs: { input_value: body.input_value },
        outputs: [{ results: { message }, artifacts: { message: text, sender: 'Machine', sender_name: 'AI', files: [], type: 'object' }, outputs: { message: { message: text, type: 'text' } }, logs: { message: [] }, messages: [{ message: text, sender: 'Machine', sender_name: 'AI', session_id: FLOW_ID, component_id: 'ChatOutput-1', files: [], type: 'message' }], timedelta: null, duration: null, component_display_name: 'Chat Output', component_id: 'ChatOutput-1', used_frozen_result: false }],
      }],
    },
  };
}

describe('Langflow platform node over HTTP', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;
  let stub: Awaited<ReturnType<typeof startPlatformStub>>;
  let imported: Imported;
  const platformNode = () => imported.graph.draft.nodes.find((node) => node.type === 'mify.platform.langflow.node')!;

  /** Sets the platform node's parameters in the draft of the imported graph. */
  async function configure(parameters: Record<string, unknown>) {
    const draft = structuredClone(imported.graph.draft);
    const node = draft.nodes.find((entry) => entry.id === platformNode().id)!;
    node.parameters = { ...node.parameters, ...parameters };
    const saved = await api.call(`/api/graphs/${imported.graph.id}/definition`, { method: 'PUT', json: draft });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  }

  beforeAll(async () => {
    await buildExtensions(['import-langflow', 'control', 'data']);
    api = await startImportKernel({ MIFY_ALLOW_PRIVATE_NETWORK: 'true' });
    stub = await startPlatformStub(langflow);
    imported = await api.importFile('langflow', 'shout.json', JSON.stringify(FLOW));
    expect(imported.report.nodes.find((node) => node.source.id === 'Shout-1')!.status).toBe('opaque');
    for (const [name, apiKey] of [['langflow-key', API_KEY], ['langflow-old-key', 'sk-revoked']]) {
      const created = await api.call('/api/credentials', { json: { name, type: 'generic', data: { apiKey } } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });

  afterAll(async () => {
    await stub?.close();
    await api?.t.close();
  });

  it('unconfigured node names missing settings', async () => {
    const result = await api.run(imported.graph.id, [{ text: 'hello' }]);

    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain(`Node '${platformNode().name}' is the Langflow component "CustomComponent"`);
    expect(result.error?.message).toContain('baseUrl');
    expect(result.error?.message).toContain('flowId');
    expect(stub.received).toHaveLength(0);
  });

  it('configured node runs flow with x-api-key', async () => {
    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: 'langflow-key' });
    const before = stub.received.length;

    const result = await api.run(imported.graph.id, [{ text: 'where is my order?' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const [request, ...others] = stub.received.slice(before);
    expect(others).toHaveLength(0);
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe(`/api/v1/run/${FLOW_ID}`);
    expect(request!.headers['x-api-key']).toBe(API_KEY);
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.headers['content-type']).toContain('application/json');
    expect(request!.body).toEqual({ input_value: 'where is my order?', input_type: 'chat', output_type: 'chat' });
    const response = langflow(request!).body as { outputs: Array<{ outputs: Array<{ results: { message: { text: string } } }> }> };
    const reply = response.outputs[0]!.outputs[0]!.results.message.text;
    expect(reply).toBe('WHERE IS MY ORDER?');
    expect(result.output!.items.map((item) => item.json)).toEqual([{ text: reply }]);
  });

  it('inputField and one call per item', async () => {
    await configure({ baseUrl: `${stub.url}/`, flowId: FLOW_ID, credential: 'langflow-key', inputField: 'question' });
    const before = stub.received.length;

    const result = await api.run(imported.graph.id, [{ question: 'one', id: 1 }, { question: 'two', id: 2 }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const sent = stub.received.slice(before);
    expect(sent.map((request) => (request.body as { input_value: string }).input_value)).toEqual(['one', 'two']);
    expect(stepOutput(result, platformNode().name)).toEqual([{ question: 'one', id: 1, text: 'ONE' }, { question: 'two', id: 2, text: 'TWO' }]);
  });

  it('missing or rejected API key', async () => {
    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: '', inputField: 'text' });

    const anonymous = await api.run(imported.graph.id, [{ text: 'hi' }]);

    expect(anonymous.status).toBe('failed');
    expect(anonymous.error?.message).toContain('responded with status 403: An API key must be passed as query or header');
    expect(anonymous.error?.message).toContain('set credential');

    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: 'langflow-old-key' });

    const rejected = await api.run(imported.graph.id, [{ text: 'hi' }]);

    expect(rejected.status).toBe('failed');
    expect(stub.received.at(-1)!.headers['x-api-key']).toBe('sk-revoked');
    expect(rejected.error?.message).toContain('status 401: Invalid or missing API key');
    expect(rejected.error?.message).toContain("credential 'langflow-old-key'");
  });

  it('unknown flow and server error', async () => {
    await configure({ baseUrl: stub.url, flowId: 'no-such-flow', credential: 'langflow-key' });

    const missing = await api.run(imported.graph.id, [{ text: 'hi' }]);

    expect(missing.status).toBe('failed');
    expect(missing.error?.message).toContain('status 404: Flow identifier no-such-flow not found');
    expect(missing.error?.message).toContain("flowId 'no-such-flow'");

    await configure({ baseUrl: stub.url, flowId: FLOW_ID, credential: 'langflow-key' });
    stub.respondWith(() => ({ status: 500, body: { detail: 'Error running graph: Component Shout-1 raised ValueError' } }));

    const crashed = await api.run(imported.graph.id, [{ text: 'hi' }]);

    expect(crashed.status).toBe('failed');
    expect(crashed.error?.message).toContain('status 500: Error running graph: Component Shout-1 raised ValueError');
    stub.respondWith(langflow);
  });
});
