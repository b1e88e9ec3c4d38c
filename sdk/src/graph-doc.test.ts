import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docHasGraph, GRAPH_DOC_ROOT, readGraphFromDoc, writeGraphToDoc, type GraphJson } from './graph-doc.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tests/fixtures/graphs');
const fixtureFiles = fs.readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
const fixture = (file: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as GraphJson;

/** Two documents that exchange every update, like two browsers on one collaboration server. */
function pair(graph: GraphJson): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  writeGraphToDoc(a, graph);
  const b = new Y.Doc();
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  return [a, b];
}

/** Exchanges the updates each side has that the other lacks. */
function sync(a: Y.Doc, b: Y.Doc): void {
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, toB);
  Y.applyUpdate(a, toA);
}

function nodeMap(doc: Y.Doc, id: string): Y.Map<unknown> {
  return (doc.getMap(GRAPH_DOC_ROOT).get('nodes') as Y.Map<Y.Map<unknown>>).get(id)!;
}

describe('graph document round trip', () => {
  it.each(fixtureFiles)('%s comes back equal', (file) => {
    const graph = fixture(file);
    const doc = new Y.Doc();
    writeGraphToDoc(doc, graph);

    expect(readGraphFromDoc(doc)).toEqual(graph);
  });

  it.each(fixtureFiles)('%s survives encoding to another document', (file) => {
    const graph = fixture(file);
    const [, copy] = pair(graph);

    expect(readGraphFromDoc(copy)).toEqual(graph);
  });

  it('keeps unknown top-level and node fields', () => {
    const graph: GraphJson = { nodes: [{ id: 'a', type: 't', futureField: { nested: [1, 2] } }], edges: [], layoutHint: 'lr' };
    const doc = new Y.Doc();
    writeGraphToDoc(doc, graph);

    expect(readGraphFromDoc(doc)).toEqual(graph);
  });

  it('keeps node order', () => {
    const graph: GraphJson = { nodes: ['z', 'a', 'm'].map((id) => ({ id, type: 't' })), edges: [] };
    const doc = new Y.Doc();
    writeGraphToDoc(doc, graph);

    expect(readGraphFromDoc(doc).nodes.map((node) => node.id)).toEqual(['z', 'a', 'm']);
  });

  it('reports an empty document', () => {
    expect(docHasGraph(new Y.Doc())).toBe(false);
  });

  it('refuses a newer layout', () => {
    const doc = new Y.Doc();
    doc.getMap(GRAPH_DOC_ROOT).set('format', 99);

    expect(() => readGraphFromDoc(doc)).toThrow(/layout 99.*upgrade MIFY/);
  });
});

describe('writing a changed graph', () => {
  it('changes only the edited parameter', () => {
    const graph = fixture('order-routing.json');
    const doc = new Y.Doc();
    writeGraphToDoc(doc, graph);
    const parameters = nodeMap(doc, 'merge').get('parameters') as Y.Map<unknown>;
    const changedKeys: string[] = [];
    parameters.observe((event) => changedKeys.push(...event.keysChanged));
    const edited = structuredClone(graph);
    edited.nodes[4]!.parameters = { mode: 'wait-all' };

    writeGraphToDoc(doc, edited);

    expect(changedKeys).toEqual(['mode']);
    expect(readGraphFromDoc(doc)).toEqual(edited);
  });

  it('removes deleted nodes, edges and notes', () => {
    const graph = fixture('order-routing.json');
    const doc = new Y.Doc();
    writeGraphToDoc(doc, graph);
    const edited = structuredClone(graph);
    edited.nodes = edited.nodes.filter((node) => node.id !== 'tag-small');
    edited.edges = edited.edges.slice(0, 2);
    edited.stickyNotes = [];
    delete edited.pinnedData;

    writeGraphToDoc(doc, edited);

    expect(readGraphFromDoc(doc)).toEqual(edited);
  });
});

describe('concurrent edits', () => {
  it('keeps edits of different parameters of one node', () => {
    const [a, b] = pair(fixture('rag-answer.json'));
    (nodeMap(a, 'answer').get('parameters') as Y.Map<unknown>).set('temperature', 0.7);
    (nodeMap(b, 'answer').get('parameters') as Y.Map<unknown>).set('model', 'gpt-4.1');

    sync(a, b);

    const parameters = readGraphFromDoc(a).nodes.find((node) => node.id === 'answer')!.parameters!;
    expect(parameters).toMatchObject({ temperature: 0.7, model: 'gpt-4.1', citations: true });
    expect(readGraphFromDoc(b)).toEqual(readGraphFromDoc(a));
  });

  it('keeps nodes added on both sides', () => {
    const graph = fixture('rag-answer.json');
    const [a, b] = pair(graph);
    const addNode = (doc: Y.Doc, id: string) => {
      const current = readGraphFromDoc(doc);
      writeGraphToDoc(doc, { ...current, nodes: [...current.nodes, { id, type: 'mify.data.json', typeVersion: 1, name: id, parameters: {}, position: { x: 0, y: 200 } }] });
    };
    addNode(a, 'from-a');
    addNode(b, 'from-b');

    sync(a, b);

    const ids = readGraphFromDoc(a).nodes.map((node) => node.id);
    expect(ids.slice(0, 3)).toEqual(['trigger', 'retrieve', 'answer']);
    expect(ids.slice(3).sort()).toEqual(['from-a', 'from-b']);
    expect(readGraphFromDoc(b)).toEqual(readGraphFromDoc(a));
  });

  it('converges when one side moves a node the other deletes', () => {
    const graph = fixture('rag-answer.json');
    const [a, b] = pair(graph);
    nodeMap(a, 'retrieve').set('position', { x: 999, y: 1 });
    const current = readGraphFromDoc(b);
    writeGraphToDoc(b, { ...current, nodes: current.nodes.filter((node) => node.id !== 'retrieve') });

    sync(a, b);

    expect(readGraphFromDoc(a).nodes.map((node) => node.id)).toEqual(['trigger', 'answer']);
    expect(readGraphFromDoc(b)).toEqual(readGraphFromDoc(a));
  });
});
