import { describe, expect, it } from 'vitest';
import { groupPalette, latestVersions, paletteKey, parsePaletteKey } from './palette';
import type { NodeContribution } from './types';

function contribution(type: string, name: string, category: string, typeVersion = 1, description = ''): NodeContribution {
  return { type, typeVersion, name, category, description, executionClass: 'deterministic', extensionId: 'x', extensionVersion: '1.0.0', healthy: true };
}

const nodes = [
  contribution('mify.data.sort', 'Sort', 'Transform', 1, 'Sorts items by keys'),
  contribution('mify.llm.chat', 'Chat model', 'AI', 1, 'Calls a chat model'),
  contribution('mify.data.edit-fields', 'Edit fields', 'Transform', 1),
  contribution('mify.data.edit-fields', 'Edit fields', 'Transform', 2),
];

describe('groupPalette', () => {
  it('groups by category, sorted by name', () => {
    const groups = groupPalette(nodes);
    expect(groups.map((group) => group.category)).toEqual(['AI', 'Transform']);
    expect(groups[1]!.nodes.map((node) => node.name)).toEqual(['Edit fields', 'Sort']);
  });

  it('shows the latest version of each type', () => {
    const transform = groupPalette(nodes)[1]!;
    expect(transform.nodes.find((node) => node.name === 'Edit fields')!.typeVersion).toBe(2);
  });

  it('matches every word of the query', () => {
    expect(groupPalette(nodes, 'sorts keys').flatMap((group) => group.nodes.map((node) => node.name))).toEqual(['Sort']);
    expect(groupPalette(nodes, 'CHAT').flatMap((group) => group.nodes.map((node) => node.name))).toEqual(['Chat model']);
    expect(groupPalette(nodes, 'ai')).toHaveLength(1);
    expect(groupPalette(nodes, 'nothing like this')).toEqual([]);
  });

  it('searches type ids', () => {
    expect(groupPalette(nodes, 'mify.llm').flatMap((group) => group.nodes.map((node) => node.type))).toEqual(['mify.llm.chat']);
  });
});

describe('palette keys', () => {
  it('round-trips type and version', () => {
    expect(parsePaletteKey(paletteKey({ type: 'a.b@c', typeVersion: 3 }))).toEqual({ type: 'a.b@c', typeVersion: 3 });
    expect(parsePaletteKey('nope')).toBeNull();
  });

  it('keeps the highest version', () => {
    expect(latestVersions(nodes)).toHaveLength(3);
  });
});
