/**
 * Adapter for the Google Gemini API (Google AI Studio keys): `generateContent`,
 * `streamGenerateContent?alt=sse`, `embedContent` and `batchEmbedContents` under
 * `{baseUrl}/v1beta/models/{model}`, with the key in the `x-goog-api-key` header.
 */
import { LlmError, subject } from '../errors.js';
import { parseJsonBody, postJson } from '../http.js';
import { estimateTokens } from '../tokens.js';
import type { ChatMessage, ChatRequest, ChatResponse, JsonObject } from '../types.js';
import { parseChunk, streamChat, streamCutOff, toolCallId, toolNameFor, type Adapter, type AdapterCall, type ChatResult } from './shared.js';

const FINISH_REASONS: Record<string, ChatResponse['finishReason']> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
};

/** Schema keywords the Gemini API's OpenAPI-style `Schema` object accepts. */
const SCHEMA_KEYS = new Set(['type', 'format', 'description', 'nullable', 'enum', 'properties', 'required', 'items', 'minItems', 'maxItems', 'minimum', 'maximum', 'anyOf', 'propertyOrdering', 'title']);

type Part = Record<string, unknown>;

/** Strips the `models/` prefix some users copy from the Gemini model list. */
function modelPath(model: string): string {
  return encodeURIComponent(model.replace(/^models\//, ''));
}

/**
 * Converts a JSON Schema to the OpenAPI subset the Gemini API accepts: inlines local
 * `$ref`s, turns `const` into a one-value `enum` and `["T", "null"]` into `nullable`, and
 * drops other keywords such as `additionalProperties`. The reply is still validated
 * against the full schema afterwards.
 */
export function toGeminiSchema(schema: unknown, root: JsonObject = schema as JsonObject, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 32) return schema;
  let source = schema as JsonObject;
  if (typeof source.$ref === 'string') {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(source.$ref);
    const target = match ? (root[match[1]!] as JsonObject | undefined)?.[match[2]!] : undefined;
    if (target) source = target as JsonObject;
  }

  const result: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'const') result.enum = [value];
    else if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((type) => type !== 'null');
      if (types.length !== value.length) result.nullable = true;
      result.type = types[0] ?? 'string';
    } else if (key === 'properties' && typeof value === 'object' && value !== null) {
      result.properties = Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, toGeminiSchema(entry, root, depth + 1)])) as JsonObject;
    } else if (key === 'items' || key === 'anyOf') {
      result[key] = (Array.isArray(value) ? value.map((entry) => toGeminiSchema(entry, root, depth + 1)) : toGeminiSchema(value, root, depth + 1)) as JsonObject;
    } else if (SCHEMA_KEYS.has(key)) {
      result[key] = value;
    }
  }
  return result;
}

function toParts(message: ChatMessage, messages: ChatMessage[]): Part[] {
  if (message.role === 'tool') {
    let response: unknown;
    try {
      response = JSON.parse(message.content);
    } catch {
      response = message.content;
    }
    const wrapped = typeof response === 'object' && response !== null && !Array.isArray(response) ? response : { content: response };
    return [{ functionResponse: { name: toolNameFor(messages, message.toolCallId) ?? message.toolCallId ?? 'tool', response: wrapped } }];
  }

  const parts: Part[] = [];
  if (message.content !== '') parts.push({ text: message.content });
  for (const image of message.images ?? []) parts.push({ inline_data: { mime_type: image.mimeType, data: image.data } });
  for (const toolCall of message.toolCalls ?? []) parts.push({ functionCall: { name: toolCall.name, args: toolCall.arguments } });
  return parts;
}

function buildBody(request: ChatRequest): Record<string, unknown> {
  const contents: Array<{ role: 'user' | 'model'; parts: Part[] }> = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'model' : 'user';
    const previous = contents.at(-1);
    if (previous && previous.role === role) previous.parts.push(...toParts(message, request.messages));
    else contents.push({ role, parts: toParts(message, request.messages) });
  }

  const body: Record<string, unknown> = { contents };
  const system = request.messages.filter((message) => message.role === 'system').map((message) => ({ text: message.content }));
  if (system.length > 0) body.systemInstruction = { parts: system };

  const generationConfig: Record<string, unknown> = {};
  if (request.temperature !== undefined) generationConfig.temperature = request.temperature;
  if (request.maxTokens !== undefined) generationConfig.maxOutputTokens = request.maxTokens;
  if (request.responseSchema !== undefined || request.responseFormat === 'json') generationConfig.responseMimeType = 'application/json';
  if (request.responseSchema !== undefined) generationConfig.responseSchema = toGeminiSchema(request.responseSchema);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;

  if (request.tools && request.tools.length > 0) {
    body.tools = [{ functionDeclarations: request.tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: toGeminiSchema(tool.parameters) })) }];
    const choice = request.toolChoice;
    if (choice !== undefined) {
      const config = choice === 'auto' ? { mode: 'AUTO' } : choice === 'none' ? { mode: 'NONE' } : choice === 'required' ? { mode: 'ANY' } : { mode: 'ANY', allowedFunctionNames: [choice.name] };
      body.toolConfig = { functionCallingConfig: config };
    }
  }
  return body;
}

interface Accumulated {
  text: string;
  calls: Array<{ name: string; args: JsonObject }>;
  finishReason?: string;
  usage?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
  model?: string;
  blockReason?: string;
}

