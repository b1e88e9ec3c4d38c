/**
 * The remote agent nodes in the real sandbox against servers on 127.0.0.1: an MCP server built
 * with @modelcontextprotocol/sdk, an A2A agent built with @a2a-js/sdk's server pieces, and a
 * stub of the OpenAI Responses API (a paid API) that speaks its wire format.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, ServerCallContext, type AgentExecutor } from '@a2a-js/sdk/server';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';
import { buildExtensions } from '../../publish-rest/test/support/publish-kernel.js';

interface Started {
  url: string;
  close(): Promise<void>;
  requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }>;
}

async function listen(handler: (request: http.IncomingMessage, body: string, response: http.ServerResponse) => Promise<void> | void): Promise<Started> {
  const requests: Started['requests'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      Promise.resolve(handler(request, body, response)).catch((error: Error) => {
        response.statusCode = 500;
        response.end(error.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Starts an MCP server with one tool, `add`, and a new server and transport per session. */
async function startMcpServer(): Promise<Started> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  return listen(async (request, body, response) => {
    const sessionId = request.headers['mcp-session-id'] as string | undefined;
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => crypto.randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport!), enableJsonResponse: false });
      const server = new Server({ name: 'calculator', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'add', description: 'Adds two numbers', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } }] }));
      server.setRequestHandler(CallToolRequestSchema, async (call) => {
        if (call.params.name !== 'add') throw new McpError(-32602, `Unknown tool: ${call.params.name}`);
        const { a, b } = call.params.arguments as { a: number; b: number };
        return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
      });
      await server.connect(transport);
    }
    await transport.handleRequest(request, response, body ? JSON.parse(body) : undefined);
  });
}

/** Starts an A2A v1.0 agent that replies to every message with the upper-cased text of its first part. */
async function startA2aAgent(): Promise<Started> {
  let url = '';
  const executor: AgentExecutor = {
    async execute(context, bus) {
      const part = context.userMessage.parts[0]?.content;
      const text = part?.$case === 'text' ? part.value : JSON.stringify(part?.value);
      bus.publish(AgentEvent.message({ messageId: crypto.randomUUID(), role: 2, parts: [{ content: { $case: 'text', value: text.toUpperCase() }, filename: '', mediaType: '', metadata: undefined }], contextId: context.contextId, taskId: '', extensions: [], referenceTaskIds: [], metadata: undefined } as never));
      bus.finished();
    },
    async cancelTask() {},
  };
  const card = () => ({ name: 'Shouter', description: 'Shouts', version: '1.0.0', supportedInterfaces: [{ url: `${url}/rpc`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' }], capabilities: { streaming: false }, defaultInputModes: ['text/plain'], defaultOutputModes: ['text/plain'], skills: [], securitySchemes: {}, securityRequirements: [], signatures: [] });
  const started = await listen(async (request, body, response) => {
    if (request.method === 'GET' && request.url === '/.well-known/agent-card.json') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(card()));
      return;
    }
    const handler = new JsonRpcTransportHandler(new DefaultRequestHandler(card() as never, new InMemoryTaskStore(), executor));
    const result = await handler.handle(JSON.parse(body), new ServerCallContext());
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(result));
  });
  url = started.url;
  return started;
}

/** Starts a stub of POST /v1/responses in the OpenAI wire format. */
async function startOpenAiStub(): Promise<Started> {
  return listen((request, body, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.headers.authorization !== 'Bearer sk-test') {
      response.statusCode = 401;
      response.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      return;
    }
    const parsed = JSON.parse(body) as { model: string; input: string };
    response.end(JSON.stringify({ id: 'resp_1', object: 'response', status: 'completed', model: parsed.model, output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `echo: ${parsed.input}`, annotations: [] }] }], usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } }));
  });
}

