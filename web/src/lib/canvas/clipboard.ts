import { newNodeId, nodeAriaLabel, uniqueName, type CanvasEdge, type CanvasNode } from './graph-model';
import type { Item } from './types';

/** Marks clipboard text as copied canvas nodes, so pasting other text does nothing. */
export const CLIPBOARD_FORMAT = 'mify/canvas-nodes@1';

/** Copied nodes with the edges between them and their pinned data. */
export interface ClipboardContent {
  format: typeof CLIPBOARD_FORMAT;
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  pinnedData: Record<string, Item[]>;
}

/**
 * Copies the selected nodes, the edges whose both ends are selected, and the
 * pinned data of the selected nodes. Returns null when no node is selected.
 */
export function copySelection(nodes: CanvasNode[], edges: CanvasEdge[], pinnedData: Record<string, Item[]> = {}): ClipboardContent | null {
  const selected = nodes.filter((node) => node.selected);
  if (selected.length === 0) return null;

  const ids = new Set(selected.map((node) => node.id));
  const pins: Record<string, Item[]> = {};
  for (const id of ids) if (pinnedData[id]) pins[id] = structuredClone(pinnedData[id]);

  return {
    format: CLIPBOARD_FORMAT,
    nodes: selected.map((node) => ({ id: node.id, type: node.type, position: { ...node.position }, data: structuredClone(node.data) })),
    edges: edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target)).map((edge) => ({ id: edge.id, source: edge.source, target: edge.target, sourceHandle: edge.sourceHandle ?? null, targetHandle: edge.targetHandle ?? null })),
    pinnedData: pins,
  };
}

/** Reads clipboard text written by `serializeClipboard`; returns null for any other text. */
export function parseClipboard(text: string): ClipboardContent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;

  const content = value as Partial<ClipboardContent>;
  if (content.format !== CLIPBOARD_FORMAT || !Array.isArray(content.nodes) || !Array.isArray(content.edges)) return null;
  return { format: CLIPBOARD_FORMAT, nodes: content.nodes, edges: content.edges, pinnedData: content.pinnedData ?? {} };
}

export function serializeClipboard(content: ClipboardContent): string {
  return JSON.stringify(content);
}

/**
 * Makes copies of clipboard nodes to add to the canvas: new ids, names made
 * unique against the canvas, positions moved by `offset`, and the inner edges
 * and pinned data re-pointed at the new ids. The copies come selected.
 */
export function pasteContent(content: ClipboardContent, existing: CanvasNode[], offset: { x: number; y: number }): { nodes: CanvasNode[]; edges: CanvasEdge[]; pinnedData: Record<string, Item[]> } {
  const takenIds = existing.map((node) => node.id);
  const takenNames = existing.map((node) => node.data.name);
  const newIds = new Map<string, string>();

  const nodes = content.nodes.map((node) => {
    const id = newNodeId(takenIds);
    takenIds.push(id);
    newIds.set(node.id, id);
    const name = uniqueName(node.data.name, takenNames);
    takenNames.push(name);
    return { id, type: 'mify' as const, position: { x: node.position.x + offset.x, y: node.position.y + offset.y }, data: { ...structuredClone(node.data), name }, ariaLabel: nodeAriaLabel(name), selected: true };
  });

  const edges = content.edges
    .filter((edge) => newIds.has(edge.source) && newIds.has(edge.target))
    .map((edge) => {
      const source = newIds.get(edge.source)!;
      const target = newIds.get(edge.target)!;
      const sourceHandle = edge.sourceHandle ?? 'main';
      const targetHandle = edge.targetHandle ?? 'main';
      return { id: `${source}:${sourceHandle}->${target}:${targetHandle}`, source, target, sourceHandle, targetHandle };
    });

  const pinnedData: Record<string, Item[]> = {};
  for (const [oldId, items] of Object.entries(content.pinnedData)) {
    const id = newIds.get(oldId);
    if (id) pinnedData[id] = structuredClone(items);
  }
  return { nodes, edges, pinnedData };
}
