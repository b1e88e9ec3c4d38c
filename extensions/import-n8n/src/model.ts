/**
 * The n8n workflow format as the importer reads it, and the shape of one node's mapping.
 */
import type { ImportFlag, ImportScheduleHint, ImportStatus } from '@mify/sdk';

/** A node of an n8n workflow export. */
export interface N8nNode {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: [number, number];
  parameters: Record<string, unknown>;
  credentials?: Record<string, { id?: string; name?: string }>;
  disabled?: boolean;
  notes?: string;
  notesInFlow?: boolean;
  retryOnFail?: boolean;
  maxTries?: number;
  waitBetweenTries?: number;
  onError?: string;
  continueOnFail?: boolean;
  alwaysOutputData?: boolean;
}

/** One target of an n8n connection. */
export interface N8nConnection {
  node: string;
  type: string;
  index: number;
}

/** An n8n workflow export. */
export interface N8nWorkflow {
  id?: string;
  name?: string;
  nodes: N8nNode[];
  /** Source node name → connection type (`main`, `ai_languageModel`, …) → output index → targets. */
  connections: Record<string, Record<string, Array<Array<N8nConnection> | null>>>;
  settings?: Record<string, unknown>;
  pinData?: Record<string, unknown>;
}

/** Source of a MIFY node's credential parameter: the n8n credential of one of the listed types. */
export interface CredentialSlot {
  parameter: string;
  /** n8n credential types this slot accepts; the first present on the node is used. */
  from?: string[];
  suggestedTypes: string[];
}

/** The MIFY node one n8n node becomes. */
export interface NodeMapping {
  type: string;
  parameters: Record<string, unknown>;
  status: ImportStatus;
  notes: string[];
  flags?: ImportFlag[];
  /** MIFY output port for each n8n output index; a missing index has no counterpart. */
  outputs: string[];
  /** MIFY input port for each n8n input index. */
  inputs: string[];
  credential?: CredentialSlot;
  /** Node whose n8n credentials fill the slot when it is not the mapped node, such as an agent's chat model. */
  credentialNode?: N8nNode;
  scheduleHints?: ImportScheduleHint[];
  /**
   * Switch with a fallback to one of its rule outputs: items on MIFY's `fallback` port also
   * go where this n8n output index goes.
   */
  fallbackToOutput?: number;
}

/** Context a mapper reads besides the node: its AI sub-nodes and the workflow settings. */
export interface MapContext {
  /** Sub-nodes connected to this node through `ai_*` connections, by connection type. */
  subNodes: Map<string, N8nNode[]>;
  settings: Record<string, unknown>;
}

export type Mapper = (node: N8nNode, context: MapContext) => NodeMapping;

/** Strips the package prefix: `n8n-nodes-base.if` → `if`, `@n8n/n8n-nodes-langchain.agent` → `agent`. */
export function shortType(type: string): string {
  return type.replace(/^(@n8n\/)?n8n-nodes-(base|langchain)\./, '');
}

/** Returns the value of an n8n resource locator (`{ __rl: true, value, mode }`), or a plain value unchanged. */
export function locatorValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && '__rl' in value) return (value as { value?: unknown }).value;
  return value;
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Reads n8n's `{ parameters: [{ name, value }] }` collections into an object. */
export function nameValuePairs(collection: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const entry of list(record(collection).parameters)) {
    const pair = record(entry);
    if (typeof pair.name === 'string' && pair.name !== '') result[pair.name] = pair.value ?? '';
  }
  return result;
}
