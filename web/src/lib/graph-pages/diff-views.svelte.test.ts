import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphDiff } from '$lib/api';
import LineDiff from './LineDiff.svelte';
import { prettyJson } from './line-diff';
import StructuralDiff from './StructuralDiff.svelte';

// A diff as GET /api/graphs/:id/versions/1/diff/2 returns it after a parameter edit, a new node and a new edge.
const diff: GraphDiff = {
  from: { ref: '1', versionId: 'gver_1', number: 1 },
  to: { ref: '2', versionId: 'gver_2', number: 2 },
  nodes: {
    added: [{ id: 'limit', name: 'Limit', type: 'mify.data.limit', typeVersion: 1 }],
    removed: [],
    changed: [
      {
        id: 'fields',
        name: 'Set greeting',
        type: 'mify.data.edit-fields',
        typeVersion: 1,
        changes: [{ path: '$.parameters.fields[0].value', kind: 'changed', before: 'Hello v1', after: 'Hello v2' }],
      },
    ],
  },
  edges: { added: [{ from: { node: 'fields', port: 'main' }, to: { node: 'limit', port: 'main' } }], removed: [] },
  settings: [{ path: '$.settings.timeoutMs', kind: 'added', after: 30000 }],
  annotations: [],
  summary: { nodesAdded: 1, nodesRemoved: 0, nodesChanged: 1, edgesAdded: 1, edgesRemoved: 0, settingsChanged: 1, annotationsChanged: 0 },
};

describe('StructuralDiff', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  it('lists the changed parameter', () => {
    component = mount(StructuralDiff, { target: document.body, props: { diff } });

    const changes = document.querySelector('[aria-label="Changes of node Set greeting"]');
    expect(changes?.textContent).toContain('$.parameters.fields[0].value');
    expect(changes?.querySelector('.before')?.textContent).toBe('"Hello v1"');
    expect(changes?.querySelector('.after')?.textContent).toBe('"Hello v2"');
  });

  it('lists added nodes, edges and settings', () => {
    component = mount(StructuralDiff, { target: document.body, props: { diff } });

    const text = document.body.textContent ?? '';
    expect(text).toContain('Nodes added');
    expect(text).toContain('mify.data.limit');
    expect(text).toContain('fields.main → limit.main');
    expect(text).toContain('$.settings.timeoutMs');
  });

  it('says when nothing differs', () => {
    const same: GraphDiff = { ...diff, nodes: { added: [], removed: [], changed: [] }, edges: { added: [], removed: [] }, settings: [], annotations: [] };

    component = mount(StructuralDiff, { target: document.body, props: { diff: same } });

    expect(document.body.textContent).toContain('The two definitions are the same.');
  });
});

describe('LineDiff', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  const node = (value: string) => ({ id: 'fields', type: 'mify.data.edit-fields', parameters: { fields: [{ name: 'greeting', value }] } });
  const graph = (value: string) => ({ nodes: [node(value), ...Array.from({ length: 10 }, (_, index) => ({ id: `n${index}`, type: 'mify.data.limit', parameters: { max: index } }))], edges: [] });

  it('marks removed and added lines', () => {
    component = mount(LineDiff, { target: document.body, props: { before: prettyJson(graph('Hello v1')), after: prettyJson(graph('Hello v2')), beforeLabel: 'v1', afterLabel: 'v2' } });

    const removed = [...document.querySelectorAll('tr.removed')].map((row) => row.textContent ?? '');
    const added = [...document.querySelectorAll('tr.added')].map((row) => row.textContent ?? '');
    expect(removed).toHaveLength(1);
    expect(removed[0]).toContain('"value": "Hello v1"');
    expect(added).toHaveLength(1);
    expect(added[0]).toContain('"value": "Hello v2"');
    expect(document.querySelector('.summary')?.textContent).toContain('+1');
  });

  it('expands collapsed lines on request', () => {
    component = mount(LineDiff, { target: document.body, props: { before: prettyJson(graph('a')), after: prettyJson(graph('b')), beforeLabel: 'v1', afterLabel: 'v2' } });
    const rowsBefore = document.querySelectorAll('tbody tr').length;
    const expand = [...document.querySelectorAll('button')].find((button) => button.textContent?.includes('show all'));
    expect(expand).toBeDefined();

    expand!.click();
    flushSync();

    expect(document.querySelectorAll('tr.collapsed')).toHaveLength(0);
    expect(document.querySelectorAll('tbody tr').length).toBeGreaterThan(rowsBefore);
  });
});
