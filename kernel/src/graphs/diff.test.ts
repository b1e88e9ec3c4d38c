import DiffMatchPatch from 'diff-match-patch';
import { describe, expect, it } from 'vitest';
import { canonicalJson, definitionHash } from './canonical.js';
import { diffGraphs } from './diff.js';
import { mifyGraphSchema, type MifyGraphInput } from './model.js';

const longPrompt = `You are a careful assistant. ${'Answer in short sentences and cite the source of every fact. '.repeat(6)}`;

function graph(input: MifyGraphInput) {
  return mifyGraphSchema.parse(input);
}

const before = graph({
  nodes: [
    { id: 'fetch', name: 'Fetch', type: 'acme.flow.http', typeVersion: 1, parameters: { url: 'https://example.com/a', options: { retries: 1, headers: ['a'] } } },
    { id: 'ask', name: 'Ask', type: 'acme.ai.chat', typeVersion: 1, parameters: { prompt: longPrompt } },
    { id: 'old', name: 'Old', type: 'acme.flow.set', typeVersion: 1 },
  ],
  edges: [
    { from: { node: 'fetch' }, to: { node: 'ask' } },
    { from: { node: 'ask' }, to: { node: 'old' } },
  ],
  settings: { timeoutMs: 1_000 },
});

const after = graph({
  nodes: [
    { id: 'fetch', name: 'Fetch', type: 'acme.flow.http', typeVersion: 1, parameters: { url: 'https://example.com/b', options: { retries: 1, headers: ['a', 'b'] } } },
    { id: 'ask', name: 'Ask', type: 'acme.ai.chat', typeVersion: 1, parameters: { prompt: longPrompt.replace('careful', 'precise') } },
    { id: 'notify', name: 'Notify', type: 'acme.flow.set', typeVersion: 1 },
  ],
  edges: [{ from: { node: 'fetch' }, to: { node: 'ask' } }, { from: { node: 'ask' }, to: { node: 'notify' } }],
  settings: { rigor: 'experimental' },
});

describe('diffGraphs', () => {
  const diff = diffGraphs(before, after);

  it('reports added and removed nodes by id', () => {
    expect(diff.nodes.added).toEqual([{ id: 'notify', name: 'Notify', type: 'acme.flow.set', typeVersion: 1 }]);
    expect(diff.nodes.removed.map((node) => node.id)).toEqual(['old']);
  });

  it('reports changed parameters as JSON paths', () => {
    const fetch = diff.nodes.changed.find((node) => node.id === 'fetch')!;

    expect(fetch.changes).toEqual([
      { path: '$.parameters.url', kind: 'changed', before: 'https://example.com/a', after: 'https://example.com/b' },
      { path: '$.parameters.options.headers[1]', kind: 'added', after: 'b' },
    ]);
  });

  it('adds a text delta for long strings', () => {
    const ask = diff.nodes.changed.find((node) => node.id === 'ask')!;
    const change = ask.changes[0]!;

    expect(change.path).toBe('$.parameters.prompt');
    expect(change.textDelta).toContain('-careful');
    expect(change.textDelta).toContain('+precise');
    const dmp = new DiffMatchPatch();
    const [patched] = dmp.patch_apply(dmp.patch_fromText(change.textDelta!), change.before as string);
    expect(patched).toBe(change.after);
  });

  it('gives short strings no text delta', () => {
    const fetch = diff.nodes.changed.find((node) => node.id === 'fetch')!;

    expect(fetch.changes[0]!.textDelta).toBeUndefined();
  });

  it('reports added and removed edges', () => {
    expect(diff.edges.removed).toEqual([{ from: { node: 'ask', port: 'main' }, to: { node: 'old', port: 'main' } }]);
    expect(diff.edges.added).toEqual([{ from: { node: 'ask', port: 'main' }, to: { node: 'notify', port: 'main' } }]);
  });

  it('reports settings changes', () => {
    expect(diff.settings).toEqual([
      { path: '$.settings.timeoutMs', kind: 'removed', before: 1_000 },
      { path: '$.settings.rigor', kind: 'changed', before: 'audited', after: 'experimental' },
    ]);
    expect(diff.summary).toMatchObject({ nodesAdded: 1, nodesRemoved: 1, nodesChanged: 2, edgesAdded: 1, edgesRemoved: 1, settingsChanged: 2 });
  });

  it('finds nothing between equal graphs', () => {
    const same = diffGraphs(before, graph(JSON.parse(JSON.stringify(before))));

    expect(same.summary).toEqual({ nodesAdded: 0, nodesRemoved: 0, nodesChanged: 0, edgesAdded: 0, edgesRemoved: 0, settingsChanged: 0, annotationsChanged: 0 });
  });
});

describe('definitionHash', () => {
  it('ignores the order of object keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":2,"f":1}]},"b":1}');
    expect(definitionHash({ b: 1, a: 2 })).toBe(definitionHash({ a: 2, b: 1 }));
  });

  it('changes with any value', () => {
    expect(definitionHash({ a: [1, 2] })).not.toBe(definitionHash({ a: [2, 1] }));
  });
});
