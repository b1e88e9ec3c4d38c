/** HTTP helpers shared by the nodes: JSON or SSE bodies, bearer credentials, errors naming the value. */
import { ExtensionError, type NodeContext } from '@mify/sdk';

export interface NodeParameters {
  [name: string]: unknown;
}

export function requiredString(parameters: NodeParameters, name: string, hint: string): string {
  const value = parameters[name];
  if (typeof value !== 'string' || value.trim() === '') throw new ExtensionError('invalid_parameter', `Parameter '${name}' is required: ${hint}.`);
  return value;
}

export function timeoutOf(parameters: NodeParameters, fallback: number): number {
  const value = parameters.timeoutMs;
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 30_000 ? value : fallback;
}

/** Authorization header from a bearer credential, when the parameters name one. */
export async function authHeaders(ctx: NodeContext, parameters: NodeParameters): Promise<Record<string, string>> {
  const reference = parameters.credential;
  if (typeof reference !== 'string' || reference === '') return {};
  const credential = await ctx.host.credentials.get(reference);
  const token = credential.data.token;
  if (typeof token !== 'string' || token === '') throw new ExtensionError('invalid_credential', `Credential '${reference}' has no token field; store { "token": "…" } in a mify.remote-agents.bearer credential.`);
  return { authorization: `Bearer ${token}` };
}

/**
 * Reads a JSON-RPC response from a body that is JSON or Server-Sent Events, as MCP and A2A
 * servers may answer either way; for SSE the message with `id` is returned.
 */
export function readRpcBody(contentType: string, body: string, id: number): Record<string, unknown> | null {
  if (contentType.includes('text/event-stream')) {
    for (const block of body.split(/\r?\n\r?\n/)) {
      const data = block.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
      if (!data) continue;
      const message = JSON.parse(data) as Record<string, unknown>;
      if (message.id === id) return message;
    }
    return null;
  }
  if (body.trim() === '') return null;
  return JSON.parse(body) as Record<string, unknown>;
}

export function rpcFailure(what: string, url: string, message: Record<string, unknown> | null, status: number): ExtensionError {
  const error = message?.error as { code?: number; message?: string } | undefined;
  if (error) return new ExtensionError('remote_error', `${what} at ${url} failed with JSON-RPC error ${error.code}: ${error.message}`);
  return new ExtensionError('remote_error', `${what} at ${url} failed with HTTP ${status} and no JSON-RPC result; check the URL.`);
}
