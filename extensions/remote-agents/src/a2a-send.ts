/** The A2A node: reads the agent card, then sends SendMessage to its JSON-RPC interface (A2A v1.0). */
import { ExtensionError, type JsonObject, type NodeContext } from '@mify/sdk';
import { authHeaders, readRpcBody, requiredString, rpcFailure, timeoutOf, type NodeParameters } from './http.js';

function messageId(): string {
  let id = '';
  for (let index = 0; index < 32; index += 1) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

export async function sendA2aMessage(ctx: NodeContext, parameters: NodeParameters): Promise<JsonObject> {
  const url = requiredString(parameters, 'url', 'the base URL of the agent, whose card is at <url>/.well-known/agent-card.json');
  const timeoutMs = timeoutOf(parameters, 20_000);
  const auth = await authHeaders(ctx, parameters);

  const parts: JsonObject[] = [];
  if (typeof parameters.text === 'string' && parameters.text !== '') parts.push({ text: parameters.text });
  if (typeof parameters.data === 'object' && parameters.data !== null && !Array.isArray(parameters.data)) parts.push({ data: parameters.data as JsonObject, mediaType: 'application/json' });
  if (parts.length === 0) throw new ExtensionError('invalid_parameter', "Set parameter 'text' or 'data': the message needs at least one part.");

  const cardUrl = `${url.replace(/\/+$/, '')}/.well-known/agent-card.json`;
  const cardResponse = await ctx.host.http.fetch(cardUrl, { headers: { accept: 'application/json', 'a2a-version': '1.0', ...auth }, timeoutMs });
  if (cardResponse.status !== 200) throw new ExtensionError('remote_error', `The agent card at ${cardUrl} returned HTTP ${cardResponse.status}; check the agent URL.`);
  const card = JSON.parse(cardResponse.body) as { supportedInterfaces?: Array<{ url?: string; protocolBinding?: string; protocolVersion?: string }> };
  const rpcInterface = (card.supportedInterfaces ?? []).find((entry) => entry.protocolBinding?.toUpperCase() === 'JSONRPC' && (entry.protocolVersion ?? '1.0').startsWith('1.'));
  if (!rpcInterface?.url) throw new ExtensionError('remote_error', `The agent card at ${cardUrl} lists no JSONRPC interface of protocol version 1.x.`);

  const message: JsonObject = { messageId: messageId(), role: 'ROLE_USER', parts };
  if (typeof parameters.skillId === 'string' && parameters.skillId !== '') message.metadata = { skillId: parameters.skillId };
  const response = await ctx.host.http.fetch(rpcInterface.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'a2a-version': '1.0', ...auth },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } }),
    timeoutMs,
  });
  const reply = readRpcBody(response.headers['content-type'] ?? '', response.body, 1);
  if (!reply || 'error' in reply || !reply.result) throw rpcFailure('A2A SendMessage', rpcInterface.url, reply, response.status);

  const result = reply.result as { task?: JsonObject; message?: JsonObject };
  const task = result.task as { id?: string; status?: { state?: string }; artifacts?: Array<{ parts?: JsonObject[] }> } | undefined;
  const outputParts = task ? (task.artifacts ?? []).flatMap((artifact) => artifact.parts ?? []) : (((result.message as { parts?: JsonObject[] } | undefined)?.parts) ?? []);
  const data = outputParts.find((part) => typeof part.data === 'object' && part.data !== null)?.data ?? null;
  const text = outputParts.filter((part) => typeof part.text === 'string').map((part) => part.text as string).join('\n');
  return { taskId: task?.id ?? null, state: task?.status?.state ?? null, text, data: data as JsonObject | null, result: result as JsonObject };
}
