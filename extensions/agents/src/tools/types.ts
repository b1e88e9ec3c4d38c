/** The contract of an agent tool, whatever runs it. */
import type { ChatTool, JsonObject } from '@mify/sdk';

/** Kinds of tool a node's `tools` parameter may declare. */
export const TOOL_KINDS = ['graph', 'http', 'mcp', 'code', 'knowledge'] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

/**
 * A tool the model may call. `invoke` returns the observation text sent back to the model;
 * it throws when the tool fails, and the agent turns the error into an observation.
 */
export interface AgentTool extends ChatTool {
  kind: ToolKind;
  invoke(args: JsonObject): Promise<string>;
}

/** A JSON Schema for tool arguments that accepts any object. */
export const ANY_OBJECT_SCHEMA: JsonObject = { type: 'object', properties: {}, additionalProperties: true };

/** Turns a tool result into observation text: strings as they are, other values as JSON. */
export function observationText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? 'null';
}
