/** Builds the agent tools a node's parameters declare. */
import type { JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { checkName } from '../shared/parameters.js';
import { codeTool } from './code.js';
import { graphTool } from './graph.js';
import { httpTool } from './http.js';
import { knowledgeTool } from './knowledge.js';
import { mcpTool, type McpClients } from './mcp.js';
import { TOOL_KINDS, type AgentTool, type ToolKind } from './types.js';

export type { AgentTool } from './types.js';

/** Maximum tools of one agent; vendors accept 128 function declarations. */
export const MAX_TOOLS = 64;

/**
 * Returns the tools of a `tools` list such as `[{ kind: 'http', name: 'weather', url: … }]`.
 * `path` names the list in error messages, such as `tools` or `workers[1].tools`.
 * MCP tools connect to their server here, to read the tool's input schema.
 */
export async function buildTools(ctx: NodeContext, declarations: JsonObject[], path: string, clients: McpClients): Promise<AgentTool[]> {
  if (declarations.length > MAX_TOOLS) throw invalidParameter(`${path} declares ${declarations.length} tools; the maximum is ${MAX_TOOLS}.`);

  const tools: AgentTool[] = [];
  for (const [index, declaration] of declarations.entries()) {
    const at = `${path}[${index}]`;
    const kind = declaration.kind as ToolKind;
    if (!TOOL_KINDS.includes(kind)) throw invalidParameter(`${at}.kind must be one of ${TOOL_KINDS.join(', ')}, got ${JSON.stringify(declaration.kind)}.`);
    const description = typeof declaration.description === 'string' ? declaration.description : '';
    if (declaration.parameters !== undefined && (typeof declaration.parameters !== 'object' || declaration.parameters === null || (declaration.parameters as JsonObject).type !== 'object')) {
      throw invalidParameter(`${at}.parameters must be a JSON Schema with "type": "object".`);
    }

    if (kind === 'mcp') {
      const name = declaration.name === undefined ? null : checkName(declaration.name, `${at}.name`);
      tools.push(await mcpTool(ctx, declaration, { name, description, path: at }, clients));
      continue;
    }
    const base = { name: checkName(declaration.name, `${at}.name`), description, path: at };
    if (kind === 'http') tools.push(httpTool(ctx, declaration, base));
    else if (kind === 'code') tools.push(codeTool(ctx, declaration, base));
    else if (kind === 'graph') tools.push(graphTool(ctx, declaration, base));
    else tools.push(knowledgeTool(ctx, declaration, base));
  }

  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name)) throw invalidParameter(`${path} declares two tools named '${tool.name}'; give each tool its own name.`);
    seen.add(tool.name);
  }
  return tools;
}

/** Ends the MCP sessions a node opened. */
export async function closeClients(clients: McpClients): Promise<void> {
  for (const client of clients.values()) await client.close();
  clients.clear();
}
