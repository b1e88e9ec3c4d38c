/** Published graphs as MCP tools: the tool list and the result of a call. */
import type { EndpointProblem, HostApi, JsonObject, JsonValue, PublishedEndpoint } from '@mify/sdk';

/** An MCP tool description. */
export interface McpTool {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonObject;
  outputSchema?: JsonObject;
}

/** The result of tools/call, or a problem the caller turns into a JSON-RPC error or problem+json. */
export type ToolCallOutcome = { ok: true; result: JsonObject } | { ok: false; problem: EndpointProblem };

/** Tools per page of tools/list. */
const PAGE_SIZE = 100;

export function toTool(endpoint: PublishedEndpoint): McpTool {
  const tool: McpTool = {
    name: endpoint.slug,
    title: endpoint.name,
    description: endpoint.description || `Runs the published graph '${endpoint.name}' (version ${endpoint.publishedVersion?.version ?? '?'}).`,
    inputSchema: endpoint.inputSchema.type === 'object' ? endpoint.inputSchema : { type: 'object', ...endpoint.inputSchema },
  };
  // MCP requires an output schema of type object, so other output shapes are described by the text content only.
  if (endpoint.outputSchema.type === 'object') tool.outputSchema = endpoint.outputSchema;
  return tool;
}

export async function listTools(host: HostApi, cursor: string | undefined, workspace: string | undefined): Promise<{ tools: McpTool[]; nextCursor?: string }> {
  const page = await host.endpoints.list({ limit: PAGE_SIZE, ...(cursor ? { cursor } : {}), ...(workspace ? { workspace } : {}) });
  const result: { tools: McpTool[]; nextCursor?: string } = { tools: page.data.map(toTool) };
  if (page.nextCursor) result.nextCursor = page.nextCursor;
  return result;
}

/**
 * Runs a graph for tools/call. A run that fails is a tool execution error (`isError: true`),
 * which the model can read; refusals before the run (unknown tool, invalid arguments, rate
 * limit, access) are problems.
 */
export async function callTool(host: HostApi, name: unknown, args: unknown, workspace: string | undefined): Promise<ToolCallOutcome> {
  if (typeof name !== 'string' || name === '') {
    return { ok: false, problem: { status: 422, code: 'invalid_params', title: 'Unprocessable Content', detail: 'params.name must be the name of a tool from tools/list.' } };
  }
  const result = await host.endpoints.invoke(name, { input: (args ?? {}) as JsonValue, wait: true, ...(workspace ? { workspace } : {}) });
  if (!result.ok) {
    if (result.problem.status >= 500) return { ok: true, result: { content: [{ type: 'text', text: result.problem.detail }], isError: true } };
    return { ok: false, problem: result.problem };
  }
  if (result.timedOut) {
    return { ok: true, result: { content: [{ type: 'text', text: `The run ${result.runId} did not finish within ${result.endpoint.timeoutMs} ms; it goes on in the background.` }], isError: true } };
  }

  const body = result.response!.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const output: JsonObject = { content: [{ type: 'text', text }], isError: result.response!.statusCode >= 400 };
  if (result.endpoint.outputSchema.type === 'object' && typeof body === 'object' && body !== null && !Array.isArray(body)) output.structuredContent = body;
  return { ok: true, result: output };
}
