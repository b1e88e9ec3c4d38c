/**
 * A small client of the Model Context Protocol's Streamable HTTP transport (protocol
 * revision 2025-06-18) over the `http.fetch` host API: `initialize`, the `initialized`
 * notification, `tools/list` and `tools/call`. Each request is one POST, and the server
 * responds with a JSON body or with server-sent events that carry the JSON-RPC response.
 */
import type { JsonObject, NodeContext } from '@mify/sdk';

export const MCP_PROTOCOL_VERSION = '2025-06-18';

/** Maximum `tools/list` pages read, so a server that keeps returning cursors cannot loop the agent. */
const MAX_LIST_PAGES = 20;

export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: JsonObject;
}

export interface McpCallResult {
  content?: Array<{ type: string; text?: string; [key: string]: unknown }>;
  structuredContent?: JsonObject;
  isError?: boolean;
}

/** A failed MCP exchange: HTTP status, JSON-RPC error or a malformed reply. */
export class McpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'McpError';
  }
}

/** Returns the JSON-RPC messages of a server-sent-events body: the JSON of each event's data lines. */
export function parseSseMessages(body: string): unknown[] {
  const messages: unknown[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data === '') continue;
    try {
      messages.push(JSON.parse(data));
    } catch {
      // An event whose data is not JSON carries no JSON-RPC message.
    }
  }
  return messages;
}

export class McpClient {
  private sessionId: string | null = null;
  private nextId = 1;
  private initialized = false;

  constructor(
    private readonly ctx: NodeContext,
    readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Opens the session once: `initialize`, then the `notifications/initialized` notification. */
  async connect(): Promise<void> {
    if (this.initialized) return;
    await this.request('initialize', { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mify-agents', version: '1.0.0' } });
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    this.initialized = true;
  }

  async listTools(): Promise<McpToolInfo[]> {
    await this.connect();
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = (await this.request('tools/list', cursor === undefined ? {} : { cursor })) as { tools?: McpToolInfo[]; nextCursor?: string };
      tools.push(...(result.tools ?? []));
      if (typeof result.nextCursor !== 'string' || result.nextCursor === '') break;
      cursor = result.nextCursor;
    }
    return tools;
  }

  async callTool(name: string, args: JsonObject): Promise<McpCallResult> {
    await this.connect();
    return (await this.request('tools/call', { name, arguments: args })) as McpCallResult;
  }

  /** Ends the session on the server (DELETE), when it gave one. A failure is only logged, because the server expires sessions itself. */
  async close(): Promise<void> {
    if (this.sessionId === null) return;
    try {
      await this.ctx.host.http.fetch(this.url, { method: 'DELETE', headers: this.requestHeaders() });
    } catch (error) {
      this.ctx.log.warn('could not end the MCP session', { url: this.url, error: error instanceof Error ? error.message : String(error) });
    }
    this.sessionId = null;
  }

  private requestHeaders(): Record<string, string> {
    return {
      ...this.headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(this.initialized ? { 'mcp-protocol-version': MCP_PROTOCOL_VERSION } : {}),
      ...(this.sessionId === null ? {} : { 'mcp-session-id': this.sessionId }),
    };
  }

  private async post(message: JsonObject): Promise<{ status: number; body: string; contentType: string }> {
    const response = await this.ctx.host.http.fetch(this.url, { method: 'POST', headers: this.requestHeaders(), body: JSON.stringify(message) });
    const session = response.headers['mcp-session-id'];
    if (session) this.sessionId = session;
    if (response.status >= 400) {
      throw new McpError(`The MCP server at ${this.url} responded to ${String(message.method)} with HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    }
    return { status: response.status, body: response.body, contentType: response.headers['content-type'] ?? '' };
  }

  private async request(method: string, params: JsonObject): Promise<unknown> {
    const id = this.nextId++;
    const reply = await this.post({ jsonrpc: '2.0', id, method, params });

    let messages: unknown[];
    if (reply.contentType.includes('text/event-stream')) {
      messages = parseSseMessages(reply.body);
    } else {
      try {
        const parsed: unknown = JSON.parse(reply.body);
        messages = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        throw new McpError(`The MCP server at ${this.url} responded to ${method} with a body that is not JSON (content type '${reply.contentType}').`);
      }
    }

    const response = messages.find((candidate) => (candidate as { id?: unknown })?.id === id) as { result?: unknown; error?: { code?: number; message?: string } } | undefined;
    if (!response) throw new McpError(`The MCP server at ${this.url} sent no response to ${method} (request id ${id}).`);
    if (response.error) throw new McpError(`The MCP server at ${this.url} rejected ${method}: ${response.error.message ?? 'no message'} (JSON-RPC error ${response.error.code ?? 'without code'}).`);
    return response.result ?? {};
  }
}
