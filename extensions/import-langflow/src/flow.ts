/**
 * Langflow flows and single-component exports. Components are mapped by their type. An edge
 * carries a component output into a template field of the target, so it becomes a MIFY edge
 * plus an expression in that field that reads the source node's output field.
 */
import {
  assertPlatform,
  ImportFileError,
  ImportGraphBuilder,
  isObject,
  nodeFieldExpression,
  opaqueNodeType,
  parseJsonFile,
  type ImportedGraph,
  type ImportFlag,
  type ImportInput,
  type ImportStatus,
} from '@mify/sdk';

interface LangflowNode {
  id: string;
  type?: string;
  position?: { x?: number; y?: number };
  data: { type?: string; id?: string; node?: Record<string, unknown> & { template?: Record<string, unknown>; display_name?: string; edited?: boolean } };
}

interface LangflowEdge {
  source: string;
  target: string;
  data?: { targetHandle?: { fieldName?: string }; sourceHandle?: { name?: string } };
}

interface Flow {
  name: string;
  description: string;
  nodes: LangflowNode[];
  edges: LangflowEdge[];
}

export function readFlow(input: ImportInput): Flow {
  const file = parseJsonFile(input, 'Langflow');
  assertPlatform(file, 'langflow', input.fileName);
  if (!isObject(file)) throw new ImportFileError('invalid_file', `File '${input.fileName}' is not a Langflow export: expected a JSON object with "data".`);
  const baseName = input.fileName.replace(/\.json$/i, '');

  // A single component exported from the canvas: { data: { node, type, id }, id, position, type: 'genericNode' }.
  if (isObject(file.data) && isObject(file.data.node)) {
    return { name: String(file.data.node.display_name ?? baseName), description: String(file.data.node.description ?? ''), nodes: [file as unknown as LangflowNode], edges: [] };
  }
  const data = isObject(file.data) ? file.data : file;
  if (!Array.isArray(data.nodes)) {
    const keys = Object.keys(file).slice(0, 5).map((key) => `"${key}"`).join(', ');
    throw new ImportFileError('invalid_file', `File '${input.fileName}' is not a Langflow flow: it has no data.nodes list (its fields are ${keys || 'none'}). Export the flow from Langflow (Export, JSON).`);
  }
  data.nodes.forEach((node, index) => {
    if (!isObject(node) || typeof node.id !== 'string' || !isObject(node.data)) throw new ImportFileError('invalid_file', `File '${input.fileName}': node ${index} has no "id" and "data"; the Langflow export is incomplete.`);
  });
  if (data.nodes.length === 0) throw new ImportFileError('empty_workflow', `File '${input.fileName}' is a Langflow flow without components; there is nothing to import.`);
  return { name: String(file.name ?? baseName), description: String(file.description ?? ''), nodes: data.nodes as LangflowNode[], edges: (Array.isArray(data.edges) ? data.edges : []).filter(isObject) as unknown as LangflowEdge[] };
}

/** Returns the `value` of a template field. */
function field(node: LangflowNode, name: string): unknown {
  const entry = node.data.node?.template?.[name];
  return isObject(entry) ? entry.value : undefined;
}

const MODEL_PROVIDERS: Record<string, string> = {
  OpenAIModel: 'openai', AnthropicModel: 'anthropic', OllamaModel: 'ollama', GoogleGenerativeAIModel: 'gemini', GroqModel: 'groq', MistralModel: 'mistral', DeepSeekModelComponent: 'deepseek', OpenRouterComponent: 'openrouter', AzureOpenAIModel: 'openai-compatible', LMStudioModel: 'openai-compatible', XAIModel: 'xai',
};
const EMBEDDING_PROVIDERS: Record<string, string> = { OpenAIEmbeddings: 'openai', OllamaEmbeddings: 'ollama', GoogleGenerativeAIEmbeddings: 'gemini', MistralAIEmbeddings: 'mistral', AzureOpenAIEmbeddings: 'openai-compatible', EmbeddingModel: 'openai' };
const VECTOR_STORES = /(Chroma|FAISS|Pinecone|Qdrant|PGVector|AstraDB|Weaviate|Milvus|Redis|Elasticsearch|OpenSearch|MongoDBAtlas|Supabase|Cassandra|Couchbase|Upstash|Vectara|VectorStore)/;

interface Mapped {
  type: string;
  parameters: Record<string, unknown>;
  status: ImportStatus;
  notes: string[];
  flags?: ImportFlag[];
  /** Output field the node writes, for expressions of downstream nodes. */
  outputField: string;
}

