/**
 * Flowise Agentflow v2: nodes that pass data along edges, like MIFY. Iteration containers
 * become loop nodes whose body is the container's children; human input becomes a review gate.
 */
import { htmlToText, ImportGraphBuilder, isObject, nodeFieldExpression, opaqueNodeType, type ImportedGraph, type ImportStatus } from '@mify/sdk';
import type { FlowiseFlow, FlowiseNode } from './file.js';
import { modelSettings } from './models.js';

interface Mapped {
  type: string;
  parameters: Record<string, unknown>;
  status: ImportStatus;
  notes: string[];
  /** Output port per Flowise output index (the number that ends a source handle). */
  outputs: string[];
}

/** Rewrites Flowise variables: `{{ question }}`, `{{ $iteration… }}`, `{{ $flow.state.x }}` and `{{ nodeId }}`. */
function rewrite(text: string, names: Map<string, string>, startName: string | null): string {
  return htmlToText(text).replace(/\{\{\s*([^}]+?)\s*\}\}/g, (match, reference: string) => {
    if (reference === 'question') return startName ? `{{ ${nodeFieldExpression(startName, ['question'])} }}` : '{{ $json.question }}';
    if (reference.startsWith('$iteration')) return `{{ $json.item${reference.slice('$iteration'.length)} }}`;
    if (reference.startsWith('$flow.state.')) return `{{ $vars[${JSON.stringify(reference.slice('$flow.state.'.length))}] }}`;
    const [nodeId, ...rest] = reference.split('.');
    const name = names.get(nodeId!);
    if (name) return `{{ ${nodeFieldExpression(name, rest.length > 0 ? rest : ['response'])} }}`;
    return match;
  });
}

function llmNode(inputs: Record<string, unknown>, prefix: 'llm' | 'agent', rewriteText: (text: string) => string): Mapped {
  const config = isObject(inputs[`${prefix}ModelConfig`]) ? (inputs[`${prefix}ModelConfig`] as Record<string, unknown>) : {};
  const settings = modelSettings(String(inputs[`${prefix}Model`] ?? config[`${prefix}Model`] ?? ''), config);
  const notes = [...settings.notes];
  const parameters: Record<string, unknown> = { ...settings.parameters };
  const messages = Array.isArray(inputs[`${prefix}Messages`]) ? (inputs[`${prefix}Messages`] as unknown[]).filter(isObject) : [];
  const system = messages.filter((message) => message.role === 'system').map((message) => rewriteText(String(message.content ?? '')));
  const others = messages.filter((message) => message.role !== 'system').map((message) => ({ role: String(message.role ?? 'user'), content: rewriteText(String(message.content ?? '')) }));
  if (system.length > 0) parameters.system = system.join('\n');
  if (others.length > 0) parameters.messages = others;
  const user = String(inputs[`${prefix}UserMessage`] ?? '');
  parameters.prompt = user.trim() !== '' ? rewriteText(user).trim() : '{{ $json.question }}';
  if (inputs[`${prefix}EnableMemory`] === true) notes.push('Flowise kept the conversation memory of the flow; MIFY sends only the messages in the node.');
  if (prefix === 'agent') notes.push('The agent becomes one chat call: its tools and document stores are not called.');
  if (inputs[`${prefix}StructuredOutput`]) notes.push('Structured output is not carried over; set responseFormat json and describe the fields in the prompt.');
  return { type: 'mify.llm.chat', parameters, status: notes.length > 0 ? 'approximated' : 'mapped', notes, outputs: ['main'] };
}

const OPERATIONS: Record<string, string> = { equal: 'equals', notEqual: 'notEquals', contains: 'contains', notContains: 'notContains', startsWith: 'startsWith', endsWith: 'endsWith', regex: 'matchesRegex', isEmpty: 'isEmpty', notEmpty: 'isNotEmpty', larger: 'gt', largerEqual: 'gte', smaller: 'lt', smallerEqual: 'lte' };

