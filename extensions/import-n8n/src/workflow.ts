/**
 * Reads an n8n workflow export and builds the MIFY graph and report: checks the file, maps
 * every node, folds AI sub-nodes into their root node, and rewires the connections to MIFY
 * ports.
 */
import {
  assertPlatform,
  ImportFileError,
  ImportGraphBuilder,
  isObject,
  opaqueNodeType,
  opaquePort,
  parseJsonFile,
  type ImportedGraph,
  type ImportedNode,
  type ImportInput,
} from '@mify/sdk';
import { agent, chainLlm, chatModel, isChatModel } from './map-ai.js';
import * as core from './map-core.js';
import { httpRequest, respondToWebhook, webhook } from './map-io.js';
import { record, shortType, type MapContext, type Mapper, type N8nNode, type N8nWorkflow, type NodeMapping } from './model.js';

/** Mappers by n8n node type without its package prefix. */
const MAPPERS: Record<string, Mapper> = {
  manualTrigger: core.manualTrigger,
  executeWorkflowTrigger: core.executeWorkflowTrigger,
  chatTrigger: core.chatTrigger,
  scheduleTrigger: core.scheduleTrigger,
  cron: core.cronTrigger,
  webhook,
  respondToWebhook,
  httpRequest,
  set: core.setNode,
  if: core.ifNode,
  filter: core.filterNode,
  switch: core.switchNode,
  merge: core.merge,
  splitInBatches: core.splitInBatches,
  code: core.code,
  function: core.code,
  functionItem: core.code,
  wait: core.wait,
  executeWorkflow: core.executeWorkflow,
  noOp: core.noOp,
  agent,
  chainLlm,
};

/** Root nodes that absorb the sub-nodes connected to them through `ai_*` connections. */
const AI_ROOTS = new Set(['agent', 'chainLlm']);

