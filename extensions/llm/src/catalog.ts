/**
 * The providers this extension contributes: their wire format, default base URL, the
 * credential type they read, and the models behind the `fast`, `balanced` and `accurate`
 * presets. Keep the ids in step with `contributes.providers` in mify.extension.json.
 */
import type { WireFormat } from './types.js';

export const CREDENTIAL_TYPES = {
  openaiCompatible: 'mify.llm.openai-compatible',
  anthropic: 'mify.llm.anthropic',
  gemini: 'mify.llm.gemini',
} as const;

export type Preset = 'fast' | 'balanced' | 'accurate';

export const PRESETS: readonly Preset[] = ['fast', 'balanced', 'accurate'];

export interface ProviderDefinition {
  id: string;
  name: string;
  wire: WireFormat;
  credentialType: string;
  /** Base URL used when the credential sets none; null when the credential must set one. */
  defaultBaseUrl: string | null;
  /** Whether requests need an API key. Self-hosted servers usually run without one. */
  requiresKey: boolean;
  /** Chat models by preset; absent for servers whose models the operator chooses. */
  presets?: Record<Preset, string>;
  /** Default embedding model; absent when the vendor has no embeddings API here. */
  embeddingModel?: string;
}

const openaiCompatible = (definition: Omit<ProviderDefinition, 'wire' | 'credentialType' | 'requiresKey'> & { requiresKey?: boolean }): ProviderDefinition => ({
  wire: 'openai',
  credentialType: CREDENTIAL_TYPES.openaiCompatible,
  requiresKey: true,
  ...definition,
});

