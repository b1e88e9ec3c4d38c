/**
 * Adapter for the OpenAI Chat Completions and Embeddings API: `POST {baseUrl}/chat/completions`
 * and `POST {baseUrl}/embeddings` with a bearer key. OpenAI and most hosted and self-hosted
 * servers speak it, such as Groq, Together, Fireworks, DeepSeek, Mistral, OpenRouter, xAI,
 * SambaNova, GitHub Models, Cloudflare Workers AI, Ollama, vLLM and LiteLLM.
 */
import { LlmError, subject } from '../errors.js';
import { parseJsonBody, postJson } from '../http.js';
import { estimateChatTokens, estimateTokens } from '../tokens.js';
import type { ChatMessage, ChatRequest, ChatResponse, EmbedRequest } from '../types.js';
import { jsonInstruction, parseChunk, parseToolArguments, streamChat, streamCutOff, type Adapter, type AdapterCall, type ChatResult, type EmbedResult, type StreamAssembler } from './shared.js';

/** Providers whose servers accept only `{ type: 'json_object' }`, not a JSON Schema, as response format. */
const JSON_OBJECT_ONLY = new Set(['deepseek']);

const FINISH_REASONS: Record<string, ChatResponse['finishReason']> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

function headers(call: AdapterCall<unknown>): Record<string, string> {
  const result: Record<string, string> = { ...call.connection.headers };
  if (call.connection.apiKey !== null) result.authorization = `Bearer ${call.connection.apiKey}`;
  return result;
}

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  if (message.role === 'tool') return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
  if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
    return {
      role: 'assistant',
      content: message.content === '' ? null : message.content,
      tool_calls: message.toolCalls.map((toolCall) => ({ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: JSON.stringify(toolCall.arguments) } })),
    };
  }
  if (message.role === 'user' && message.images && message.images.length > 0) {
    return {
      role: 'user',
      content: [
        { type: 'text', text: message.content },
        ...message.images.map((image) => ({ type: 'image_url', image_url: { url: `data:${image.mimeType};base64,${image.data}` } })),
      ],
    };
  }
  return { role: message.role, content: message.content };
}

function buildChatBody(call: AdapterCall<ChatRequest>): Record<string, unknown> {
  const { request, provider } = call;
  const messages = request.messages.map(toWireMessage);
  const body: Record<string, unknown> = { model: request.model, messages };

  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) {
    // OpenAI's reasoning models reject max_tokens; most other servers know only max_tokens.
    body[provider.id === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = request.maxTokens;
  }
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }));
    if (request.toolChoice !== undefined) {
      body.tool_choice = typeof request.toolChoice === 'string' ? request.toolChoice : { type: 'function', function: { name: request.toolChoice.name } };
    }
  }

  if (request.responseSchema !== undefined && !JSON_OBJECT_ONLY.has(provider.id)) {
    body.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: request.responseSchema } };
  } else if (request.responseSchema !== undefined || request.responseFormat === 'json') {
    // JSON mode needs the word "JSON" in the messages, and the schema has to travel as text.
    messages.unshift({ role: 'system', content: jsonInstruction(request.responseSchema) });
    body.response_format = { type: 'json_object' };
  }

  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

function parseChoice(call: AdapterCall<ChatRequest>, json: Record<string, unknown>): ChatResult {
  const { provider, request } = call;
  const choices = json.choices as Array<{ message?: { content?: unknown; tool_calls?: unknown }; finish_reason?: unknown }> | undefined;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new LlmError('invalid_provider_response', `${subject(provider.id, request.model)} returned no choices[0].message. Check that the base URL points at a Chat Completions API.`);
  }

  const toolCalls = Array.isArray(choice.message.tool_calls)
    ? (choice.message.tool_calls as Array<{ id?: string; function?: { name?: string; arguments?: string } }>).map((toolCall, index) => {
        const name = toolCall.function?.name ?? '';
        return { id: toolCall.id ?? `call_${index}`, name, arguments: parseToolArguments(provider.id, request.model, name, toolCall.function?.arguments ?? '') };
      })
    : [];
  const content = typeof choice.message.content === 'string' ? choice.message.content : '';
  const usage = json.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;

  return {
    model: typeof json.model === 'string' ? json.model : request.model,
    message: { role: 'assistant', content, ...(toolCalls.length > 0 ? { toolCalls } : {}) },
    finishReason: FINISH_REASONS[String(choice.finish_reason)] ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    ...usageOf(usage, request, content),
  };
}

