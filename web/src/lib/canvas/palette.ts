import type { NodeContribution } from './types';

export interface PaletteGroup {
  category: string;
  nodes: NodeContribution[];
}

/** MIME type of a palette entry dragged onto the canvas; the data is `type@typeVersion`. */
export const PALETTE_DRAG_TYPE = 'application/x-mify-node-type';

export function paletteKey(node: Pick<NodeContribution, 'type' | 'typeVersion'>): string {
  return `${node.type}@${node.typeVersion}`;
}

/** Reads `type@typeVersion` back; returns null for anything else. */
export function parsePaletteKey(key: string): { type: string; typeVersion: number } | null {
  const match = /^(.+)@(\d+)$/.exec(key);
  return match ? { type: match[1]!, typeVersion: Number(match[2]) } : null;
}

/** Keeps the highest version of each node type: new nodes get it, old versions stay for existing nodes. */
export function latestVersions(nodes: NodeContribution[]): NodeContribution[] {
  const latest = new Map<string, NodeContribution>();
  for (const node of nodes) {
    const current = latest.get(node.type);
    if (!current || node.typeVersion > current.typeVersion) latest.set(node.type, node);
  }
  return [...latest.values()];
}

function matches(node: NodeContribution, words: string[]): boolean {
  const haystack = `${node.name} ${node.type} ${node.description} ${node.category}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/**
 * Groups the node types for the palette by category, both sorted by name.
 * `query` keeps the types whose name, type id, description or category
 * contain every word of it, ignoring case.
 */
export function groupPalette(nodes: NodeContribution[], query = ''): PaletteGroup[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const groups = new Map<string, NodeContribution[]>();
  for (const node of latestVersions(nodes)) {
    if (!matches(node, words)) continue;
    groups.set(node.category, [...(groups.get(node.category) ?? []), node]);
  }
  return [...groups]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, entries]) => ({ category, nodes: entries.sort((a, b) => a.name.localeCompare(b.name)) }));
}
