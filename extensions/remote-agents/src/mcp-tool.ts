/**
 * The MCP tool node: a minimal Streamable HTTP client over `http.fetch`. It initializes a
 * session, sends notifications/initialized, calls the tool and ends the session.
 */
import { ExtensionError, type JsonObject, type NodeContext } from '@mify/sdk';
import { authHeaders, readRpcBody, requiredString, rpcFailure, timeoutOf, type NodeParameters } from './http.js';

const PROTOCOL_VERSION = '2025-06-18';

export async function callMcpTool(ctx: NodeContext, parameters: NodeParameters): Promise<JsonObject> {
  const url = requiredString(parameters, 'url', 'the Streamable HTTP endpoint of the MCP server, such as https://example.com/mcp');
  const tool = requiredString(parameters, 'tool', 'the name of a tool the server lists');
  const args = parameters.arguments ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new ExtensionError('invalid_parameter', `Parameter 'arguments' must be a JSON object, got ${JSON.stringify(args).slice(0, 80)}.`);
  const timeoutMs = timeoutOf(parameters, 20_000);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(await authHeaders(ctx, parameters)) };

  const send = async (message: JsonObject) => {
    const response = await ctx.host.http.fetch(url, { method: 'POST', headers, body: JSON.stringify(message), timeoutMs });
    return { response, message: typeof message.id === 'number' ? readRpcBody(response.headers['content-type'] ?? '', response.body, message.id) : null };
  };

  const initialized = await send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mify-remote-agents', version: '1.0.0' } } });
  if (!initialized.message || 'error' in initialized.message) throw rpcFailure('MCP initialize', url, initialized.message, initialized.response.status);
  const sessionId = initialized.response.headers['mcp-session-id'];
  if (sessionId) headers['mcp-session-id'] = sessionId;
  const negotiated = (initialized.message.result as { protocolVersion?: string } | undefined)?.protocolVersion;
  if (negotiated) headers['mcp-protocol-version'] = negotiated;
  await send({ jsonrpc: '2.0', method: 'notifications/initialized' });

  try {
    const called = await send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool, arguments: args as JsonObject } });
    if (!called.message || 'error' in called.message) throw rpcFailure(`MCP tool '${tool}'`, url, called.message, called.response.status);
    const result = called.message.result as { content?: unknown; structuredContent?: unknown; isError?: boolean };
    const texts = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>).filter((part) => part.type === 'text').map((part) => part.text ?? '') : [];
    return { tool, isError: result.isError === true, text: texts.join('\n'), content: (result.content ?? []) as JsonObject[], ...(result.structuredContent ? { structuredContent: result.structuredContent as JsonObject } : {}) };
  } finally {
    if (sessionId) await ctx.host.http.fetch(url, { method: 'DELETE', headers, timeoutMs }).catch(() => undefined);
  }
}