/** Adds one GenerateContentResponse (a whole reply, or one streamed chunk) to the reply so far, and returns the reply text it added. */
function accumulate(into: Accumulated, json: Record<string, unknown>): string {
  const candidate = (json.candidates as Array<{ content?: { parts?: Part[] }; finishReason?: string }> | undefined)?.[0];
  let added = '';
  for (const part of candidate?.content?.parts ?? []) {
    // Parts marked `thought` contain the model's reasoning summary, not the reply.
    if (typeof part.text === 'string' && part.thought !== true) added += part.text;
    const functionCall = part.functionCall as { name?: string; args?: JsonObject } | undefined;
    if (functionCall) into.calls.push({ name: functionCall.name ?? '', args: functionCall.args ?? {} });
  }
  if (candidate?.finishReason) into.finishReason = candidate.finishReason;
  if (json.usageMetadata) into.usage = json.usageMetadata as Accumulated['usage'];
  if (typeof json.modelVersion === 'string') into.model = json.modelVersion;
  const feedback = json.promptFeedback as { blockReason?: string } | undefined;
  if (feedback?.blockReason) into.blockReason = feedback.blockReason;
  into.text += added;
  return added;
}

function toResult(call: AdapterCall<ChatRequest>, reply: Accumulated): ChatResult {
  const { request } = call;
  const toolCalls = reply.calls.map((entry, index) => ({ id: toolCallId(index, entry.name), name: entry.name, arguments: entry.args }));
  let finishReason: ChatResponse['finishReason'] = FINISH_REASONS[reply.finishReason ?? ''] ?? 'stop';
  if (reply.blockReason) finishReason = 'content_filter';
  else if (toolCalls.length > 0 && finishReason === 'stop') finishReason = 'tool_calls';

  const usage = reply.usage;
  return {
    model: reply.model ?? request.model,
    message: { role: 'assistant', content: reply.text, ...(toolCalls.length > 0 ? { toolCalls } : {}) },
    finishReason,
    usage: { inputTokens: usage?.promptTokenCount ?? 0, outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0) },
  };
}

function headers(call: AdapterCall<unknown>): Record<string, string> {
  const result: Record<string, string> = { ...call.connection.headers };
  if (call.connection.apiKey !== null) result['x-goog-api-key'] = call.connection.apiKey;
  return result;
}

export const geminiAdapter: Adapter = {
  async chat(call) {
    const { provider, request, connection } = call;
    const method = request.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
    const target = { provider: provider.id, model: request.model, url: `${connection.baseUrl}/v1beta/models/${modelPath(request.model)}:${method}` };
    const vendorCall = { ...target, credential: call.credential, headers: headers(call), body: buildBody(request), ...(call.options.timeoutMs === undefined ? {} : { timeoutMs: call.options.timeoutMs }) };
    const reply: Accumulated = { text: '', calls: [] };

    if (!request.stream) {
      const response = await postJson(call.ctx, vendorCall);
      const json = parseJsonBody(target, response.body);
      if (!Array.isArray(json.candidates) && !json.promptFeedback) {
        throw new LlmError('invalid_provider_response', `${subject(provider.id, request.model)} returned no candidates. Check that the base URL points at the Gemini API.`);
      }
      accumulate(reply, json);
      return toResult(call, reply);
    }

    // Each event is a whole GenerateContentResponse. The stream has no end marker, so the
    // last chunk must carry a finish reason (or a block reason) for the reply to be complete.
    return streamChat(call, vendorCall, {
      add: (event, index) => accumulate(reply, parseChunk(provider.id, request.model, event.data, index)),
      finish(events) {
        if (!reply.finishReason && !reply.blockReason) throw streamCutOff(provider.id, request.model, events, 'a chunk with a finishReason');
        return toResult(call, reply);
      },
    });
  },

  async embed(call) {
    const { provider, request, connection } = call;
    const single = request.input.length === 1;
    const url = `${connection.baseUrl}/v1beta/models/${modelPath(request.model)}:${single ? 'embedContent' : 'batchEmbedContents'}`;
    const body = single
      ? { content: { parts: [{ text: request.input[0] }] } }
      : { requests: request.input.map((text) => ({ model: `models/${request.model.replace(/^models\//, '')}`, content: { parts: [{ text }] } })) };
    const target = { provider: provider.id, model: request.model, url };
    const response = await postJson(call.ctx, { ...target, credential: call.credential, headers: headers(call), body, ...(call.options.timeoutMs === undefined ? {} : { timeoutMs: call.options.timeoutMs }) });
    const json = parseJsonBody(target, response.body);

    const embeddings = single ? [json.embedding as { values?: unknown } | undefined] : ((json.embeddings as Array<{ values?: unknown }> | undefined) ?? []);
    if (embeddings.length !== request.input.length || !embeddings.every((entry) => Array.isArray(entry?.values))) {
      throw new LlmError('invalid_provider_response', `${subject(provider.id, request.model)} returned ${embeddings.length} embeddings for ${request.input.length} inputs. Check that the model is an embedding model such as gemini-embedding-001.`);
    }
    // The embedding endpoints report no token counts, so usage is estimated.
    return {
      model: request.model,
      vectors: embeddings.map((entry) => entry!.values as number[]),
      usage: { inputTokens: request.input.reduce((sum, text) => sum + estimateTokens(text), 0) },
      usageEstimated: true,
    };
  },
};