/** n8n expression features MIFY's evaluator does not provide, with what to do instead. */
const UNSUPPORTED_EXPRESSIONS: Array<[RegExp, string]> = [
  [/\$(execution|workflow|prevNode|runIndex|position|parameter|resumeWebhookUrl)\b/, 'n8n execution variables ($execution, $workflow, $prevNode, $runIndex, …)'],
  [/\$env\b/, '$env (use graph variables, $vars, instead)'],
  [/\$(now|today)\.\w+\(|DateTime\.|\.toDateTime\(/, 'Luxon date methods ($now and $today are ISO strings in MIFY)'],
  [/\$items\(|\$fromAI\(|\$evaluateExpression\(|\$jmespath\(/, 'n8n helper functions ($items, $fromAI, $jmespath, …)'],
];

function expressionNotes(parameters: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string') {
      if (!value.includes('{{')) return;
      for (const [pattern, label] of UNSUPPORTED_EXPRESSIONS) if (pattern.test(value)) found.add(label);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  visit(parameters);
  return [...found].map((label) => `Expressions use ${label}, which MIFY does not provide.`);
}

/** Checks the parsed file and returns its workflows. */
export function readWorkflows(input: ImportInput): N8nWorkflow[] {
  const file = parseJsonFile(input, 'n8n');
  assertPlatform(file, 'n8n', input.fileName);
  const candidates = Array.isArray(file) ? file : [file];
  if (candidates.length === 0) throw new ImportFileError('empty_workflow', `File '${input.fileName}' is an empty list; it contains no n8n workflow.`);

  return candidates.map((candidate, index) => {
    const where = Array.isArray(file) ? ` (entry ${index})` : '';
    if (!isObject(candidate)) throw new ImportFileError('invalid_file', `File '${input.fileName}'${where} is not an n8n workflow: expected a JSON object with "nodes" and "connections".`);
    if (!Array.isArray(candidate.nodes)) {
      const keys = Object.keys(candidate).slice(0, 5).map((key) => `"${key}"`).join(', ');
      throw new ImportFileError('invalid_file', `File '${input.fileName}'${where} is not an n8n workflow: it has no "nodes" list (its fields are ${keys || 'none'}). Export the workflow from n8n with Download, or copy all its nodes.`);
    }
    if (candidate.connections !== undefined && !isObject(candidate.connections)) {
      throw new ImportFileError('invalid_file', `File '${input.fileName}'${where} has "connections" that is not an object keyed by node name.`);
    }
    candidate.nodes.forEach((node, nodeIndex) => {
      if (!isObject(node) || typeof node.name !== 'string' || typeof node.type !== 'string') {
        throw new ImportFileError('invalid_file', `File '${input.fileName}'${where}: node ${nodeIndex} has no "name" and "type"; the file is not a complete n8n export.`);
      }
    });
    if (candidate.nodes.length === 0) throw new ImportFileError('empty_workflow', `File '${input.fileName}'${where} is an n8n workflow without nodes; there is nothing to import.`);
    return { ...candidate, connections: (candidate.connections ?? {}) as N8nWorkflow['connections'], nodes: candidate.nodes.map(normalizeNode) } as N8nWorkflow;
  });
}

function normalizeNode(raw: unknown, index: number): N8nNode {
  const node = raw as Record<string, unknown>;
  const position = Array.isArray(node.position) ? node.position : [0, 0];
  return {
    ...(node as unknown as N8nNode),
    id: typeof node.id === 'string' && node.id !== '' ? node.id : `node-${index + 1}`,
    typeVersion: typeof node.typeVersion === 'number' ? node.typeVersion : 1,
    position: [Number(position[0]) || 0, Number(position[1]) || 0],
    parameters: record(node.parameters),
  };
}

/** Sub-nodes connected to each root through `ai_*` connections: root name → connection type → sub-nodes. */
function collectSubNodes(workflow: N8nWorkflow, byName: Map<string, N8nNode>): Map<string, Map<string, N8nNode[]>> {
  const result = new Map<string, Map<string, N8nNode[]>>();
  for (const [sourceName, byType] of Object.entries(workflow.connections)) {
    const source = byName.get(sourceName);
    if (!source || !isObject(byType)) continue;
    for (const [type, outputs] of Object.entries(byType)) {
      if (type === 'main' || !Array.isArray(outputs)) continue;
      for (const targets of outputs) {
        for (const target of targets ?? []) {
          const perRoot = result.get(target.node) ?? new Map<string, N8nNode[]>();
          perRoot.set(type, [...(perRoot.get(type) ?? []), source]);
          result.set(target.node, perRoot);
        }
      }
    }
  }
  return result;
}

function opaqueMapping(node: N8nNode, reason: string, flags: NodeMapping['flags'] = ['needs-platform']): NodeMapping {
  const credentials = Object.fromEntries(Object.entries(node.credentials ?? {}).map(([type, value]) => [type, record(value).name ?? null]));
  return {
    type: opaqueNodeType('n8n'),
    parameters: { platformType: node.type, platformTypeVersion: String(node.typeVersion), original: { parameters: node.parameters, credentials } },
    status: 'opaque',
    notes: [reason, 'Set the node\'s webhookUrl to an n8n webhook that runs this node, or replace the node.'],
    flags,
    outputs: Array.from({ length: 8 }, (_, index) => opaquePort('output', index)!),
    inputs: Array.from({ length: 4 }, (_, index) => opaquePort('input', index)!),
  };
}

function settingsOf(node: N8nNode, mapping: NodeMapping): ImportedNode['settings'] {
  const settings: NonNullable<ImportedNode['settings']> = {};
  if (node.retryOnFail === true) settings.retry = { maxAttempts: Math.max(1, Math.min(20, Number(node.maxTries ?? 3))), backoffMs: Math.max(0, Number(node.waitBetweenTries ?? 1000)) };
  if (node.onError === 'continueRegularOutput' || node.continueOnFail === true) settings.onError = 'continue';
  if (node.onError === 'continueErrorOutput') settings.onError = 'errorOutput';
  if (node.alwaysOutputData === true) mapping.notes.push('"Always output data" is not carried over: MIFY passes no item on when the node returns none.');
  return settings;
}

/** Maps one n8n workflow to a MIFY graph with its report. */
export function convertWorkflow(workflow: N8nWorkflow, fileName: string): ImportedGraph {
  const builder = new ImportGraphBuilder('n8n', 'n8n workflow', null);
  const byName = new Map(workflow.nodes.map((node) => [node.name, node]));
  const subNodes = collectSubNodes(workflow, byName);
  const settings = record(workflow.settings);
  const mappings = new Map<string, NodeMapping>();
  const absorbed = new Set<string>();

  for (const [rootName, perType] of subNodes) {
    const root = byName.get(rootName);
    if (root && AI_ROOTS.has(shortType(root.type))) for (const nodes of perType.values()) for (const node of nodes) absorbed.add(node.name);
  }

  for (const node of workflow.nodes) {
    const short = shortType(node.type);
    if (short === 'stickyNote') {
      const p = node.parameters;
      builder.addStickyNote({ id: node.id, content: String(p.content ?? ''), position: { x: node.position[0], y: node.position[1] }, size: { width: Number(p.width ?? 240), height: Number(p.height ?? 160) }, ...(p.color !== undefined ? { color: String(p.color) } : {}) });
      continue;
    }
    if (absorbed.has(node.name)) continue;

    const context: MapContext = { subNodes: subNodes.get(node.name) ?? new Map(), settings };
    const mapper = MAPPERS[short] ?? (isChatModel(node.type) ? chatModel : undefined);
    let mapping = mapper ? mapper(node, context) : opaqueMapping(node, `n8n node type ${node.type} (version ${node.typeVersion}) has no MIFY counterpart.`);
    if (mapping.type === 'opaque') mapping = { ...opaqueMapping(node, mapping.notes[0] ?? 'No MIFY counterpart.', mapping.flags), notes: mapping.notes };
    if (mapping.status !== 'opaque') mapping.notes.push(...expressionNotes(node.parameters));
    const nodeSettings = settingsOf(node, mapping);
    if (mapping.notes.length > 0 && mapping.status === 'mapped') mapping.status = 'approximated';
    mappings.set(node.name, mapping);

    const added = builder.addNode({
      source: { id: node.id, name: node.name, type: node.type, typeVersion: node.typeVersion },
      type: mapping.type,
      parameters: mapping.parameters,
      position: { x: node.position[0], y: node.position[1] },
      status: mapping.status,
      notes: mapping.notes,
      flags: mapping.flags ?? [],
      ...(node.disabled ? { disabled: true } : {}),
      ...(typeof node.notes === 'string' && node.notes !== '' ? { description: node.notes } : {}),
      ...(nodeSettings && Object.keys(nodeSettings).length > 0 ? { settings: nodeSettings } : {}),
    });
    bindCredentials(builder, node, added, mapping);
    for (const hint of mapping.scheduleHints ?? []) builder.scheduleHints.push(hint);
    absorbSubNodes(builder, node, added, context);
  }

  connect(builder, workflow, byName, mappings);
  carryPinnedData(builder, workflow, byName);
  if (settings.executionOrder !== 'v1') builder.warnings.push('The workflow uses n8n\'s legacy execution order (v0); MIFY runs nodes in dataflow order, like n8n\'s v1.');
  if (typeof settings.errorWorkflow === 'string' && settings.errorWorkflow !== '') builder.warnings.push(`The error workflow ${settings.errorWorkflow} is not carried over.`);

  const name = typeof workflow.name === 'string' && workflow.name.trim() !== '' ? workflow.name : fileName.replace(/\.json$/i, '');
  return builder.build(name);
}

function bindCredentials(builder: ImportGraphBuilder, node: N8nNode, added: ImportedNode, mapping: NodeMapping): void {
  const entries = Object.entries((mapping.credentialNode ?? node).credentials ?? {});
  if (mapping.credential) {
    const slot = mapping.credential;
    const match = entries.find(([type]) => slot.from?.includes(type)) ?? entries[0];
    if (match || !slot.from) {
      builder.addCredential(added, { parameter: slot.parameter, platformType: match?.[0] ?? slot.from?.[0] ?? 'unknown', platformName: match ? String(record(match[1]).name ?? '') || null : null, suggestedTypes: slot.suggestedTypes });
    }
    return;
  }
  if (entries.length > 0 && mapping.status !== 'opaque') builder.approximate(node.id, `n8n credentials ${entries.map(([type]) => type).join(', ')} are not used by the MIFY node.`);
}

/** Records the sub-nodes a root absorbed; tools become disabled opaque nodes so their settings stay visible. */
function absorbSubNodes(builder: ImportGraphBuilder, root: N8nNode, added: ImportedNode, context: MapContext): void {
  for (const [type, nodes] of context.subNodes) {
    for (const node of nodes) {
      const source = { id: node.id, name: node.name, type: node.type, typeVersion: node.typeVersion };
      if (type === 'ai_languageModel' && isChatModel(node.type)) {
        builder.addAbsorbed(source, 'mapped', [`Became the provider, model and credential of '${added.name}'.`], root.id);
      } else if (type === 'ai_tool') {
        const mapping = opaqueMapping(node, `Agent tool ${node.type} is not called by MIFY's chat node.`);
        builder.addNode({ source, type: mapping.type, parameters: mapping.parameters, position: { x: node.position[0], y: node.position[1] }, status: 'opaque', notes: mapping.notes, flags: mapping.flags ?? [], disabled: true });
      } else {
        builder.addAbsorbed(source, 'approximated', [`${type.replace(/^ai_/, '')} sub-node folded into '${added.name}'; see that node's notes.`], root.id);
      }
    }
  }
}

function connect(builder: ImportGraphBuilder, workflow: N8nWorkflow, byName: Map<string, N8nNode>, mappings: Map<string, NodeMapping>): void {
  const incoming = new Map<string, Set<string>>();

  for (const [sourceName, byType] of Object.entries(workflow.connections)) {
    const source = byName.get(sourceName);
    const sourceMapping = mappings.get(sourceName);
    if (!source || !sourceMapping || !isObject(byType)) continue;
    const outputs = Array.isArray(byType.main) ? byType.main : [];

    outputs.forEach((targets, outputIndex) => {
      const errorOutput = source.onError === 'continueErrorOutput' && outputIndex === sourceMapping.outputs.length;
      const fromPort = errorOutput ? 'error' : sourceMapping.outputs[outputIndex];
      for (const target of targets ?? []) {
        const targetNode = byName.get(target.node);
        const targetMapping = mappings.get(target.node);
        const toPort = targetMapping?.inputs[target.index ?? 0];
        if (!targetNode || !targetMapping || !fromPort || !toPort) {
          builder.warnings.push(`The connection from '${sourceName}' output ${outputIndex} to '${target.node}' input ${target.index ?? 0} was dropped: ${!targetNode ? 'the target node is not in the file' : 'the MIFY nodes have no matching port'}.`);
          continue;
        }
        builder.connect(source.id, fromPort, targetNode.id, toPort);
        const key = `${targetNode.id}\u0000${toPort}`;
        incoming.set(key, new Set([...(incoming.get(key) ?? []), `${source.id}:${fromPort}`]));
        if (sourceMapping.fallbackToOutput === outputIndex) builder.connect(source.id, 'fallback', targetNode.id, toPort);
      }
    });
  }

  for (const [key, sources] of incoming) {
    const [targetId] = key.split('\u0000');
    const target = workflow.nodes.find((node) => node.id === targetId);
    if (sources.size > 1 && target && mappings.get(target.name)?.type !== 'mify.control.loop-map') {
      builder.approximate(target.id, `It receives ${sources.size} connections on one input: n8n runs it once per connection that brings data, MIFY once with the items of all of them, in connection order.`);
    }
  }
}

function carryPinnedData(builder: ImportGraphBuilder, workflow: N8nWorkflow, byName: Map<string, N8nNode>): void {
  for (const [name, items] of Object.entries(record(workflow.pinData))) {
    const node = byName.get(name);
    const added = node ? builder.nodeFor(node.id) : undefined;
    if (!added || !Array.isArray(items)) continue;
    builder.pinnedData[added.id] = items.map((item) => {
      const entry = record(item);
      return { json: isObject(entry.json) ? entry.json : entry };
    });
  }
}
