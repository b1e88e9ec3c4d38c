/**
 * The sandboxed MCP server at /api/workflow-mcp/mcp, driven by the official
 * @modelcontextprotocol/sdk client over Streamable HTTP on 127.0.0.1, and its REST pair.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GREETING_INPUT_SCHEMA, greetingGraph, startPublishKernel, type PublishKernel } from '../../publish-rest/test/support/publish-kernel.js';

describe('workflow MCP server', () => {
  let k: PublishKernel;
  let client: Client;

  async function connect(key?: string): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL(`${k.t.url}/api/workflow-mcp/mcp`), key ? { requestInit: { headers: { authorization: `Bearer ${key}` } } } : {});
    const connected = new Client({ name: 'mify-test', version: '1.0.0' });
    await connected.connect(transport);
    return connected;
  }

  beforeAll(async () => {
    k = await startPublishKernel({ extensions: ['publish-mcp'] });
    await k.publish({ name: 'Greeting', slug: 'greeting', description: 'Greets a person', definition: greetingGraph(), settings: { endpoint: { inputSchema: GREETING_INPUT_SCHEMA } } });
    await k.publish({ name: 'Limited', slug: 'limited', definition: greetingGraph('limited'), settings: { endpoint: { rateLimit: { limit: 1, windowSeconds: 60 } } } });
    await k.publish({ name: 'Unpublished', slug: 'unpublished', definition: greetingGraph('unpublished'), publish: false });
    client = await connect(k.key);
  });

  afterAll(async () => {
    await client?.close();
    await k?.close();
  });

  it('initializes with a session id and the tools capability', () => {
    expect(client.getServerCapabilities()).toEqual({ tools: { listChanged: false } });
    expect(client.getServerVersion()?.name).toBe('mify-workflows');
    expect((client.transport as StreamableHTTPClientTransport).sessionId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('lists published graphs as tools with JSON Schemas', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    const greeting = tools.find((tool) => tool.name === 'greeting')!;

    expect(names).toEqual(['greeting', 'limited']);
    expect(greeting.inputSchema).toEqual(GREETING_INPUT_SCHEMA);
    expect(greeting.outputSchema).toMatchObject({ type: 'object' });
    expect(greeting.description).toBe('Greets a person');
  });

  it('calls a tool and returns text and structured content', async () => {
    const result = await client.callTool({ name: 'greeting', arguments: { name: 'Ada' } });

    expect(result.isError).toBe(false);
    expect(result.structuredContent).toEqual({ greeting: 'Hello, Ada!' });
    expect(result.content).toEqual([{ type: 'text', text: '{"greeting":"Hello, Ada!"}' }]);
  });

  it('answers ping', async () => {
    await expect(client.ping()).resolves.toEqual({});
  });

  it('rejects an unknown tool with a JSON-RPC error', async () => {
    const error = await client.callTool({ name: 'no-such-tool', arguments: {} }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toContain("'no-such-tool'");
  });

  it('rejects an unpublished graph', async () => {
    const error = (await client.callTool({ name: 'unpublished', arguments: { name: 'x' } }).catch((caught: unknown) => caught)) as McpError;

    expect(error.code).toBe(-32602);
    expect(error.message).toContain('no published version');
  });

  it('rejects arguments that violate the schema', async () => {
    const error = (await client.callTool({ name: 'greeting', arguments: { name: '' } }).catch((caught: unknown) => caught)) as McpError;

    expect(error.code).toBe(-32602);
    expect((error.data as { errors: Array<{ path: string }> }).errors[0]!.path).toBe('$.name');
  });

  it('rejects a call past the rate limit', async () => {
    expect((await client.callTool({ name: 'limited', arguments: { name: 'a' } })).isError).toBe(false);

    const error = (await client.callTool({ name: 'limited', arguments: { name: 'b' } }).catch((caught: unknown) => caught)) as McpError;

    expect(error.code).toBe(-32029);
    expect((error.data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('lists no api-key graphs to an anonymous client', async () => {
    const anonymous = await connect();
    try {
      expect((await anonymous.listTools()).tools).toEqual([]);
    } finally {
      await anonymous.close();
    }
  });

  describe('protocol errors over HTTP', () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      k.t.fetch('/api/workflow-mcp/mcp', { method: 'POST', key: k.key, headers: { accept: 'application/json, text/event-stream', ...headers }, json: body });

    it('rejects a request without a session', async () => {
      const response = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
    });

    it('answers 404 for an unknown session', async () => {
      const response = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'ffffffffffffffffffffffffffffffff' });

      expect(response.status).toBe(404);
    });

    it('rejects an unknown method', async () => {
      const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
      const response = await post({ jsonrpc: '2.0', id: 9, method: 'resources/list' }, { 'mcp-session-id': sessionId });
      const body = (await response.json()) as { id: number; error: { code: number } };

      expect(body.id).toBe(9);
      expect(body.error.code).toBe(-32601);
    });

    it('rejects a message that is not JSON-RPC', async () => {
      const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
      const response = await post({ id: 1, method: 'tools/list' }, { 'mcp-session-id': sessionId });

      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
    });

    it('answers 405 to GET', async () => {
      const response = await k.t.fetch('/api/workflow-mcp/mcp', { key: k.key, headers: { accept: 'text/event-stream' } });

      expect(response.status).toBe(405);
    });

    it('ends a session with DELETE', async () => {
      const session = await connect(k.key);
      const sessionId = (session.transport as StreamableHTTPClientTransport).sessionId!;

      const deleted = await k.t.fetch('/api/workflow-mcp/mcp', { method: 'DELETE', key: k.key, headers: { 'mcp-session-id': sessionId } });
      const after = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': sessionId });

      expect(deleted.status).toBe(204);
      expect(after.status).toBe(404);
    });
  });

  describe('REST pair', () => {
    it('lists tools', async () => {
      const body = (await (await k.t.fetch('/api/workflow-mcp/list_tools', { key: k.key })).json()) as { tools: Array<{ name: string }> };

      expect(body.tools.map((tool) => tool.name)).toEqual(['greeting', 'limited']);
    });

    it('calls a tool', async () => {
      const response = await k.t.fetch('/api/workflow-mcp/call_tool', { method: 'POST', key: k.key, json: { name: 'greeting', arguments: { name: 'Grace' } } });

      expect(response.status).toBe(200);
      expect(((await response.json()) as { structuredContent: unknown }).structuredContent).toEqual({ greeting: 'Hello, Grace!' });
    });

    it('answers 422 problem for invalid arguments', async () => {
      const response = await k.t.fetch('/api/workflow-mcp/call_tool', { method: 'POST', key: k.key, json: { name: 'greeting', arguments: { wrong: 1 } } });

      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('answers 404 problem for an unknown tool', async () => {
      const response = await k.t.fetch('/api/workflow-mcp/call_tool', { method: 'POST', key: k.key, json: { name: 'missing', arguments: {} } });

      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe('endpoint_not_found');
    });
  });
});