// NOTE: preset model ids were chosen from the vendors' model lists as of 2025-06; vendors
// retire models, so a preset may need updating. An explicit `model` parameter always wins.
export const PROVIDERS: readonly ProviderDefinition[] = [
  openaiCompatible({
    id: 'openai',
    name: 'OpenAI',
    defaultBaseUrl: 'https://api.openai.com/v1',
    presets: { fast: 'gpt-4.1-nano', balanced: 'gpt-4.1-mini', accurate: 'gpt-4.1' },
    embeddingModel: 'text-embedding-3-small',
  }),
  openaiCompatible({
    id: 'groq',
    name: 'Groq',
    defaultBaseUrl: 'https://api.groq.com/openai/v1',
    presets: { fast: 'llama-3.1-8b-instant', balanced: 'llama-3.3-70b-versatile', accurate: 'llama-3.3-70b-versatile' },
  }),
  openaiCompatible({
    id: 'together',
    name: 'Together AI',
    defaultBaseUrl: 'https://api.together.xyz/v1',
    presets: { fast: 'meta-llama/Llama-3.2-3B-Instruct-Turbo', balanced: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', accurate: 'deepseek-ai/DeepSeek-V3' },
    embeddingModel: 'BAAI/bge-base-en-v1.5',
  }),
  openaiCompatible({
    id: 'fireworks',
    name: 'Fireworks AI',
    defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
    presets: {
      fast: 'accounts/fireworks/models/llama-v3p1-8b-instruct',
      balanced: 'accounts/fireworks/models/llama-v3p3-70b-instruct',
      accurate: 'accounts/fireworks/models/deepseek-v3',
    },
    embeddingModel: 'nomic-ai/nomic-embed-text-v1.5',
  }),
  openaiCompatible({
    id: 'deepseek',
    name: 'DeepSeek',
    defaultBaseUrl: 'https://api.deepseek.com/v1',
    presets: { fast: 'deepseek-chat', balanced: 'deepseek-chat', accurate: 'deepseek-reasoner' },
  }),
  openaiCompatible({
    id: 'mistral',
    name: 'Mistral AI',
    defaultBaseUrl: 'https://api.mistral.ai/v1',
    presets: { fast: 'mistral-small-latest', balanced: 'mistral-medium-latest', accurate: 'mistral-large-latest' },
    embeddingModel: 'mistral-embed',
  }),
  openaiCompatible({
    id: 'openrouter',
    name: 'OpenRouter',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    presets: { fast: 'openai/gpt-4.1-nano', balanced: 'openai/gpt-4.1-mini', accurate: 'anthropic/claude-sonnet-4' },
  }),
  openaiCompatible({
    id: 'xai',
    name: 'xAI',
    defaultBaseUrl: 'https://api.x.ai/v1',
    presets: { fast: 'grok-3-mini', balanced: 'grok-3-mini', accurate: 'grok-3' },
  }),
  openaiCompatible({
    id: 'sambanova',
    name: 'SambaNova Cloud',
    defaultBaseUrl: 'https://api.sambanova.ai/v1',
    presets: { fast: 'Meta-Llama-3.1-8B-Instruct', balanced: 'Meta-Llama-3.3-70B-Instruct', accurate: 'DeepSeek-V3-0324' },
  }),
  openaiCompatible({
    id: 'github-models',
    name: 'GitHub Models',
    defaultBaseUrl: 'https://models.github.ai/inference',
    presets: { fast: 'openai/gpt-4.1-nano', balanced: 'openai/gpt-4.1-mini', accurate: 'openai/gpt-4.1' },
    embeddingModel: 'openai/text-embedding-3-small',
  }),
  openaiCompatible({
    id: 'cloudflare',
    name: 'Cloudflare Workers AI',
    // The URL contains the account id, so the credential sets `accountId` or a full `baseUrl`.
    defaultBaseUrl: 'https://api.cloudflare.com/client/v4/accounts/{accountId}/ai/v1',
    presets: { fast: '@cf/meta/llama-3.1-8b-instruct', balanced: '@cf/meta/llama-3.3-70b-instruct-fp8-fast', accurate: '@cf/meta/llama-3.3-70b-instruct-fp8-fast' },
    embeddingModel: '@cf/baai/bge-base-en-v1.5',
  }),
  openaiCompatible({
    id: 'ollama',
    name: 'Ollama',
    defaultBaseUrl: 'http://127.0.0.1:11434/v1',
    requiresKey: false,
    presets: { fast: 'llama3.2', balanced: 'llama3.1', accurate: 'llama3.3' },
    embeddingModel: 'nomic-embed-text',
  }),
  openaiCompatible({ id: 'vllm', name: 'vLLM', defaultBaseUrl: 'http://127.0.0.1:8000/v1', requiresKey: false }),
  openaiCompatible({ id: 'litellm', name: 'LiteLLM proxy', defaultBaseUrl: 'http://127.0.0.1:4000/v1', requiresKey: false }),
  openaiCompatible({ id: 'openai-compatible', name: 'OpenAI-compatible server', defaultBaseUrl: null, requiresKey: false }),
  {
    id: 'anthropic',
    name: 'Anthropic',
    wire: 'anthropic',
    credentialType: CREDENTIAL_TYPES.anthropic,
    defaultBaseUrl: 'https://api.anthropic.com',
    requiresKey: true,
    presets: { fast: 'claude-3-5-haiku-20241022', balanced: 'claude-sonnet-4-20250514', accurate: 'claude-opus-4-20250514' },
  },
  {
    id: 'gemini',
    name: 'Google Gemini',
    wire: 'gemini',
    credentialType: CREDENTIAL_TYPES.gemini,
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    requiresKey: true,
    presets: { fast: 'gemini-2.0-flash-lite', balanced: 'gemini-2.5-flash', accurate: 'gemini-2.5-pro' },
    embeddingModel: 'gemini-embedding-001',
  },
];

const BY_ID = new Map(PROVIDERS.map((provider) => [provider.id, provider]));

/** Returns the provider this extension implements under `id`, or undefined for other extensions' providers. */
export function findProvider(id: string): ProviderDefinition | undefined {
  return BY_ID.get(id);
}

/**
 * Picks the model of a call: the explicit model, else the preset's model of the provider
 * (or its embedding model for embeddings).
 */
export function resolveModel(providerId: string, options: { model?: string; preset?: Preset; purpose: 'chat' | 'embed' }): string {
  if (options.model !== undefined && options.model.trim() !== '') return options.model.trim();

  const provider = findProvider(providerId);
  if (options.purpose === 'embed') {
    if (provider?.embeddingModel) return provider.embeddingModel;
    throw new Error(`Provider '${providerId}' has no default embedding model; set the node's model parameter.`);
  }

  const preset = options.preset ?? 'balanced';
  const model = provider?.presets?.[preset];
  if (model) return model;
  throw new Error(`Provider '${providerId}' has no '${preset}' preset; set the node's model parameter to a model the provider serves.`);
}