function usageOf(usage: { prompt_tokens?: number; completion_tokens?: number } | undefined, request: ChatRequest, content: string): Pick<ChatResult, 'usage' | 'usageEstimated'> {
  if (usage && typeof usage.prompt_tokens === 'number') {
    return { usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens ?? 0 } };
  }
  return { usage: { inputTokens: estimateChatTokens(request.messages), outputTokens: estimateTokens(content) }, usageEstimated: true };
}

/** Assembles a streamed reply: `data:` chunks of `chat.completion.chunk` objects, ended by `data: [DONE]`. */
function streamAssembler(call: AdapterCall<ChatRequest>): StreamAssembler {
  const { provider, request } = call;
  let content = '';
  let model = request.model;
  let finishReason: string | undefined;
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  let done = false;
  const toolCalls: Array<{ id: string; name: string; arguments: string }> = [];

  return {
    add(event, index) {
      if (event.data === '[DONE]') {
        done = true;
        return '';
      }
      const chunk = parseChunk(provider.id, request.model, event.data, index);
      if (typeof chunk.error === 'object' && chunk.error !== null) {
        const message = String((chunk.error as { message?: unknown }).message ?? 'unknown error');
        throw new LlmError('unavailable', `${subject(provider.id, request.model)} reported an error in its stream: ${message}. Try again, or set stream to false.`);
      }
      if (typeof chunk.model === 'string') model = chunk.model;
      if (chunk.usage) usage = chunk.usage as typeof usage;

      const choice = (chunk.choices as Array<{ delta?: { content?: string; tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }> }; finish_reason?: string | null }> | undefined)?.[0];
      if (!choice) return '';
      const text = typeof choice.delta?.content === 'string' ? choice.delta.content : '';
      content += text;
      for (const delta of choice.delta?.tool_calls ?? []) {
        const slot = delta.index ?? toolCalls.length;
        toolCalls[slot] ??= { id: '', name: '', arguments: '' };
        if (delta.id) toolCalls[slot].id = delta.id;
        if (delta.function?.name) toolCalls[slot].name += delta.function.name;
        if (delta.function?.arguments) toolCalls[slot].arguments += delta.function.arguments;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
      return text;
    },

    finish(events) {
      if (!done) throw streamCutOff(provider.id, request.model, events, 'the final "data: [DONE]" event');

      const calls = toolCalls.filter(Boolean).map((toolCall, index) => ({
        id: toolCall.id || `call_${index}`,
        name: toolCall.name,
        arguments: parseToolArguments(provider.id, request.model, toolCall.name, toolCall.arguments),
      }));
      return {
        model,
        message: { role: 'assistant', content, ...(calls.length > 0 ? { toolCalls: calls } : {}) },
        finishReason: FINISH_REASONS[finishReason ?? ''] ?? (calls.length > 0 ? 'tool_calls' : 'stop'),
        ...usageOf(usage, request, content),
      };
    },
  };
}

export const openaiAdapter: Adapter = {
  async chat(call) {
    const target = { provider: call.provider.id, model: call.request.model, url: `${call.connection.baseUrl}/chat/completions` };
    const vendorCall = { ...target, credential: call.credential, headers: headers(call), body: buildChatBody(call), ...(call.options.timeoutMs === undefined ? {} : { timeoutMs: call.options.timeoutMs }) };
    if (call.request.stream) return streamChat(call, vendorCall, streamAssembler(call));
    const response = await postJson(call.ctx, vendorCall);
    return parseChoice(call, parseJsonBody(target, response.body));
  },

  async embed(call: AdapterCall<EmbedRequest>): Promise<EmbedResult> {
    const { provider, request } = call;
    const target = { provider: provider.id, model: request.model, url: `${call.connection.baseUrl}/embeddings` };
    const response = await postJson(call.ctx, { ...target, credential: call.credential, headers: headers(call), body: { model: request.model, input: request.input }, ...(call.options.timeoutMs === undefined ? {} : { timeoutMs: call.options.timeoutMs }) });
    const json = parseJsonBody(target, response.body);

    const data = json.data as Array<{ embedding?: unknown; index?: number }> | undefined;
    if (!Array.isArray(data) || data.length !== request.input.length || !data.every((entry) => Array.isArray(entry.embedding))) {
      throw new LlmError('invalid_provider_response', `${subject(provider.id, request.model)} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${request.input.length} inputs. Check that the model is an embedding model.`);
    }
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const usage = json.usage as { prompt_tokens?: number } | undefined;
    const inputTokens = typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : undefined;
    return {
      model: typeof json.model === 'string' ? json.model : request.model,
      vectors: ordered.map((entry) => entry.embedding as number[]),
      usage: { inputTokens: inputTokens ?? request.input.reduce((sum, text) => sum + estimateTokens(text), 0) },
      ...(inputTokens === undefined ? { usageEstimated: true } : {}),
    };
  },
};
