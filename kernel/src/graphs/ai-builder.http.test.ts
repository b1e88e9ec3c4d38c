import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

interface RecordedChat {
  model: string;
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string; json_schema?: { schema: Record<string, unknown> } };
}

/**
 * Starts a model server stand-in on 127.0.0.1 that speaks the OpenAI Chat Completions protocol: each
 * request takes the next queued reply text, and the request bodies are recorded.
 */
async function startModelStub() {
  const replies: string[] = [];
  const requests: RecordedChat[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedChat);
      const content = replies.shift();
      response.writeHead(content === undefined ? 500 : 200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          content === undefined
            ? { error: { message: 'no reply queued', type: 'server_error' } }
            : { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'builder-model', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    replies,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const validGraph = {
  nodes: [
    { id: 'adults', name: 'Adults only', type: 'mify.control.route-if', typeVersion: 1, parameters: { conditions: [{ leftValue: '{{ $json.age }}', type: 'number', operator: 'gte', value: 18 }] }, position: { x: 0, y: 0 } },
    { id: 'join', name: 'Join', type: 'mify.control.merge', typeVersion: 1, parameters: { mode: 'append' }, position: { x: 250, y: 0 } },
  ],
  edges: [{ from: { node: 'adults', port: 'true' }, to: { node: 'join', port: 'input1' } }],
};

const MODEL = { provider: 'openai-compatible', model: 'builder-model', credential: 'builder' };

describe.each(databaseBackends)('POST /api/ai-builder/generate on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let stub: Awaited<ReturnType<typeof startModelStub>>;
    let cookie: string;
    let viewerKey: string;

    const generate = async (body: Record<string, unknown>, auth: { cookie?: string; key?: string } = { cookie }) => {
      const response = await t.fetch('/api/ai-builder/generate', { method: 'POST', ...auth, json: body });
      return { status: response.status, contentType: response.headers.get('content-type'), location: response.headers.get('location'), body: (await response.json()) as Record<string, any> };
    };

    beforeAll(async () => {
      stub = await startModelStub();
      // The model stub listens on 127.0.0.1, which the provider's http.fetch reaches only with private networks allowed.
      t = await startTestKernel(backend.name, { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
      const owner = await setupOwner(t);
      cookie = owner.cookie;
      await t.kernel.services.vault.create(owner.workspace.id, { name: 'builder', type: 'mify.llm.openai-compatible', data: { baseUrl: stub.baseUrl, apiKey: 'builder-key' } });
      const viewer = await t.fetch('/api/api-keys', { method: 'POST', cookie, json: { name: 'viewer', role: 'viewer' } });
      viewerKey = ((await viewer.json()) as { key: string }).key;
    });

    afterAll(async () => {
      await t?.close();
      await stub?.close();
    });

    beforeEach(() => {
      stub.replies.length = 0;
      stub.requests.length = 0;
    });

    it('returns a valid graph and saves it', async () => {
      stub.replies.push(JSON.stringify(validGraph));

      const result = await generate({ ...MODEL, prompt: 'Keep the adults of a list of people.', save: true });

      expect(result.status, JSON.stringify(result.body)).toBe(201);
      expect(result.body.attempts).toBe(1);
      expect(result.body.graph.nodes.map((node: { type: string }) => node.type)).toEqual(['mify.control.route-if', 'mify.control.merge']);
      expect(result.location).toBe(`/api/graphs/${result.body.graphId}`);
      const saved = await t.fetch(`/api/graphs/${result.body.graphId}`, { cookie });
      const graph = (await saved.json()) as { name: string; draft: { nodes: Array<{ id: string }> } };
      expect(graph.name).toBe('Keep the adults of a list of people.');
      expect(graph.draft.nodes.map((node) => node.id)).toEqual(['adults', 'join']);
    });

    it('asks for the graph schema with the node catalogue', async () => {
      stub.replies.push(JSON.stringify(validGraph));

      await generate({ ...MODEL, prompt: 'Keep the adults.' });

      const [request] = stub.requests;
      expect(request!.model).toBe('builder-model');
      expect(request!.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: { title: 'MifyGraph', required: ['nodes', 'edges'] } } });
      expect(request!.messages[0]!.role).toBe('system');
      expect(request!.messages[0]!.content).toContain('- mify.control.route-if (typeVersion 1)');
      expect(request!.messages[0]!.content).toMatch(/outputs: true, false/);
      expect(request!.messages[1]).toEqual({ role: 'user', content: 'Keep the adults.' });
    });

    it('does not save without save', async () => {
      stub.replies.push(JSON.stringify(validGraph));

      const result = await generate({ ...MODEL, prompt: 'Keep the adults.' });

      expect(result.status).toBe(201);
      expect(result.body.graphId).toBeNull();
      expect(result.location).toBeNull();
    });

    it('sends validation problems back and takes the repair', async () => {
      const wrong = { nodes: [{ ...validGraph.nodes[0], type: 'mify.control.filter' }, validGraph.nodes[1]], edges: validGraph.edges };
      stub.replies.push(JSON.stringify(wrong), JSON.stringify(validGraph));

      const result = await generate({ ...MODEL, prompt: 'Keep the adults.' });

      expect(result.status, JSON.stringify(result.body)).toBe(201);
      expect(result.body.attempts).toBe(2);
      const repair = stub.requests[1]!.messages;
      expect(repair.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(repair[2]!.content).toBe(JSON.stringify(wrong));
      expect(repair[3]!.content).toMatch(/^The graph is invalid:\n- \$\.nodes\[0\]\.type: .*mify\.control\.filter/);
    });

    it('sends a reply that is not JSON back for repair', async () => {
      stub.replies.push('Here is your graph: nodes...', JSON.stringify(validGraph));

      const result = await generate({ ...MODEL, prompt: 'Keep the adults.' });

      expect(result.body.attempts).toBe(2);
      expect(stub.requests[1]!.messages[3]!.content).toContain('- $: the reply is not valid JSON');
    });

    it('rejects with the last problems after maxAttempts', async () => {
      const noEdgesTarget = { nodes: [validGraph.nodes[0]], edges: [{ from: { node: 'adults', port: 'true' }, to: { node: 'missing', port: 'main' } }] };
      stub.replies.push('{}', JSON.stringify(noEdgesTarget));

      const result = await generate({ ...MODEL, prompt: 'Keep the adults.', maxAttempts: 2, save: true });

      expect(result.status).toBe(422);
      expect(result.contentType).toContain('application/problem+json');
      expect(result.body.code).toBe('graph_generation_failed');
      expect(result.body.detail).toContain('did not produce a valid graph in 2 attempts');
      expect(result.body.errors).toEqual([expect.objectContaining({ path: '$.edges[0].to.node', message: expect.stringContaining('missing') })]);
      expect(result.body.attempts.map((attempt: { attempt: number }) => attempt.attempt)).toEqual([1, 2]);
      expect(stub.requests).toHaveLength(2);
      const graphs = (await (await t.fetch('/api/graphs', { cookie })).json()) as { items: Array<{ name: string }> };
      expect(graphs.items.filter((graph) => graph.name === 'Keep the adults.')).toHaveLength(0);
    });

    it('requires a model', async () => {
      const result = await generate({ prompt: 'Keep the adults.' });

      expect(result.status).toBe(422);
      expect(result.body.errors).toEqual([{ path: 'model', message: 'required' }]);
      expect(stub.requests).toHaveLength(0);
    });

    it('rejects an empty prompt', async () => {
      const result = await generate({ ...MODEL, prompt: '   ' });

      expect(result.status).toBe(422);
      expect(result.body.errors[0].path).toBe('body.prompt');
    });

    it('refuses a viewer', async () => {
      const result = await generate({ ...MODEL, prompt: 'Keep the adults.' }, { key: viewerKey });

      expect(result.status).toBe(403);
      expect(stub.requests).toHaveLength(0);
    });

    it('is described in the OpenAPI document', async () => {
      const document = (await (await t.fetch('/api/openapi.json')).json()) as { paths: Record<string, Record<string, { operationId: string }>> };

      expect(document.paths['/api/ai-builder/generate']!.post!.operationId).toBe('generateGraph');
    });
  });
});