describe('remote agent nodes', () => {
  let t: TestKernel;
  let workspaceId: string;
  let mcp: Started;
  let a2a: Started;
  let openai: Started;
  let runs = 0;

  async function runNode(type: string, parameters: Record<string, unknown>): Promise<Array<{ json: Record<string, any> }>> {
    runs += 1;
    const runId = `run_remote_${runs}`;
    const input = { items: [{ json: {} }], ports: { main: [{ json: {} }] }, parameters, node: { id: 'n', name: type, type, typeVersion: 1, parameters }, run: { id: runId, workspaceId, stepId: `${runId}_1`, idempotencyKey: `${runId}:n:1`, attempt: 1 } };
    const output = (await t.kernel.services.extensionHost.invoke('mify.remote-agents', { kind: 'node', name: type, input }, { workspaceId, runId, nodeId: 'n' })) as { items: Array<{ json: Record<string, any> }> };
    return output.items;
  }

  beforeAll(async () => {
    await buildExtensions(['remote-agents']);
    [mcp, a2a, openai] = await Promise.all([startMcpServer(), startA2aAgent(), startOpenAiStub()]);
    t = await startTestKernel('pglite', { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
    workspaceId = (await setupOwner(t)).workspace.id;
    await t.kernel.services.vault.create(workspaceId, { name: 'openai', type: 'mify.remote-agents.bearer', data: { token: 'sk-test' } });
    await t.kernel.services.vault.create(workspaceId, { name: 'wrong', type: 'mify.remote-agents.bearer', data: { token: 'sk-wrong' } });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([mcp?.close(), a2a?.close(), openai?.close()]);
  });

  it('calls an MCP tool', async () => {
    const [item] = await runNode('mify.remote-agents.mcp-tool', { url: `${mcp.url}/mcp`, tool: 'add', arguments: { a: 2, b: 3 } });

    expect(item!.json).toMatchObject({ tool: 'add', isError: false, text: '5', structuredContent: { sum: 5 } });
    expect(mcp.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'POST', 'DELETE']);
  });

  it('reports an unknown MCP tool', async () => {
    const outcome = await runNode('mify.remote-agents.mcp-tool', { url: `${mcp.url}/mcp`, tool: 'divide', arguments: {} }).then(
      (items) => items[0]!.json,
      (error: Error) => ({ message: error.message }),
    );

    expect(JSON.stringify(outcome)).toMatch(/divide/);
  });

  it('sends a message to an A2A agent', async () => {
    const [item] = await runNode('mify.remote-agents.a2a-send', { url: a2a.url, text: 'hello agent' });

    expect(item!.json.text).toBe('HELLO AGENT');
    expect(a2a.requests.map((request) => request.path)).toEqual(['/.well-known/agent-card.json', '/rpc']);
    expect(JSON.parse(a2a.requests[1]!.body).method).toBe('SendMessage');
  });

  it('calls the OpenAI Responses API', async () => {
    const [item] = await runNode('mify.remote-agents.openai-responses', { baseUrl: `${openai.url}/v1`, model: 'gpt-4.1-mini', input: 'hi', instructions: 'Be brief.', credential: 'openai' });

    expect(item!.json).toEqual({ responseId: 'resp_1', status: 'completed', text: 'echo: hi', usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } });
    expect(JSON.parse(openai.requests.at(-1)!.body)).toEqual({ model: 'gpt-4.1-mini', input: 'hi', instructions: 'Be brief.' });
  });

  it('names the status of a rejected OpenAI key', async () => {
    const error = await runNode('mify.remote-agents.openai-responses', { baseUrl: `${openai.url}/v1`, model: 'm', input: 'hi', credential: 'wrong' }).catch((caught: Error) => caught);

    expect((error as Error).message).toContain('HTTP 401: Incorrect API key provided');
  });

  it('rejects an A2A message without parts', async () => {
    const error = await runNode('mify.remote-agents.a2a-send', { url: a2a.url }).catch((caught: Error) => caught);

    expect((error as Error).message).toContain("Set parameter 'text' or 'data'");
  });
});
