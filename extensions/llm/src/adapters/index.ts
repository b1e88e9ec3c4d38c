/**
 * Runs chat and embedding calls against this extension's providers: resolves the
 * credential, picks the wire-format adapter and adds the cost of the call.
 */
import type { ProviderRequest } from '@mify/sdk';
import { findProvider, type ProviderDefinition } from '../catalog.js';
import { resolveConnection } from '../credentials.js';
import { LlmError } from '../errors.js';
import { computeCost } from '../pricing.js';
import type { CallOptions, ChatRequest, EmbedRequest, ExtensionContext, LlmChatResponse, LlmEmbedResponse, WireFormat } from '../types.js';
import { anthropicAdapter } from './anthropic.js';
import { geminiAdapter } from './gemini.js';
import { openaiAdapter } from './openai.js';
import type { Adapter } from './shared.js';

const ADAPTERS: Record<WireFormat, Adapter> = { openai: openaiAdapter, anthropic: anthropicAdapter, gemini: geminiAdapter };

function providerOrFail(id: string): ProviderDefinition {
  const provider = findProvider(id);
  if (!provider) throw new LlmError('not_found', `Provider '${id}' is not implemented by the mify.llm extension.`);
  return provider;
}

/** Sends a chat to one of this extension's providers. */
export async function chatWithProvider(ctx: ExtensionContext, providerId: string, request: ChatRequest, options: CallOptions = {}): Promise<LlmChatResponse> {
  const provider = providerOrFail(providerId);
  const { connection, credential } = await resolveConnection(ctx, provider, request.model, request.credential);
  const result = await ADAPTERS[provider.wire].chat({ ctx, provider, connection, credential, request, options });
  return { ...result, provider: provider.id, cost: computeCost(provider.id, request.model, result.usage, options.price) };
}

/** Embeds texts with one of this extension's providers. */
export async function embedWithProvider(ctx: ExtensionContext, providerId: string, request: EmbedRequest, options: CallOptions = {}): Promise<LlmEmbedResponse> {
  const provider = providerOrFail(providerId);
  const { connection, credential } = await resolveConnection(ctx, provider, request.model, request.credential);
  const result = await ADAPTERS[provider.wire].embed({ ctx, provider, connection, credential, request, options });
  return { ...result, provider: provider.id, cost: computeCost(provider.id, request.model, { inputTokens: result.usage.inputTokens, outputTokens: 0 }, options.price) };
}

/**
 * The implementation of a `providers` contribution, called by the kernel's gateway for
 * `llm.chat` and `llm.embed`. Vendor failures come back as `{ error }` results, which the
 * gateway turns into errors with the same code for the caller.
 */
export function providerImplementation(providerId: string) {
  return {
    async call(ctx: ExtensionContext, input: ProviderRequest) {
      try {
        if (input.operation === 'chat') return await chatWithProvider(ctx, providerId, input.request);
        if (input.operation === 'embed') return await embedWithProvider(ctx, providerId, input.request);
        throw new LlmError('invalid_argument', `Provider '${providerId}' does not support the '${input.operation}' operation; it serves chat and embed.`);
      } catch (error) {
        if (error instanceof LlmError) return error.toProviderResult();
        throw error;
      }
    },
  };
}