/** Expression for what arrives in a template field through an edge, or null. */
type Incoming = (fieldName: string) => string | null;

function providerFrom(node: LangflowNode, table: Record<string, string>): string | undefined {
  const type = String(node.data.type);
  if (table[type]) return table[type];
  const chosen = String(field(node, 'provider') ?? '').toLowerCase();
  return ({ openai: 'openai', anthropic: 'anthropic', google: 'gemini', ollama: 'ollama', groq: 'groq', mistral: 'mistral' } as Record<string, string>)[chosen.split(' ')[0] ?? ''];
}

function mapComponent(node: LangflowNode, incoming: Incoming): Mapped {
  const type = String(node.data.type ?? node.data.node?.display_name ?? 'Unknown');
  const text = (name: string, fallback: string) => {
    const expression = incoming(name);
    if (expression) return `{{ ${expression} }}`;
    const value = field(node, name);
    return typeof value === 'string' && value !== '' ? value : fallback;
  };

  if (node.data.node?.edited === true) {
    return { type: opaqueNodeType('langflow'), parameters: {}, status: 'opaque', notes: [`Component ${type} has edited Python code, which needs a Python runtime; it was not run during the import.`], flags: ['carries-code', 'needs-python-runtime', 'needs-platform'], outputField: 'text' };
  }
  if (type === 'ChatInput' || type === 'TextInput') {
    return { type: 'mify.control.manual-trigger', parameters: {}, status: 'mapped', notes: ['Runs start with items holding the message in the field text.'], outputField: 'text' };
  }
  if (type === 'ChatOutput' || type === 'TextOutput') {
    return { type: 'mify.data.edit-fields', parameters: { operations: [{ op: 'set', path: 'text', value: text('input_value', '{{ $json.text }}'), type: 'auto' }] }, status: 'mapped', notes: [], outputField: 'text' };
  }
  if (type === 'Prompt' || type === 'PromptTemplate') {
    const template = String(field(node, 'template') ?? '');
    const value = template.replace(/\{(\w+)\}/g, (match, name: string) => {
      const expression = incoming(name);
      return expression ? `{{ ${expression} }}` : `{{ $json[${JSON.stringify(name)}] }}`;
    });
    return { type: 'mify.data.edit-fields', parameters: { operations: [{ op: 'set', path: 'prompt', value, type: 'string' }] }, status: 'mapped', notes: [], outputField: 'prompt' };
  }
  const modelProvider = providerFrom(node, MODEL_PROVIDERS);
  if (modelProvider || type === 'LanguageModelComponent') {
    const parameters: Record<string, unknown> = { provider: modelProvider ?? 'openai', prompt: text('input_value', '{{ $json.text }}'), outputField: 'text' };
    const system = incoming('system_message') ? `{{ ${incoming('system_message')} }}` : field(node, 'system_message');
    if (typeof system === 'string' && system !== '') parameters.system = system;
    const model = field(node, 'model_name') ?? field(node, 'model');
    if (typeof model === 'string' && model !== '') parameters.model = model;
    const temperature = Number(field(node, 'temperature'));
    if (Number.isFinite(temperature) && field(node, 'temperature') !== undefined) parameters.temperature = Math.max(0, Math.min(2, temperature));
    const notes = modelProvider ? [] : ['The provider could not be read; openai is used.'];
    return { type: 'mify.llm.chat', parameters, status: notes.length > 0 ? 'approximated' : 'mapped', notes, outputField: 'text' };
  }
  const embeddingProvider = providerFrom(node, EMBEDDING_PROVIDERS);
  if (embeddingProvider) {
    const parameters: Record<string, unknown> = { provider: embeddingProvider };
    const model = field(node, 'model_name') ?? field(node, 'model');
    if (typeof model === 'string' && model !== '') parameters.model = model;
    const notes = ['Langflow passes an embedding model to other components; MIFY\'s node embeds the item\'s text field into the field embedding.'];
    const baseUrl = field(node, 'base_url');
    if (typeof baseUrl === 'string' && baseUrl !== '') notes.push(`The base URL "${baseUrl}" belongs in the ${embeddingProvider} credential's base URL.`);
    if (parameters.model === undefined) notes.push('No model was chosen in the component; the provider\'s default is used.');
    return { type: 'mify.llm.embed', parameters, status: 'approximated', notes, outputField: 'embedding' };
  }
  if (VECTOR_STORES.test(type)) {
    const collection = String(field(node, 'collection_name') ?? field(node, 'index_name') ?? `langflow-${node.id}`).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z]+/, 'c').slice(0, 64);
    const notes = [`${type} became a search of the MIFY vector collection "${collection}"; ingest the documents there first (mify.rag.store).`];
    if (incoming('ingest_data')) notes.push('The ingest input is not carried over; store documents with a mify.rag.store node.');
    return { type: 'mify.rag.retrieve', parameters: { collection, queryField: 'text', ...(Number(field(node, 'number_of_results')) > 0 ? { topK: Number(field(node, 'number_of_results')) } : {}) }, status: 'approximated', notes, outputField: 'chunks' };
  }
  if (type === 'Agent' || type === 'ToolCallingAgent') {
    const parameters: Record<string, unknown> = { provider: providerFrom(node, {}) ?? 'openai', prompt: text('input_value', '{{ $json.text }}'), outputField: 'text' };
    const instructions = field(node, 'system_prompt');
    if (typeof instructions === 'string' && instructions !== '') parameters.system = instructions;
    const model = field(node, 'model_name');
    if (typeof model === 'string' && model !== '') parameters.model = model;
    const notes = ['The agent becomes one chat call: its tools are not called.'];
    if (incoming('tools')) notes.push('Connected tools are not carried over.');
    return { type: 'mify.llm.chat', parameters, status: 'approximated', notes, outputField: 'text' };
  }
  return { type: opaqueNodeType('langflow'), parameters: {}, status: 'opaque', notes: [`Langflow component ${type} has no MIFY counterpart.`], flags: ['carries-code', 'needs-platform'], outputField: 'text' };
}

