/**
 * Writes a MIFY graph as an n8n workflow. Only node types with an exact n8n counterpart are
 * written, in the form the importer reads back into the same MIFY node, so an export
 * imported again gives an equal graph. Any other node rejects the export and is named.
 */
import type { ExportInput, ExportOutput, ImportedNode } from '@mify/sdk';
import { toN8nFilter } from './conditions.js';
import { ALL_ITEMS_PRELUDE, EACH_ITEM_PRELUDE } from './map-core.js';

interface N8nOut {
  type: string;
  typeVersion: number;
  parameters: Record<string, unknown>;
  /** n8n output index per MIFY output port. */
  outputs: Record<string, number>;
  /** n8n input index per MIFY input port. */
  inputs: Record<string, number>;
}

const MAIN_OUT = { main: 0 };
const MAIN_IN = { main: 0 };

/** Returns the n8n node for a MIFY node, or why there is none. */
function toN8n(node: ImportedNode): N8nOut | string {
  const p = node.parameters;
  const keys = Object.keys(p);
  const only = (...allowed: string[]) => keys.filter((key) => !allowed.includes(key));

  switch (node.type) {
    case 'mify.control.manual-trigger':
      return { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, outputs: MAIN_OUT, inputs: {} };
    case 'mify.control.no-op':
      return { type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {}, outputs: MAIN_OUT, inputs: MAIN_IN };
    case 'mify.control.route-if': {
      if (only('conditions', 'combinator', 'looseTypes').length > 0) return `parameters ${only('conditions', 'combinator', 'looseTypes').join(', ')} have no n8n counterpart`;
      const filter = toN8nFilter(p.conditions, p.combinator, p.looseTypes);
      if (typeof filter === 'string') return filter;
      return { type: 'n8n-nodes-base.if', typeVersion: 2.2, parameters: { conditions: filter, ...(p.looseTypes === true ? { looseTypeValidation: true } : {}), options: {} }, outputs: { true: 0, false: 1 }, inputs: MAIN_IN };
    }
    case 'mify.data.edit-fields':
      return editFields(p);
    case 'mify.data.code': {
      if (only('code', 'mode').length > 0) return `parameters ${only('code', 'mode').join(', ')} have no n8n counterpart`;
      const eachItem = p.mode === 'eachItem';
      const prelude = eachItem ? EACH_ITEM_PRELUDE : ALL_ITEMS_PRELUDE;
      const source = String(p.code ?? '');
      const jsCode = source.startsWith(prelude) ? source.slice(prelude.length) : source;
      if (!source.startsWith(prelude) && jsCode.includes('$input')) return 'its code uses $input, which it does not define';
      return { type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { ...(eachItem ? { mode: 'runOnceForEachItem' } : {}), jsCode }, outputs: MAIN_OUT, inputs: MAIN_IN };
    }
    case 'mify.control.loop-map':
      if (p.doneOutput === 'inputs') return 'doneOutput "inputs" has no n8n counterpart';
      return { type: 'n8n-nodes-base.splitInBatches', typeVersion: 3, parameters: { ...(typeof p.batchSize === 'number' ? { batchSize: p.batchSize } : {}), options: {} }, outputs: { done: 0, loop: 1 }, inputs: MAIN_IN };
    case 'mify.control.wait':
      if (p.mode === 'until') return { type: 'n8n-nodes-base.wait', typeVersion: 1.1, parameters: { resume: 'specificTime', dateTime: p.until ?? '' }, outputs: MAIN_OUT, inputs: MAIN_IN };
      return { type: 'n8n-nodes-base.wait', typeVersion: 1.1, parameters: { amount: p.amount ?? 5, unit: p.unit ?? 'seconds' }, outputs: MAIN_OUT, inputs: MAIN_IN };
    case 'mify.control.merge':
      return mergeNode(p);
    case 'mify.control.sub-workflow':
      if (p.version !== undefined && p.version !== 'live') return 'version other than live has no n8n counterpart';
      return { type: 'n8n-nodes-base.executeWorkflow', typeVersion: 1.2, parameters: { workflowId: { __rl: true, value: p.graphId, mode: 'id' }, options: {} }, outputs: MAIN_OUT, inputs: MAIN_IN };
    default:
      return `type ${node.type} has no n8n counterpart that imports back unchanged`;
  }
}

