/**
 * Helpers shared by the LLM nodes: reading parameters per item, calling a provider (this
 * extension's adapters directly, any other extension's through the kernel's gateway),
 * running items with bounded concurrency, and summing usage.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { chatWithProvider, embedWithProvider } from '../adapters/index.js';
import { findProvider, PRESETS, resolveModel, type Preset } from '../catalog.js';
import { LlmError } from '../errors.js';
import type { CallCost, ChatMessage, ChatRequest, LlmChatResponse, LlmEmbedResponse, Price } from '../types.js';

/** The node input as the kernel sends it. It has `itemParameters` when the parameters contain expressions. */
export interface LlmNodeInput {
  items: Item[];
  parameters?: Record<string, unknown>;
  itemParameters?: Array<Record<string, unknown>>;
}

/** Usage summed over a node's calls, in the shape the kernel adds to the run's totals. */
export interface NodeUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export const DEFAULT_PROVIDER = 'openai';
export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 16;

/** Parameters every calling node reads. */
export interface CallParameters {
  provider: string;
  model: string;
  credential?: string;
  temperature?: number;
  maxTokens?: number;
  stream: boolean;
  timeoutMs?: number;
  price?: Price;
}

/** Returns the parameters of item `index`: its own when expressions were evaluated per item. */
export function parametersFor(input: LlmNodeInput, index: number): Record<string, unknown> {
  return input.itemParameters?.[index] ?? input.parameters ?? {};
}

/** Reads a string parameter, or the fallback; rejects other types with the parameter's name. */
export function stringParameter(parameters: Record<string, unknown>, name: string, fallback?: string): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new LlmError('invalid_argument', `Parameter '${name}' must be a string, got ${Array.isArray(value) ? 'an array' : typeof value}.`);
}

/** Reads a required text parameter, falling back to `item.json.text`. */
export function requiredText(parameters: Record<string, unknown>, item: Item, name = 'text'): string {
  const text = stringParameter(parameters, name) ?? (typeof item.json.text === 'string' ? item.json.text : undefined);
  if (text === undefined || text.trim() === '') {
    throw new LlmError('invalid_argument', `Parameter '${name}' is empty and the item has no "text" field; set it, for example to {{ $json.body }}.`);
  }
  return text;
}

/** Reads the provider, model and call options shared by every calling node. */
export function callParameters(parameters: Record<string, unknown>, purpose: 'chat' | 'embed'): CallParameters {
  const provider = stringParameter(parameters, 'provider', DEFAULT_PROVIDER)!;
  const presetValue = stringParameter(parameters, 'preset');
  if (presetValue !== undefined && !PRESETS.includes(presetValue as Preset)) {
    throw new LlmError('invalid_argument', `Parameter 'preset' is '${presetValue}'; expected one of ${PRESETS.join(', ')}.`);
  }

  let model: string;
  try {
    model = resolveModel(provider, { model: stringParameter(parameters, 'model'), ...(presetValue ? { preset: presetValue as Preset } : {}), purpose });
  } catch (error) {
    throw new LlmError('invalid_argument', (error as Error).message);
  }

  const result: CallParameters = { provider, model, stream: parameters.stream === true };
  const credential = stringParameter(parameters, 'credential');
  if (credential !== undefined) result.credential = credential;
  if (typeof parameters.temperature === 'number') result.temperature = parameters.temperature;
  if (typeof parameters.maxTokens === 'number') result.maxTokens = parameters.maxTokens;
  if (typeof parameters.timeoutMs === 'number') result.timeoutMs = parameters.timeoutMs;
  const price = parameters.price as Partial<Price> | undefined;
  if (price && typeof price.inputPerMillion === 'number' && typeof price.outputPerMillion === 'number') {
    result.price = { inputPerMillion: price.inputPerMillion, outputPerMillion: price.outputPerMillion };
  }
  return result;
}

/**
 * Sends a chat request. Providers of this extension run in this sandbox, so a node does not
 * wait for a second isolate of its own extension. Providers of other extensions go through
 * the kernel's `llm.chat` gateway.
 */
export async function sendChat(ctx: NodeContext, call: CallParameters, request: Omit<ChatRequest, 'model' | 'provider'>): Promise<LlmChatResponse> {
  const full: ChatRequest = { ...request, model: call.model };
  if (call.temperature !== undefined) full.temperature = call.temperature;
  if (call.maxTokens !== undefined) full.maxTokens = call.maxTokens;
  if (call.credential !== undefined) full.credential = call.credential;
  if (call.stream) full.stream = true;

  if (findProvider(call.provider)) {
    return chatWithProvider(ctx, call.provider, full, { ...(call.price ? { price: call.price } : {}), ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }) });
  }
  const response = await ctx.host.llm.chat({ ...full, provider: call.provider });
  return { cost: { inputUsd: 0, outputUsd: 0, totalUsd: 0, source: 'unknown' }, ...response, provider: call.provider } as LlmChatResponse;
}