export function convertFlow(flow: Flow): ImportedGraph {
  const builder = new ImportGraphBuilder('langflow', flow.nodes.length === 1 && flow.edges.length === 0 ? 'Langflow component' : 'Langflow flow', null);
  const components = flow.nodes.filter((node) => node.type !== 'noteNode');
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const node of components) {
    const base = String(node.data.node?.display_name ?? node.data.type ?? node.id).trim().slice(0, 190) || node.id;
    let name = base;
    for (let suffix = 2; used.has(name); suffix++) name = `${base} ${suffix}`;
    used.add(name);
    names.set(node.id, name);
  }

  const mapped = new Map<string, Mapped>();
  const outputFieldOf = (id: string): string => mapped.get(id)?.outputField ?? 'text';
  // Components are mapped in dependency order, so a source's output field is known before its targets.
  const pending = [...components];
  for (let guard = 0; pending.length > 0 && guard < components.length * components.length + 1; guard++) {
    const node = pending.shift()!;
    const sources = flow.edges.filter((edge) => edge.target === node.id).map((edge) => edge.source);
    if (sources.some((id) => pending.some((other) => other.id === id)) && guard < components.length * components.length) {
      pending.push(node);
      continue;
    }
    const incoming: Incoming = (fieldName) => {
      const edge = flow.edges.find((candidate) => candidate.target === node.id && candidate.data?.targetHandle?.fieldName === fieldName);
      const sourceName = edge ? names.get(edge.source) : undefined;
      return edge && sourceName ? nodeFieldExpression(sourceName, [outputFieldOf(edge.source)]) : null;
    };
    mapped.set(node.id, mapComponent(node, incoming));
  }

  for (const node of flow.nodes) {
    const position = { x: Number(node.position?.x ?? 0), y: Number(node.position?.y ?? 0) };
    if (node.type === 'noteNode') {
      builder.addStickyNote({ id: node.id, content: String((node.data.node as Record<string, unknown> | undefined)?.description ?? ''), position });
      continue;
    }
    const result = mapped.get(node.id)!;
    const type = String(node.data.type ?? 'Unknown');
    const parameters = result.status === 'opaque' ? { platformType: type, platformTypeVersion: null, original: node.data.node ?? {} } : result.parameters;
    builder.addNode({
      source: { id: node.id, name: String(node.data.node?.display_name ?? type), type, typeVersion: null },
      name: names.get(node.id)!,
      type: result.type,
      parameters,
      position,
      status: result.status,
      notes: result.status === 'opaque' ? [...result.notes, 'Set the node\'s baseUrl and flowId to run it through a Langflow flow, or replace the node.'] : result.notes,
      flags: result.flags ?? [],
      ...(typeof node.data.node?.description === 'string' ? { description: node.data.node.description } : {}),
    });
  }
  for (const edge of flow.edges) builder.connect(edge.source, 'main', edge.target, 'main');
  return builder.build(flow.name, flow.description);
}