function editFields(p: Record<string, unknown>): N8nOut | string {
  const operations = Array.isArray(p.operations) ? (p.operations as Array<Record<string, unknown>>) : [];
  const sets = operations.filter((operation) => operation.op === 'set');
  const last = operations[operations.length - 1];
  const keepOnly = last?.op === 'keepOnly' ? last : undefined;
  const rest = operations.filter((operation) => operation !== keepOnly && operation.op !== 'set');
  if (rest.length > 0) return `operations ${[...new Set(rest.map((operation) => operation.op))].join(', ')} have no n8n Edit Fields counterpart`;
  const paths = sets.map((operation) => String(operation.path));
  if (keepOnly && JSON.stringify(keepOnly.paths) !== JSON.stringify(paths)) return 'it keeps fields other than the ones it sets';

  const types: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean', json: 'object', auto: 'object' };
  const assignments = [];
  for (const [index, operation] of sets.entries()) {
    const type = types[String(operation.type ?? 'auto')];
    if (!type || (operation.type === 'json' && (typeof operation.value !== 'string' || operation.value.startsWith('=')))) return `set operation ${index + 1} has type ${String(operation.type)}, which does not import back unchanged`;
    if (operation.type === 'auto' && (typeof operation.value !== 'string' || !operation.value.startsWith('='))) return `set operation ${index + 1} has type auto with a literal value, which n8n reads as a fixed type`;
    assignments.push({ id: `assignment-${index + 1}`, name: operation.path, value: operation.value, type });
  }
  return { type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { assignments: { assignments }, ...(keepOnly ? {} : { includeOtherFields: true }), options: {} }, outputs: MAIN_OUT, inputs: MAIN_IN };
}

function mergeNode(p: Record<string, unknown>): N8nOut | string {
  const inputs = { input1: 0, input2: 1 };
  const mode = p.mode ?? 'append';
  if (mode === 'append' && Object.keys(p).every((key) => key === 'mode')) return { type: 'n8n-nodes-base.merge', typeVersion: 3, parameters: {}, outputs: MAIN_OUT, inputs };
  if (mode === 'combineByPosition') return { type: 'n8n-nodes-base.merge', typeVersion: 3, parameters: { mode: 'combine', combineBy: 'combineByPosition', options: p.includeUnpaired === true ? { includeUnpaired: true } : {} }, outputs: MAIN_OUT, inputs };
  if (mode === 'combineByKey' && p.looseKeys === undefined && p.prefer === undefined) {
    const joinModes: Record<string, string> = { inner: 'keepMatches', outer: 'keepEverything', left: 'enrichInput1' };
    return {
      type: 'n8n-nodes-base.merge',
      typeVersion: 3,
      parameters: { mode: 'combine', advanced: true, mergeByFields: { values: [{ field1: p.key1, field2: p.key2 ?? p.key1 }] }, joinMode: joinModes[String(p.join ?? 'inner')], options: {} },
      outputs: MAIN_OUT,
      inputs,
    };
  }
  return `merge mode ${String(mode)} with these parameters has no n8n counterpart that imports back unchanged`;
}

/** Writes the graph as an n8n workflow file, or rejects it naming every node n8n cannot express. */
export function exportWorkflow(input: ExportInput): ExportOutput {
  const problems: string[] = [];
  const converted = new Map<string, N8nOut>();
  for (const node of input.definition.nodes) {
    const result = toN8n(node);
    if (typeof result === 'string') problems.push(`'${node.name}' (${result})`);
    else converted.set(node.id, result);
  }
  if (problems.length > 0) {
    return { error: { code: 'not_exportable', message: `The graph cannot be exported to n8n because these nodes have no exact n8n counterpart: ${problems.join('; ')}. Replace them, or export a graph made only of mapped nodes.` } };
  }

  const byId = new Map(input.definition.nodes.map((node) => [node.id, node]));
  const nodes = input.definition.nodes.map((node) => {
    const out = converted.get(node.id)!;
    return { parameters: out.parameters, id: node.id, name: node.name, type: out.type, typeVersion: out.typeVersion, position: [node.position.x, node.position.y], ...(node.disabled ? { disabled: true } : {}) };
  });

  const connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> = {};
  for (const edge of input.definition.edges) {
    const from = byId.get(edge.from.node);
    const to = byId.get(edge.to.node);
    if (!from || !to) continue;
    const outputIndex = converted.get(from.id)!.outputs[edge.from.port];
    const inputIndex = converted.get(to.id)!.inputs[edge.to.port];
    if (outputIndex === undefined || inputIndex === undefined) {
      return { error: { code: 'not_exportable', message: `The edge from '${from.name}' port ${edge.from.port} to '${to.name}' port ${edge.to.port} has no n8n counterpart.` } };
    }
    const main = (connections[from.name] ??= { main: [] }).main;
    while (main.length <= outputIndex) main.push([]);
    main[outputIndex]!.push({ node: to.name, type: 'main', index: inputIndex });
  }

  const stickyNotes = (input.definition.stickyNotes ?? []).map((note) => ({
    parameters: { content: note.content, ...(note.size ? { width: note.size.width, height: note.size.height } : {}), ...(note.color !== undefined ? { color: note.color } : {}) },
    id: note.id,
    name: `Sticky Note ${note.id}`,
    type: 'n8n-nodes-base.stickyNote',
    typeVersion: 1,
    position: [note.position.x, note.position.y],
  }));

  const workflow = { name: input.name, nodes: [...nodes, ...stickyNotes], connections, settings: { executionOrder: 'v1' }, pinData: {} };
  const fileName = `${input.name.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'workflow'}.n8n.json`;
  return { fileName, mediaType: 'application/json', content: `${JSON.stringify(workflow, null, 2)}\n` };
}
