/**
 * The MCP tool: one tool of a Model Context Protocol server reached over Streamable HTTP.
 * Its description and input schema come from the server's `tools/list`, unless the
 * declaration overrides the description.
 */
import type { JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { NAME_PATTERN } from '../shared/parameters.js';
import { clip } from '../shared/trace.js';
import { McpClient, McpError } from './mcp-client.js';
import type { AgentTool } from './types.js';

/** Maximum characters of a tool result sent back to the model. */
const MAX_RESULT_CHARS = 16_000;

/** MCP clients of one node activation, by server URL, so tools of one server share a session. */
export type McpClients = Map<string, McpClient>;

function resultText(result: Awaited<ReturnType<McpClient['callTool']>>): string {
  const parts = (result.content ?? []).map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : `[${part.type} content]`));
  if (parts.length === 0 && result.structuredContent) parts.push(JSON.stringify(result.structuredContent));
  return clip(parts.join('\n'), MAX_RESULT_CHARS);
}

/** Connects to the server, finds the declared tool in its list, and returns it as an agent tool. */
export async function mcpTool(ctx: NodeContext, declaration: JsonObject, base: { name: string | null; description: string; path: string }, clients: McpClients): Promise<AgentTool> {
  const url = declaration.url;
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) throw invalidParameter(`${base.path}.url must be the http or https URL of an MCP server's Streamable HTTP endpoint, such as https://mcp.example.com/mcp.`);
  const remoteName = declaration.tool;
  if (typeof remoteName !== 'string' || remoteName === '') throw invalidParameter(`${base.path}.tool must name a tool of the MCP server.`);
  const headers = declaration.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((value) => typeof value !== 'string')) {
    throw invalidParameter(`${base.path}.headers must be an object of header names and string values.`);
  }

  let client = clients.get(url);
  if (!client) {
    client = new McpClient(ctx, url, headers as Record<string, string>);
    clients.set(url, client);
  }
  const listed = await client.listTools();
  const info = listed.find((tool) => tool.name === remoteName);
  if (!info) {
    throw invalidParameter(`${base.path}.tool is '${remoteName}', which the MCP server at ${url} does not list. Its tools: ${listed.map((tool) => tool.name).join(', ') || 'none'}.`);
  }

  const name = base.name ?? remoteName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  if (!NAME_PATTERN.test(name)) throw invalidParameter(`${base.path}.name must be set, because the MCP tool name '${remoteName}' is not a valid function name.`);
  const connected = client;
  return {
    kind: 'mcp',
    name,
    description: base.description || info.description || `Tool ${remoteName} of the MCP server ${url}`,
    parameters: info.inputSchema ?? { type: 'object', properties: {} },
    async invoke(args) {
      const result = await connected.callTool(remoteName, args);
      const text = resultText(result);
      if (result.isError) throw new McpError(`the tool reported an error: ${text}`);
      return text;
    },
  };
}
