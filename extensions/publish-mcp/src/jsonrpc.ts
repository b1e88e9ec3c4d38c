/** JSON-RPC 2.0 messages and the error codes the MCP server uses. */
import type { EndpointProblem, JsonObject, JsonValue } from '@mify/sdk';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
/** Server errors, in the range JSON-RPC reserves for implementations: access and rate limit. */
export const UNAUTHORIZED = -32001;
export const FORBIDDEN = -32003;
export const RATE_LIMITED = -32029;
export const CONFLICT = -32009;

export type JsonRpcId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method: string;
  params?: JsonObject;
}

export function rpcResult(id: JsonRpcId, result: JsonValue): JsonObject {
  return { jsonrpc: '2.0', id, result };
}

export function rpcError(id: JsonRpcId, code: number, message: string, data?: JsonValue): JsonObject {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** Maps an endpoint problem to a JSON-RPC error code: invalid params for 404 and 422, server codes otherwise. */
export function problemError(id: JsonRpcId, problem: EndpointProblem): JsonObject {
  const codes: Record<number, number> = { 401: UNAUTHORIZED, 403: FORBIDDEN, 409: CONFLICT, 429: RATE_LIMITED };
  const code = codes[problem.status] ?? INVALID_PARAMS;
  const data: JsonObject = { status: problem.status, code: problem.code };
  if (problem.errors) data.errors = problem.errors;
  if (problem.retryAfterSeconds !== undefined) data.retryAfterSeconds = problem.retryAfterSeconds;
  return rpcError(id, code, problem.detail, data);
}

/** Checks the JSON-RPC 2.0 envelope of one message; returns an error response when it is invalid. */
export function validateMessage(message: unknown): { request: JsonRpcRequest } | { error: JsonObject } {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return { error: rpcError(null, INVALID_REQUEST, 'Each JSON-RPC message must be an object.') };
  const candidate = message as Record<string, unknown>;
  const id = candidate.id;
  const validId = id === undefined || typeof id === 'string' || typeof id === 'number';
  if (candidate.jsonrpc !== '2.0' || typeof candidate.method !== 'string' || !validId) {
    return { error: rpcError(validId ? ((id as JsonRpcId) ?? null) : null, INVALID_REQUEST, 'Invalid JSON-RPC request: expected jsonrpc "2.0", a string method, and a string or number id.') };
  }
  if (candidate.params !== undefined && (typeof candidate.params !== 'object' || candidate.params === null || Array.isArray(candidate.params))) {
    return { error: rpcError((id as JsonRpcId) ?? null, INVALID_PARAMS, 'params must be an object.') };
  }
  return { request: candidate as unknown as JsonRpcRequest };
}
