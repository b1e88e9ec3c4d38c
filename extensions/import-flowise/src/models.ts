/**
 * Flowise chat model components → MIFY llm parameters and credential references.
 */
import { isObject } from '@mify/sdk';
import type { FlowiseNode } from './file.js';

/** Flowise chat model component name → MIFY provider id. */
const PROVIDERS: Record<string, string> = {
  chatOpenAI: 'openai', chatOpenAICustom: 'openai-compatible', azureChatOpenAI: 'openai-compatible', chatAnthropic: 'anthropic', chatOllama: 'ollama',
  chatGoogleGenerativeAI: 'gemini', chatMistralAI: 'mistral', groqChat: 'groq', chatGroq: 'groq', chatDeepseek: 'deepseek', chatOpenRouter: 'openrouter',
  chatTogetherAI: 'together', chatFireworks: 'fireworks', chatXAI: 'xai', chatCerebras: 'openai-compatible', chatLocalAI: 'openai-compatible',
};

export function isChatModel(name: string): boolean {
  return name in PROVIDERS;
}

export interface ModelSettings {
  parameters: Record<string, unknown>;
  notes: string[];
  /** Flowise credential type the model used, such as openAIApi. */
  credentialType: string | null;
}

/** Converts a model component name and its inputs (chatflow node inputs or agentflow llmModelConfig). */
export function modelSettings(name: string, inputs: Record<string, unknown>, inputParams?: unknown): ModelSettings {
  const provider = PROVIDERS[name];
  const notes: string[] = [];
  const parameters: Record<string, unknown> = { provider: provider ?? 'openai-compatible' };
  if (!provider) notes.push(`Chat model "${name}" has no MIFY provider; openai-compatible is used, so set its base URL in the credential.`);
  const model = inputs.customModelName || inputs.modelName || inputs.model;
  if (typeof model === 'string' && model !== '') parameters.model = model;
  const temperature = Number(inputs.temperature);
  if (inputs.temperature !== '' && inputs.temperature !== undefined && Number.isFinite(temperature)) parameters.temperature = Math.max(0, Math.min(2, temperature));
  const maxTokens = Number(inputs.maxTokens ?? inputs.maxOutputTokens);
  if (Number.isInteger(maxTokens) && maxTokens > 0) parameters.maxTokens = maxTokens;
  if (typeof inputs.baseUrl === 'string' && inputs.baseUrl !== '' && provider === 'ollama') notes.push(`Ollama ran at ${inputs.baseUrl}; put that URL in the ollama credential's base URL.`);
  if (typeof inputs.basepath === 'string' && inputs.basepath !== '') notes.push(`The model used the base path ${inputs.basepath}; put it in the credential's base URL.`);

  let credentialType: string | null = null;
  for (const param of Array.isArray(inputParams) ? inputParams.filter(isObject) : []) {
    if (param.type === 'credential' && Array.isArray(param.credentialNames)) credentialType = String(param.credentialNames[0] ?? '') || null;
  }
  if (!credentialType && provider && provider !== 'ollama') credentialType = `${name} credential`;
  return { parameters, notes, credentialType };
}

/** Credential type reference of a node, from its inputParams. */
export function credentialOf(node: FlowiseNode): string | null {
  for (const param of Array.isArray(node.data.inputParams) ? node.data.inputParams.filter(isObject) : []) {
    if (param.type === 'credential' && Array.isArray(param.credentialNames)) return String(param.credentialNames[0] ?? '') || null;
  }
  return null;
}
