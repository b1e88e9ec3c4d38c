/**
 * Flowise chatflows: graphs of LangChain components where edges are dependencies (a model
 * feeds a chain) rather than data. Models, memories and prompts fold into the chain or
 * agent that uses them; the rest becomes MIFY nodes in dependency order.
 */
import { ImportGraphBuilder, isObject, opaqueNodeType, type ImportedGraph, type ImportStatus } from '@mify/sdk';
import type { FlowiseFlow, FlowiseNode } from './file.js';
import { credentialOf, isChatModel, modelSettings } from './models.js';

/** Categories whose components only configure another component. */
const FOLDED = new Set(['Chat Models', 'LLMs', 'Memory', 'Prompts', 'Embeddings', 'Moderation', 'Cache', 'Output Parsers']);

interface Mapped {
  type: string;
  parameters: Record<string, unknown>;
  status: ImportStatus;
  notes: string[];
}

/** Ids a node depends on: anchors `{{node_0.data.instance}}` in its inputs and edges into it. */
function dependencies(node: FlowiseNode, flow: FlowiseFlow): string[] {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string') for (const match of value.matchAll(/\{\{([\w-]+)\.data\.instance\}\}/g)) found.add(match[1]!);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  Object.values(node.data.inputs ?? {}).forEach(visit);
  for (const edge of flow.edges) if (edge.target === node.id) found.add(edge.source);
  return [...found];
}

function promptTemplate(text: string): string {
  return text.replace(/\{(\w+)\}/g, (_match, name: string) => `{{ $json.${name === 'input' ? 'question' : name} }}`);
}

function mapComponent(node: FlowiseNode, deps: FlowiseNode[]): Mapped {
  const name = String(node.data.name ?? '');
  const category = String(node.data.category ?? '');
  const inputs = isObject(node.data.inputs) ? node.data.inputs : {};

  if (category === 'Chains' || category === 'Agents' || category === 'Multi Agents') {
    const notes: string[] = [];
    const parameters: Record<string, unknown> = { prompt: '{{ $json.question }}' };
    const model = deps.find((dep) => isChatModel(String(dep.data.name)));
    if (model) {
      const settings = modelSettings(String(model.data.name), isObject(model.data.inputs) ? model.data.inputs : {});
      Object.assign(parameters, settings.parameters);
      notes.push(...settings.notes);
    } else {
      notes.push('No supported chat model is connected; choose a provider and model.');
    }
    for (const key of ['systemMessagePrompt', 'systemMessage']) if (typeof inputs[key] === 'string' && inputs[key] !== '') parameters.system = inputs[key];
    const prompt = deps.find((dep) => dep.data.category === 'Prompts');
    if (prompt) {
      const template = isObject(prompt.data.inputs) ? prompt.data.inputs : {};
      if (typeof template.template === 'string') parameters.prompt = promptTemplate(template.template);
      if (typeof template.systemMessagePrompt === 'string') parameters.system = promptTemplate(template.systemMessagePrompt);
      if (typeof template.humanMessagePrompt === 'string') parameters.prompt = promptTemplate(template.humanMessagePrompt);
    }
    if (deps.some((dep) => dep.data.category === 'Memory')) notes.push('Conversation memory is not kept between runs; pass earlier messages in the "messages" parameter.');
    if (category !== 'Chains' || !['conversationChain', 'llmChain'].includes(name)) notes.push(`${node.data.label ?? name} becomes one chat call; its tools and retrievers are not called by the model.`);
    notes.push('Runs start with items holding the user message in the field question.');
    return { type: 'mify.llm.chat', parameters, status: 'approximated', notes };
  }
  if (category === 'Vector Stores') {
    const collection = String(inputs.collectionName ?? inputs.indexName ?? inputs.tableName ?? `flowise-${node.id}`).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z]+/, 'c').slice(0, 64);
    return { type: 'mify.rag.retrieve', parameters: { collection, queryField: 'question', ...(Number(inputs.topK) > 0 ? { topK: Number(inputs.topK) } : {}) }, status: 'approximated', notes: [`${String(node.data.label ?? name)} became a search of the MIFY vector collection "${collection}"; ingest the documents there first. Embeddings come from the collection's model.`] };
  }
  if (category === 'Text Splitters') {
    const size = Number(inputs.chunkSize);
    const overlap = Number(inputs.chunkOverlap);
    return { type: 'mify.rag.chunk', parameters: { ...(size >= 50 ? { chunkSize: Math.min(20_000, size) } : {}), ...(overlap >= 0 && size >= 50 && overlap <= size / 2 ? { chunkOverlap: overlap } : {}) }, status: 'approximated', notes: ['The splitter became MIFY\'s recursive chunker with the same size and overlap.'] };
  }
  if (isChatModel(name)) {
    const settings = modelSettings(name, inputs);
    return { type: 'mify.llm.chat', parameters: { prompt: '{{ $json.question }}', ...settings.parameters }, status: 'approximated', notes: ['The chat model is not connected to a chain, so it became a chat call of its own.', ...settings.notes] };
  }
  return {
    type: opaqueNodeType('flowise'),
    parameters: { platformType: name, platformTypeVersion: node.data.version === undefined ? null : String(node.data.version), original: { inputs, category } },
    status: 'opaque',
    notes: [`Flowise component ${name} (${category || 'no category'}) has no MIFY counterpart.`, 'Set the node\'s baseUrl and flowId to run it through a Flowise flow, or replace the node.'],
  };
}

