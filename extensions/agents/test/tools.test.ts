import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, isInitializeRequest, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { calls, text } from './support/chat-stub.js';
import { startAgentKernel, traceShape, type AgentTestKernel } from './support/kernel.js';

/**
 * Starts an MCP server built with the SDK's Server and Streamable HTTP transport on 127.0.0.1, in
 * stateful mode: one session per `initialize`, kept by the `mcp-session-id` header.
 */
async function startMcpServer() {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const calls: Array<{ name: string; arguments: unknown; sessionId: string | undefined }> = [];
  let deleted = 0;

  const newServer = () => {
    const server = new Server({ name: 'inventory', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [
        { name: 'stock_level', description: 'Units in stock of a product', inputSchema: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] } },
        { name: 'reorder', description: 'Orders more units', inputSchema: { type: 'object', properties: { sku: { type: 'string' }, units: { type: 'number' } }, required: ['sku', 'units'] } },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      calls.push({ name: request.params.name, arguments: request.params.arguments, sessionId: extra.sessionId });
      const sku = String(request.params.arguments?.sku ?? '');
      if (request.params.name === 'stock_level') {
        if (sku === 'unknown') return { content: [{ type: 'text', text: `No product ${sku}` }], isError: true };
        return { content: [{ type: 'text', text: `${sku}: 7 units` }] };
      }
      return { content: [{ type: 'text', text: `ordered ${String(request.params.arguments?.units)} of ${sku}` }] };
    });
    return server;
  };

  const httpServer = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const sessionId = request.headers['mcp-session-id'] as string | undefined;
      if (request.method === 'DELETE' && sessionId) deleted += 1;
      let transport = sessionId ? transports.get(sessionId) : undefined;
      if (!transport && request.method === 'POST' && isInitializeRequest(body)) {
        transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport!) });
        await newServer().connect(transport);
      }
      if (!transport) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'no valid session' }, id: null }));
        return;
      }
      await transport.handleRequest(request, response, body);
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`,
    calls,
    sessions: () => transports.size,
    deleted: () => deleted,
    close: async () => {
      for (const transport of transports.values()) await transport.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

describe('agent tools', () => {
  let k: AgentTestKernel;
  let mcp: Awaited<ReturnType<typeof startMcpServer>>;

  beforeAll(async () => {
    k = await startAgentKernel();
    mcp = await startMcpServer();
  });

  afterAll(async () => {
    await k?.close();
    await mcp?.close();
  });

  beforeEach(() => {
    k.stub.reset();
    mcp.calls.length = 0;
  });

  describe('MCP tool', () => {
    it('declares the server tool with its schema and calls it', async () => {
      k.stub.script(calls({ id: 'c1', name: 'stock_level', arguments: { sku: 'A-1' } }), calls({ id: 'c2', name: 'order', arguments: { sku: 'A-1', units: 5 } }), text('7 in stock; ordered 5 more.'));

      const run = await k.runAgent('mify.agents.react', {
        tools: [
          { kind: 'mcp', url: mcp.url, tool: 'stock_level' },
          { kind: 'mcp', url: mcp.url, tool: 'reorder', name: 'order', description: 'Reorder a product' },
        ],
      });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const declared = k.stub.requests[0]!.tools!.map((tool) => tool.function);
      expect(declared).toEqual([
        { name: 'stock_level', description: 'Units in stock of a product', parameters: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] } },
        { name: 'order', description: 'Reorder a product', parameters: { type: 'object', properties: { sku: { type: 'string' }, units: { type: 'number' } }, required: ['sku', 'units'] } },
      ]);
      expect(mcp.calls.map((call) => [call.name, call.arguments])).toEqual([
        ['stock_level', { sku: 'A-1' }],
        ['reorder', { sku: 'A-1', units: 5 }],
      ]);
      // Both tools of one server share one session, which the node ends when it is done.
      expect(new Set(mcp.calls.map((call) => call.sessionId)).size).toBe(1);
      expect(mcp.calls[0]!.sessionId).toEqual(expect.any(String));
      expect(mcp.deleted()).toBeGreaterThanOrEqual(1);
      expect(k.stub.requests[1]!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'c1', content: 'A-1: 7 units' });
      expect(k.stub.requests[2]!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'c2', content: 'ordered 5 of A-1' });
      expect(traceShape(run.trace)).toEqual(['request:react', 'thought:agent', 'tool_call:agent', 'observation:agent', 'thought:agent', 'tool_call:agent', 'observation:agent', 'final_answer:agent']);
    });

    it('turns a tool error of the server into an error observation', async () => {
      k.stub.script(calls({ name: 'stock_level', arguments: { sku: 'unknown' } }), text('That product does not exist.'));

      const run = await k.runAgent('mify.agents.react', { tools: [{ kind: 'mcp', url: mcp.url, tool: 'stock_level' }] });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(k.stub.requests[1]!.messages.at(-1)!.content).toBe('Error: the tool stock_level failed: the tool reported an error: No product unknown');
      expect(run.trace.find((entry) => entry.type === 'observation')).toMatchObject({ error: true });
    });

    it('fails on a tool the server does not list', async () => {
      const run = await k.runAgent('mify.agents.react', { tools: [{ kind: 'mcp', url: mcp.url, tool: 'delete_everything' }] });

      expect(run.status).toBe('failed');
      expect(run.error!.message).toContain("tools[0].tool is 'delete_everything', which the MCP server at");
      expect(run.error!.message).toContain('Its tools: stock_level, reorder.');
      expect(k.stub.requests).toHaveLength(0);
    });
  });

  describe('knowledge-base tool', () => {
    it('searches a knowledge base of the workspace', async () => {
      const created = await k.api<{ id: string }>('POST', '/api/knowledge-bases', { name: 'Handbook' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const ingested = await k.api('POST', `/api/knowledge-bases/${created.body.id}/ingest`, {
        documents: [
          { id: 'refunds', mediaType: 'text/plain', text: 'Refunds are paid within 14 days after the returned parcel arrives at the warehouse.' },
          { id: 'holidays', mediaType: 'text/plain', text: 'The office closes on public holidays and during the last week of December.' },
        ],
      });
      expect(ingested.status, JSON.stringify(ingested.body)).toBe(200);
      k.stub.script(calls({ id: 'k1', name: 'handbook', arguments: { query: 'How fast are refunds paid?' } }), text('Refunds are paid within 14 days.'));

      const run = await k.runAgent('mify.agents.react', { tools: [{ kind: 'knowledge', name: 'handbook', knowledgeBaseId: created.body.id, topK: 1 }] });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(k.stub.requests[0]!.tools![0]!.function.parameters).toEqual({ type: 'object', properties: { query: { type: 'string', description: 'What to look for, in words' } }, required: ['query'] });
      const observation = k.stub.requests[1]!.messages.at(-1)!.content!;
      expect(observation).toMatch(/^\[1\] \(chunk refunds#0, score [0-9.]+\)\nRefunds are paid within 14 days/);
      expect(observation).not.toContain('holidays');
    });

    it('reports a knowledge base of another workspace as not found', async () => {
      k.stub.script(calls({ name: 'handbook', arguments: { query: 'refunds' } }), text('I could not search.'));

      const run = await k.runAgent('mify.agents.react', { tools: [{ kind: 'knowledge', name: 'handbook', knowledgeBaseId: 'kb_elsewhere' }] });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(k.stub.requests[1]!.messages.at(-1)!.content).toMatch(/^Error: the tool handbook failed: .*kb_elsewhere/);
    });
  });
});
