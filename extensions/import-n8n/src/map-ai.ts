/**
 * Mappers for n8n's AI nodes: the AI Agent and Basic LLM Chain root nodes, which absorb the
 * chat model, memory and output parser sub-nodes connected to them.
 */
import { locatorValue, record, shortType, list, type MapContext, type Mapper, type N8nNode, type NodeMapping } from './model.js';

const MAIN = ['main'];

/** n8n chat model node → MIFY provider id, the parameter holding the model, and the n8n credential type. */
const CHAT_MODELS: Record<string, { provider: string; modelParameter: string; credential: string }> = {
  lmChatOpenAi: { provider: 'openai', modelParameter: 'model', credential: 'openAiApi' },
  lmOpenAi: { provider: 'openai', modelParameter: 'model', credential: 'openAiApi' },
  lmChatAzureOpenAi: { provider: 'openai-compatible', modelParameter: 'model', credential: 'azureOpenAiApi' },
  lmChatAnthropic: { provider: 'anthropic', modelParameter: 'model', credential: 'anthropicApi' },
  lmChatOllama: { provider: 'ollama', modelParameter: 'model', credential: 'ollamaApi' },
  lmOllama: { provider: 'ollama', modelParameter: 'model', credential: 'ollamaApi' },
  lmChatGoogleGemini: { provider: 'gemini', modelParameter: 'modelName', credential: 'googlePalmApi' },
  lmChatMistralCloud: { provider: 'mistral', modelParameter: 'model', credential: 'mistralCloudApi' },
  lmChatGroq: { provider: 'groq', modelParameter: 'model', credential: 'groqApi' },
  lmChatDeepSeek: { provider: 'deepseek', modelParameter: 'model', credential: 'deepSeekApi' },
  lmChatOpenRouter: { provider: 'openrouter', modelParameter: 'model', credential: 'openRouterApi' },
  lmChatXAiGrok: { provider: 'xai', modelParameter: 'model', credential: 'xAiApi' },
};

/** Returns whether an n8n node type is a chat model sub-node, which the root AI nodes absorb. */
export function isChatModel(type: string): boolean {
  return shortType(type) in CHAT_MODELS;
}

/** Model settings of a chat model node as MIFY llm parameters. */
export function chatModelParameters(model: N8nNode): { parameters: Record<string, unknown>; credentialType: string; notes: string[] } {
  const spec = CHAT_MODELS[shortType(model.type)]!;
  const options = record(model.parameters.options);
  const parameters: Record<string, unknown> = { provider: spec.provider };
  const name = locatorValue(model.parameters[spec.modelParameter]);
  if (typeof name === 'string' && name !== '') parameters.model = name.replace(/^models\//, '');
  if (typeof options.temperature === 'number') parameters.temperature = Math.max(0, Math.min(2, options.temperature));
  const maxTokens = options.maxTokens ?? options.maxTokensToSample ?? options.maxOutputTokens;
  if (typeof maxTokens === 'number' && maxTokens > 0) parameters.maxTokens = Math.round(maxTokens);

  const notes: string[] = [];
  const carried = new Set(['temperature', 'maxTokens', 'maxTokensToSample', 'maxOutputTokens']);
  const dropped = Object.keys(options).filter((key) => !carried.has(key));
  if (dropped.length > 0) notes.push(`Model options ${dropped.join(', ')} are not carried over.`);
  if (spec.provider === 'openai-compatible') notes.push('Azure OpenAI became the openai-compatible provider; put the Azure endpoint in the credential\'s base URL.');
  return { parameters, credentialType: spec.credential, notes };
}

function promptOf(node: N8nNode, fallback: string): string {
  const p = node.parameters;
  if (p.promptType === 'define' || (node.typeVersion < 1.5 && typeof p.text === 'string')) return typeof p.text === 'string' ? p.text : fallback;
  return fallback;
}

/** Builds the llm node of an AI root node from its connected sub-nodes. */
function rootNode(node: N8nNode, context: MapContext, system: unknown, prompt: string, extraNotes: string[]): NodeMapping {
  const notes = [...extraNotes];
  const parameters: Record<string, unknown> = { prompt };
  if (typeof system === 'string' && system.trim() !== '') parameters.system = system;

  const result: NodeMapping = { type: 'mify.llm.chat', parameters, status: 'mapped', notes, outputs: MAIN, inputs: MAIN };
  const [model] = context.subNodes.get('ai_languageModel') ?? [];
  if (model && isChatModel(model.type)) {
    const converted = chatModelParameters(model);
    Object.assign(parameters, converted.parameters);
    notes.push(...converted.notes);
    result.credential = { parameter: 'credential', from: [converted.credentialType], suggestedTypes: [`${converted.parameters.provider} API key credential`] };
    result.credentialNode = model;
  } else if (model) {
    notes.push(`Chat model "${shortType(model.type)}" has no MIFY provider; choose a provider and model in the node.`);
  } else {
    notes.push('No chat model was connected; the provider\'s default model is used.');
  }

  if ((context.subNodes.get('ai_memory') ?? []).length > 0) notes.push('Conversation memory is not kept between runs; pass earlier messages in the "messages" parameter.');
  if ((context.subNodes.get('ai_outputParser') ?? []).length > 0) {
    parameters.responseFormat = 'json';
    notes.push('The output parser became responseFormat json; its schema is not enforced.');
  }
  if (notes.length > 0) result.status = 'approximated';
  return result;
}

export const agent: Mapper = (node, context) => {
  const options = record(node.parameters.options);
  const tools = context.subNodes.get('ai_tool') ?? [];
  const notes = ['The agent becomes one chat call: MIFY\'s chat node does not loop over tool calls.'];
  if (tools.length > 0) notes.push(`Tools ${tools.map((tool) => `'${tool.name}'`).join(', ')} are kept as disabled platform nodes; give them to a mify.llm.tool-calling node to let the model call them.`);
  const fallback = node.typeVersion >= 1.7 ? '={{ $json.chatInput }}' : '={{ $json.chatInput ?? $json.input }}';
  return rootNode(node, context, options.systemMessage, promptOf(node, fallback), notes);
};

export const chainLlm: Mapper = (node, context) => {
  const messages = list(record(node.parameters.messages).messageValues).map(record);
  const system = messages.filter((message) => message.type === 'SystemMessagePromptTemplate' || message.type === undefined).map((message) => String(message.message ?? '')).join('\n');
  const notes = messages.some((message) => message.type === 'AIMessagePromptTemplate' || message.type === 'HumanMessagePromptTemplate') ? ['Example messages of the prompt are not carried over; only the system messages are.'] : [];
  return rootNode(node, context, system, promptOf(node, '={{ $json.chatInput ?? $json.input }}'), notes);
};

/** Maps a chat model node that feeds no root node to a chat call of its own. */
export const chatModel: Mapper = (node) => {
  const converted = chatModelParameters(node);
  return {
    type: 'mify.llm.chat',
    parameters: { ...converted.parameters },
    status: 'approximated',
    notes: ['The chat model was not connected to an agent or chain, so it became a chat call that reads the item\'s text field.', ...converted.notes],
    outputs: MAIN,
    inputs: MAIN,
    credential: { parameter: 'credential', from: [converted.credentialType], suggestedTypes: [`${converted.parameters.provider} API key credential`] },
  };
};
