/**
 * Reading Flowise exports: one chatflow or agentflow (`{ nodes, edges }`), or a whole
 * workspace export with lists of flows whose `flowData` contains the flow as JSON text.
 */
import { assertPlatform, ImportFileError, isObject, parseJsonFile, type ImportInput } from '@mify/sdk';

export interface FlowiseNode {
  id: string;
  type?: string;
  parentNode?: string;
  position?: { x?: number; y?: number };
  width?: number;
  height?: number;
  data: Record<string, unknown> & { name?: string; label?: string; category?: string; inputs?: Record<string, unknown> };
}

export interface FlowiseEdge {
  source: string;
  target: string;
  sourceHandle?: string;
  targetHandle?: string;
}

export interface FlowiseFlow {
  name: string;
  description: string;
  /** `chatflow` (LangChain components) or `agentflow` (Agentflow v2 nodes). */
  kind: 'chatflow' | 'agentflow';
  nodes: FlowiseNode[];
  edges: FlowiseEdge[];
}

/** Lists of a workspace export and the kind of flow each holds. */
const WORKSPACE_LISTS: Record<string, FlowiseFlow['kind']> = { Chatflows: 'chatflow', AgentFlows: 'chatflow', AssistantFlows: 'chatflow', AgentFlowV2: 'agentflow', AgentFlowsV2: 'agentflow' };

function kindOf(nodes: FlowiseNode[]): FlowiseFlow['kind'] {
  return nodes.some((node) => node.type === 'agentFlow' || node.type === 'iteration' || String(node.data.name ?? '').endsWith('Agentflow')) ? 'agentflow' : 'chatflow';
}

function checkFlow(value: Record<string, unknown>, where: string): { nodes: FlowiseNode[]; edges: FlowiseEdge[] } {
  if (!Array.isArray(value.nodes) || !Array.isArray(value.edges)) {
    const keys = Object.keys(value).slice(0, 5).map((key) => `"${key}"`).join(', ');
    throw new ImportFileError('invalid_file', `${where} is not a Flowise flow: it has no "nodes" and "edges" lists (its fields are ${keys || 'none'}). Export the chatflow or agentflow from Flowise (Export), or the workspace from Settings.`);
  }
  value.nodes.forEach((node, index) => {
    if (!isObject(node) || typeof node.id !== 'string' || !isObject(node.data)) throw new ImportFileError('invalid_file', `${where}: node ${index} has no "id" and "data"; the Flowise export is incomplete.`);
  });
  return { nodes: value.nodes as FlowiseNode[], edges: (value.edges as unknown[]).filter(isObject) as unknown as FlowiseEdge[] };
}

/** Parses the file into its flows: one for a single-flow export, one per flow for a workspace export. */
export function readFlows(input: ImportInput): FlowiseFlow[] {
  const file = parseJsonFile(input, 'Flowise');
  assertPlatform(file, 'flowise', input.fileName);
  if (!isObject(file)) throw new ImportFileError('invalid_file', `File '${input.fileName}' is not a Flowise export: expected a JSON object with "nodes" and "edges", or a workspace export with "Chatflows".`);
  const baseName = input.fileName.replace(/\.json$/i, '');

  const lists = Object.keys(WORKSPACE_LISTS).filter((key) => Array.isArray(file[key]));
  if (lists.length > 0) {
    const flows: FlowiseFlow[] = [];
    for (const key of lists) {
      for (const [index, entry] of (file[key] as unknown[]).entries()) {
        if (!isObject(entry)) continue;
        const where = `File '${input.fileName}', ${key}[${index}]`;
        let data: unknown;
        try {
          data = typeof entry.flowData === 'string' ? JSON.parse(entry.flowData) : entry.flowData;
        } catch (error) {
          throw new ImportFileError('invalid_file', `${where} has flowData that is not valid JSON: ${(error as Error).message}.`);
        }
        if (!isObject(data)) throw new ImportFileError('invalid_file', `${where} has no flowData with the flow's nodes and edges.`);
        const { nodes, edges } = checkFlow(data, where);
        if (nodes.length === 0) continue;
        flows.push({ name: String(entry.name ?? `${baseName} ${index + 1}`), description: String(entry.description ?? ''), kind: WORKSPACE_LISTS[key]!, nodes, edges });
      }
    }
    if (flows.length === 0) throw new ImportFileError('empty_workflow', `File '${input.fileName}' is a Flowise workspace export without flows that have nodes.`);
    return flows;
  }

  const { nodes, edges } = checkFlow(file, `File '${input.fileName}'`);
  if (nodes.length === 0) throw new ImportFileError('empty_workflow', `File '${input.fileName}' is a Flowise flow without nodes; there is nothing to import.`);
  return [{ name: String(file.name ?? baseName), description: String(file.description ?? ''), kind: kindOf(nodes), nodes, edges }];
}