function mapNode(node: FlowiseNode, rewriteText: (text: string) => string): Mapped {
  const name = String(node.data.name ?? '');
  const inputs = isObject(node.data.inputs) ? node.data.inputs : {};
  switch (name) {
    case 'startAgentflow':
      return { type: 'mify.control.manual-trigger', parameters: {}, status: 'mapped', notes: inputs.startInputType === 'formInput' ? ['Runs start with items holding the form fields.'] : ['Runs start with items holding the user message in the field question.'], outputs: ['main'] };
    case 'llmAgentflow':
      return llmNode(inputs, 'llm', rewriteText);
    case 'agentAgentflow':
      return llmNode(inputs, 'agent', rewriteText);
    case 'iterationAgentflow':
      return { type: 'mify.control.loop-map', parameters: {}, status: 'mapped', notes: [], outputs: ['done'] };
    case 'humanInputAgentflow':
      return {
        type: 'mify.human.review-gate',
        parameters: { title: String(node.data.label ?? 'Human input'), instructions: rewriteText(String(inputs.humanInputDescription ?? 'Review the items and approve or reject.')) },
        status: 'approximated',
        notes: ['Proceed and reject become the review gate\'s approved and rejected outputs; the reviewer decides in the studio or with POST /api/waits/{id}/decision.'],
        outputs: ['approved', 'rejected'],
      };
    case 'conditionAgentflow': {
      const conditions = (Array.isArray(inputs.conditions) ? inputs.conditions : []).filter(isObject);
      const notes: string[] = [];
      const rules = conditions.slice(0, 8).map((condition) => {
        const operator = OPERATIONS[String(condition.operation ?? 'equal')] ?? 'equals';
        let type = 'string';
        if (condition.type === 'number' || condition.type === 'boolean') type = condition.type;
        return { conditions: [{ leftValue: rewriteText(String(condition.value1 ?? '')), type, operator, ...(['isEmpty', 'isNotEmpty'].includes(operator) ? {} : { value: rewriteText(String(condition.value2 ?? '')) }) }] };
      });
      if (conditions.length > 8) notes.push('Conditions after the eighth were left out.');
      return { type: 'mify.control.route-switch', parameters: { mode: 'rules', rules, fallback: 'fallback' }, status: notes.length > 0 ? 'approximated' : 'mapped', notes, outputs: [...rules.map((_rule, index) => `output${index}`), 'fallback'] };
    }
    case 'directReplyAgentflow':
      return { type: 'mify.data.edit-fields', parameters: { operations: [{ op: 'set', path: 'reply', value: rewriteText(String(inputs.directReplyMessage ?? '')), type: 'string' }] }, status: 'mapped', notes: [], outputs: ['main'] };
    case 'httpAgentflow':
      return { type: 'mify.io.http-request', parameters: { method: String(inputs.method ?? 'GET').toUpperCase(), url: rewriteText(String(inputs.url ?? '')), output: 'body' }, status: 'approximated', notes: ['Only the method and URL were carried over; add headers, query and body in the node.'], outputs: ['main'] };
    case 'executeFlowAgentflow':
      return { type: 'mify.control.sub-workflow', parameters: { graphId: String(inputs.executeFlowSelectedFlow ?? 'set-the-graph-id') || 'set-the-graph-id' }, status: 'approximated', notes: ['Import the called flow as its own graph and set graphId to it.'], outputs: ['main'] };
    default:
      return {
        type: opaqueNodeType('flowise'),
        parameters: { platformType: name, platformTypeVersion: node.data.version === undefined ? null : String(node.data.version), original: { inputs } },
        status: 'opaque',
        notes: [`Agentflow node ${name} has no MIFY counterpart.`, 'Set the node\'s baseUrl and flowId to run it through a Flowise flow, or replace the node.'],
        outputs: ['main'],
      };
  }
}

/** Absolute canvas position: Flowise stores children of a container relative to it. */
function positionOf(node: FlowiseNode, byId: Map<string, FlowiseNode>): { x: number; y: number } {
  const own = { x: Number(node.position?.x ?? 0), y: Number(node.position?.y ?? 0) };
  const parent = node.parentNode ? byId.get(node.parentNode) : undefined;
  if (!parent) return own;
  const base = positionOf(parent, byId);
  return { x: base.x + own.x, y: base.y + own.y };
}

