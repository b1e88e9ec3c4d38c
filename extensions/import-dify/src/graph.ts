/**
 * Builds the MIFY graph of a Dify workflow: nodes with their titles and positions, notes,
 * iteration containers as loop nodes, and edges by Dify source handle.
 */
import { ImportGraphBuilder, isObject, type ImportedGraph } from '@mify/sdk';
import { References, type DifyApp, type DifyNode } from './dsl.js';
import { mapNode, type DifyMapping } from './nodes.js';

function titleOf(node: DifyNode): string {
  return String(node.data.title ?? node.data.type ?? node.id);
}

/** Absolute canvas position: Dify stores the positions of iteration children relative to the container. */
function positionOf(node: DifyNode, byId: Map<string, DifyNode>): { x: number; y: number } {
  const own = { x: Number(node.position?.x ?? 0), y: Number(node.position?.y ?? 0) };
  const parent = node.parentId ? byId.get(node.parentId) : undefined;
  if (!parent) return own;
  const base = positionOf(parent, byId);
  return { x: base.x + own.x, y: base.y + own.y };
}

export function convertApp(app: DifyApp): ImportedGraph {
  const builder = new ImportGraphBuilder('dify', `Dify DSL ${app.version} (${app.mode} app)`, app.version);
  const byId = new Map(app.nodes.map((node) => [node.id, node]));
  const workflowNodes = app.nodes.filter((node) => node.type !== 'custom-note' && node.data.type !== 'iteration-start' && node.data.type !== 'loop-start');
  // Dify titles may repeat, but MIFY names are unique and expressions refer to them, so the
  // unique names are fixed before any reference is rewritten.
  const titles = new Map<string, string>();
  const used = new Set<string>();
  for (const node of workflowNodes) {
    let name = titleOf(node).trim().slice(0, 190) || node.id;
    for (let suffix = 2; used.has(name); suffix++) name = `${titleOf(node).trim().slice(0, 190)} ${suffix}`;
    used.add(name);
    titles.set(node.id, name);
  }
  const start = workflowNodes.find((node) => node.data.type === 'start');
  const iterations = new Set(workflowNodes.filter((node) => node.data.type === 'iteration').map((node) => node.id));
  const refs = new References(titles, start ? titles.get(start.id)! : null, iterations);
  const mappings = new Map<string, DifyMapping>();

  for (const variable of app.environmentVariables) {
    if (typeof variable.name === 'string') builder.variables[variable.name] = variable.value_type === 'secret' ? '' : (variable.value ?? '');
  }

  for (const node of app.nodes) {
    if (node.type === 'custom-note') {
      builder.addStickyNote({ id: node.id, content: String(node.data.text ?? ''), position: positionOf(node, byId), ...(node.width && node.height ? { size: { width: node.width, height: node.height } } : {}) });
      continue;
    }
    if (node.data.type === 'iteration-start' || node.data.type === 'loop-start') continue;

    const mapping = mapNode(node, refs);
    mappings.set(node.id, mapping);
    builder.addNode({
      source: { id: node.id, name: titleOf(node), type: String(node.data.type), typeVersion: typeof node.data.version === 'string' ? node.data.version : null },
      name: titles.get(node.id)!,
      type: mapping.type,
      parameters: mapping.parameters,
      position: positionOf(node, byId),
      status: mapping.status,
      notes: mapping.notes,
      flags: mapping.flags ?? [],
      ...(typeof node.data.desc === 'string' && node.data.desc !== '' ? { description: node.data.desc } : {}),
    });
    if (node.data.type === 'start') startNote(builder, node);
    if (node.data.type === 'iteration') iterationItems(builder, node, refs);
  }

  connectEdges(builder, app, byId, mappings);
  return builder.build(app.name, app.description);
}

function startNote(builder: ImportGraphBuilder, node: DifyNode): void {
  const variables = (Array.isArray(node.data.variables) ? node.data.variables : []).filter(isObject).map((variable) => String(variable.variable));
  if (variables.length === 0) return;
  const entry = builder.entryFor(node.id);
  entry?.notes.push(`Start runs with items holding the fields ${variables.join(', ')} (Dify's input variables).`);
}

/** Puts the array the iteration runs over into items before the loop node: set it, then split it. */
function iterationItems(builder: ImportGraphBuilder, node: DifyNode, refs: References): void {
  const loop = builder.nodeFor(node.id)!;
  const source = refs.expression(node.data.iterator_selector) ?? '[]';
  builder.addHelperNode(node.id, 'items', { type: 'mify.data.edit-fields', typeVersion: 1, name: `${loop.name} items`, parameters: { operations: [{ op: 'set', path: 'items', value: `{{ ${source} }}`, type: 'auto' }, { op: 'keepOnly', paths: ['items'] }] }, position: { x: loop.position.x - 400, y: loop.position.y } }, 'The array the iteration runs over is put into items by the two nodes before the loop (set, then split).');
  builder.addHelperNode(node.id, 'split', { type: 'mify.data.split-out', typeVersion: 1, name: `${loop.name} split`, parameters: { field: 'items', outputField: 'item' }, position: { x: loop.position.x - 200, y: loop.position.y } }, 'Each element is the item field "item" in the loop body.');
  builder.connect(`${node.id}#items`, 'main', `${node.id}#split`, 'main');
  builder.connect(`${node.id}#split`, 'main', node.id, 'main');
}

function connectEdges(builder: ImportGraphBuilder, app: DifyApp, byId: Map<string, DifyNode>, mappings: Map<string, DifyMapping>): void {
  const outgoingInside = new Set<string>();
  for (const edge of app.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) {
      builder.warnings.push(`Edge from '${edge.source}' to '${edge.target}' was dropped: ${source ? 'its target' : 'its source'} is not a node of the file.`);
      continue;
    }

    if (source.data.type === 'iteration-start' || source.data.type === 'loop-start') {
      // The body starts at the loop node's loop port.
      if (source.parentId) builder.connect(source.parentId, 'loop', target.id, 'main');
      continue;
    }
    const mapping = mappings.get(source.id);
    if (!mapping) continue;
    const handle = edge.sourceHandle ?? 'source';
    const port = mapping.outputs[handle] ?? mapping.outputs['*'];
    if (!port) {
      builder.warnings.push(`Edge from '${titleOf(source)}' handle '${handle}' to '${titleOf(target)}' was dropped: the MIFY node has no matching output.`);
      continue;
    }
    if (target.data.type === 'iteration' && mappings.get(target.id)?.type === 'mify.control.loop-map') {
      builder.connect(source.id, port, `${target.id}#items`, 'main');
      continue;
    }
    builder.connect(source.id, port, target.id, 'main');
    if (source.parentId && source.parentId === target.parentId) outgoingInside.add(source.id);
  }

  // Body nodes with no edge to another body node end an iteration: their items go back to the loop.
  for (const node of app.nodes) {
    const parent = node.parentId ? byId.get(node.parentId) : undefined;
    if (!parent || parent.data.type !== 'iteration' || outgoingInside.has(node.id) || node.data.type === 'iteration-start' || node.type === 'custom-note') continue;
    builder.connect(node.id, 'main', parent.id, 'main');
  }
}