/** Embeds texts, through this extension's adapters or the kernel's `llm.embed` gateway. */
export async function sendEmbed(ctx: NodeContext, call: CallParameters, input: string[]): Promise<LlmEmbedResponse> {
  const request = { model: call.model, input, ...(call.credential === undefined ? {} : { credential: call.credential }) };
  if (findProvider(call.provider)) {
    return embedWithProvider(ctx, call.provider, request, { ...(call.price ? { price: call.price } : {}), ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }) });
  }
  const response = await ctx.host.llm.embed({ ...request, provider: call.provider });
  return { cost: { inputUsd: 0, outputUsd: 0, totalUsd: 0, source: 'unknown' }, ...response, provider: call.provider } as LlmEmbedResponse;
}

/** Builds the messages of a prompt: an optional system message, earlier messages, then the user prompt. */
export function promptMessages(system: string | undefined, prompt: string, history: unknown = undefined, images: ChatMessage['images'] = undefined): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (system !== undefined && system.trim() !== '') messages.push({ role: 'system', content: system });
  if (history !== undefined && history !== null && history !== '') messages.push(...checkMessages(history));
  const user: ChatMessage = { role: 'user', content: prompt };
  if (images && images.length > 0) user.images = images;
  messages.push(user);
  return messages;
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/** Checks a `messages` parameter: an array of `{ role, content }` with the SDK's optional tool fields. */
export function checkMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) throw new LlmError('invalid_argument', `Parameter 'messages' must be an array of { role, content } objects, got ${typeof value}.`);
  return value.map((entry, index) => {
    const message = entry as Partial<ChatMessage> | null;
    if (typeof message !== 'object' || message === null || !ROLES.has(String(message.role)) || typeof message.content !== 'string') {
      throw new LlmError('invalid_argument', `messages[${index}] must be { role: "system" | "user" | "assistant" | "tool", content: string }, got ${JSON.stringify(entry)?.slice(0, 200)}.`);
    }
    return message as ChatMessage;
  });
}

/** Returns the metadata every calling node writes beside its result under `llm`. */
export function callMetadata(response: LlmChatResponse | LlmEmbedResponse): Record<string, unknown> {
  return {
    provider: response.provider,
    model: response.model,
    ...('finishReason' in response ? { finishReason: response.finishReason } : {}),
    usage: response.usage,
    cost: response.cost,
  };
}

/** Sums usage and cost over calls. */
export function addUsage(total: NodeUsage, usage: { inputTokens: number; outputTokens?: number }, cost: CallCost): void {
  total.inputTokens += usage.inputTokens;
  total.outputTokens += usage.outputTokens ?? 0;
  total.costUsd = Math.round((total.costUsd + cost.totalUsd) * 1e10) / 1e10;
}

/**
 * Runs `work` for every item with at most `concurrency` calls in flight, keeping item
 * order. With `onItemError: 'continue'` a failed item gets `{ error: { code, message } }`
 * instead of failing the node.
 */
export async function mapItems(input: LlmNodeInput, work: (item: Item, index: number, parameters: Record<string, unknown>) => Promise<Item>): Promise<Item[]> {
  const parameters = input.parameters ?? {};
  const concurrency = Math.min(MAX_CONCURRENCY, Math.max(1, typeof parameters.concurrency === 'number' ? Math.floor(parameters.concurrency) : DEFAULT_CONCURRENCY));
  const continueOnError = parameters.onItemError === 'continue';
  const results: Item[] = new Array<Item>(input.items.length);
  let next = 0;

  const worker = async () => {
    while (next < input.items.length) {
      const index = next++;
      const item = input.items[index]!;
      try {
        results[index] = await work(item, index, parametersFor(input, index));
      } catch (error) {
        if (!continueOnError) throw withItemIndex(error, index, input.items.length);
        const failure = error as Error & { code?: string };
        results[index] = { ...item, json: { ...item.json, error: { code: failure.code ?? 'error', message: failure.message } } };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, input.items.length) }, worker));
  return results;
}

function withItemIndex(error: unknown, index: number, count: number): unknown {
  if (count <= 1 || !(error instanceof Error)) return error;
  error.message = `Item ${index}: ${error.message}`;
  return error;
}

/** Parses a model's JSON reply, tolerating a Markdown code fence around it. */
export function parseJsonReply(response: LlmChatResponse): unknown {
  const text = response.message.content.trim().replace(/^```(?:json)?\s*\n?/i, '').replace(/\n?```$/, '');
  try {
    return JSON.parse(text);
  } catch {
    throw new LlmError('invalid_provider_response', `Provider '${response.provider}' (model '${response.model}') replied with text that is not JSON: ${JSON.stringify(text.slice(0, 200))}. Use a model that supports structured output, or lower the temperature.`);
  }
}