export function convertAgentflow(flow: FlowiseFlow): ImportedGraph {
  const builder = new ImportGraphBuilder('flowise', 'Flowise agentflow v2', null);
  const byId = new Map(flow.nodes.map((node) => [node.id, node]));
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const node of flow.nodes) {
    const base = String(node.data.label ?? node.data.name ?? node.id).trim().slice(0, 190) || node.id;
    let name = base;
    for (let suffix = 2; used.has(name); suffix++) name = `${base} ${suffix}`;
    used.add(name);
    names.set(node.id, name);
  }
  const start = flow.nodes.find((node) => node.data.name === 'startAgentflow');
  const rewriteText = (text: string) => rewrite(text, names, start ? names.get(start.id)! : null);
  const mappings = new Map<string, Mapped>();

  for (const node of flow.nodes) {
    if (node.data.name === 'stickyNoteAgentflow' || node.type === 'stickyNote') {
      builder.addStickyNote({ id: node.id, content: String((node.data.inputs ?? {}).note ?? ''), position: positionOf(node, byId) });
      continue;
    }
    const mapped = mapNode(node, rewriteText);
    mappings.set(node.id, mapped);
    const added = builder.addNode({
      source: { id: node.id, name: String(node.data.label ?? node.data.name), type: String(node.data.name), typeVersion: (node.data.version as number | undefined) ?? null },
      name: names.get(node.id)!,
      type: mapped.type,
      parameters: mapped.parameters,
      position: positionOf(node, byId),
      status: mapped.status,
      notes: mapped.notes,
      flags: mapped.status === 'opaque' ? ['needs-platform'] : [],
    });
    if (node.data.name === 'iterationAgentflow') iterationItems(builder, node, added.name, added.position, rewriteText);
  }

  const outgoingInside = new Set<string>();
  const incomingInside = new Set<string>();
  for (const edge of flow.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    const mapped = mappings.get(edge.source);
    if (!source || !target || !mapped || !mappings.has(edge.target)) {
      builder.warnings.push(`Edge from '${edge.source}' to '${edge.target}' was dropped: one of its nodes is not a flow node.`);
      continue;
    }
    const index = Number(/-output-(\d+)$/.exec(edge.sourceHandle ?? '')?.[1] ?? 0);
    const port = mapped.outputs[index] ?? mapped.outputs[0]!;
    const into = target.data.name === 'iterationAgentflow' ? `${target.id}#items` : target.id;
    builder.connect(source.id, port, into, 'main');
    if (source.parentNode && source.parentNode === target.parentNode) {
      outgoingInside.add(source.id);
      incomingInside.add(target.id);
    }
  }

  // Children of an iteration: the first ones start at the loop port, the last ones lead back to the loop.
  for (const node of flow.nodes) {
    const parent = node.parentNode ? byId.get(node.parentNode) : undefined;
    if (!parent || parent.data.name !== 'iterationAgentflow' || !mappings.has(node.id)) continue;
    if (!incomingInside.has(node.id)) builder.connect(parent.id, 'loop', node.id, 'main');
    if (!outgoingInside.has(node.id)) builder.connect(node.id, 'main', parent.id, 'main');
  }
  return builder.build(flow.name, flow.description);
}

/** Turns the iteration input (a JSON array or a variable) into items before the loop node. */
function iterationItems(builder: ImportGraphBuilder, node: FlowiseNode, loopName: string, position: { x: number; y: number }, rewriteText: (text: string) => string): void {
  const raw = htmlToText(String((node.data.inputs ?? {}).iterationInput ?? '[]')).trim();
  let value: unknown;
  let type = 'json';
  try {
    JSON.parse(raw);
    value = raw;
  } catch {
    value = rewriteText(raw);
    type = 'auto';
  }
  builder.addHelperNode(node.id, 'items', { type: 'mify.data.edit-fields', typeVersion: 1, name: `${loopName} items`, parameters: { operations: [{ op: 'set', path: 'items', value, type }, { op: 'keepOnly', paths: ['items'] }] }, position: { x: position.x - 300, y: position.y } }, 'The iteration input is put into items by two nodes before the loop (set, then split); $iteration is the item field "item".');
  builder.addHelperNode(node.id, 'split', { type: 'mify.data.split-out', typeVersion: 1, name: `${loopName} split`, parameters: { field: 'items', outputField: 'item' }, position: { x: position.x - 150, y: position.y } }, 'Each element of the iteration input is one item of the loop.');
  builder.connect(`${node.id}#items`, 'main', `${node.id}#split`, 'main');
  builder.connect(`${node.id}#split`, 'main', node.id, 'main');
}