export function convertChatflow(flow: FlowiseFlow): ImportedGraph {
  const builder = new ImportGraphBuilder('flowise', 'Flowise chatflow', null);
  const byId = new Map(flow.nodes.map((node) => [node.id, node]));
  const deps = new Map(flow.nodes.map((node) => [node.id, dependencies(node, flow).map((id) => byId.get(id)).filter((dep): dep is FlowiseNode => dep !== undefined)]));
  const consumed = new Set([...deps.values()].flat().map((node) => node.id));
  const folded = new Set(flow.nodes.filter((node) => FOLDED.has(String(node.data.category)) && consumed.has(node.id)).map((node) => node.id));

  for (const node of flow.nodes) {
    const source = { id: node.id, name: String(node.data.label ?? node.data.name ?? node.id), type: String(node.data.name ?? node.type), typeVersion: (node.data.version as number | undefined) ?? null };
    if (node.type === 'stickyNote' || node.data.name === 'stickyNote') {
      builder.addStickyNote({ id: node.id, content: String((node.data.inputs ?? {}).note ?? ''), position: { x: Number(node.position?.x ?? 0), y: Number(node.position?.y ?? 0) } });
      continue;
    }
    if (folded.has(node.id)) continue;
    const mapped = mapComponent(node, deps.get(node.id) ?? []);
    const added = builder.addNode({ source, type: mapped.type, parameters: mapped.parameters, position: { x: Number(node.position?.x ?? 0), y: Number(node.position?.y ?? 0) }, status: mapped.status, notes: mapped.notes, flags: mapped.status === 'opaque' ? ['needs-platform'] : [] });

    for (const dep of deps.get(node.id) ?? []) {
      if (!folded.has(dep.id)) continue;
      const depSource = { id: dep.id, name: String(dep.data.label ?? dep.data.name ?? dep.id), type: String(dep.data.name ?? dep.type), typeVersion: (dep.data.version as number | undefined) ?? null };
      const isModel = isChatModel(String(dep.data.name));
      builder.addAbsorbed(depSource, isModel ? 'mapped' : 'approximated', [isModel ? `Became the provider and model of '${added.name}'.` : `${String(dep.data.category)} component folded into '${added.name}'; see that node's notes.`], node.id);
      const credentialType = isModel ? credentialOf(dep) : null;
      if (credentialType && added.type === 'mify.llm.chat') builder.addCredential(added, { parameter: 'credential', platformType: credentialType, platformName: typeof dep.data.credential === 'string' && dep.data.credential !== '' ? dep.data.credential : null, suggestedTypes: [`${String(added.parameters.provider)} API key credential`] });
    }
  }

  // Dependencies between the nodes that remain run in dependency order: the dependency first.
  for (const node of flow.nodes) {
    if (folded.has(node.id) || !builder.nodeFor(node.id)) continue;
    for (const dep of deps.get(node.id) ?? []) if (!folded.has(dep.id) && builder.nodeFor(dep.id)) builder.connect(dep.id, 'main', node.id, 'main');
  }
  for (const node of flow.nodes) {
    if (FOLDED.has(String(node.data.category)) && !consumed.has(node.id)) builder.approximate(node.id, 'The component is connected to nothing.');
  }
  return builder.build(flow.name, flow.description);
}
