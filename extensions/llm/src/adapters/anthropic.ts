/**
 * Adapter for the Anthropic Messages API: `POST {baseUrl}/v1/messages` with the
 * `x-api-key` and `anthropic-version` headers. The API has no JSON Schema response
 * format, so structured output is requested as a forced call of a tool whose input
 * schema is the response schema. Anthropic offers no embeddings API.
 */
import { LlmError, subject } from '../errors.js';
import { parseJsonBody, postJson } from '../http.js';
import type { ChatMessage, ChatRequest, ChatResponse, JsonObject } from '../types.js';
import { jsonInstruction, parseChunk, parseToolArguments, streamChat, streamCutOff, type Adapter, type AdapterCall, type ChatResult, type StreamAssembler } from './shared.js';

/** Version of the Messages API this adapter speaks. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** `max_tokens` is required by the API; this is used when the request sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

/** Name of the tool that carries structured output. */
export const STRUCTURED_OUTPUT_TOOL = 'structured_output';

const STOP_REASONS: Record<string, ChatResponse['finishReason']> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

type Block = Record<string, unknown>;

function toBlocks(message: ChatMessage): Block[] {
  if (message.role === 'tool') return [{ type: 'tool_result', tool_use_id: message.toolCallId ?? '', content: message.content }];

  const blocks: Block[] = [];
  if (message.content !== '') blocks.push({ type: 'text', text: message.content });
  for (const image of message.images ?? []) blocks.push({ type: 'image', source: { type: 'base64', media_type: image.mimeType, data: image.data } });
  for (const toolCall of message.toolCalls ?? []) blocks.push({ type: 'tool_use', id: toolCall.id, name: toolCall.name, input: toolCall.arguments });
  return blocks;
}

/** Converts messages, merging neighbours of the same role, because the API requires user and assistant turns to alternate. */
function toWireMessages(messages: ChatMessage[]): Array<{ role: 'user' | 'assistant'; content: Block[] }> {
  const result: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const previous = result.at(-1);
    if (previous && previous.role === role) previous.content.push(...toBlocks(message));
    else result.push({ role, content: toBlocks(message) });
  }
  return result;
}

function buildBody(request: ChatRequest): Record<string, unknown> {
  const system = request.messages.filter((message) => message.role === 'system').map((message) => message.content);
  const body: Record<string, unknown> = { model: request.model, max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS, messages: toWireMessages(request.messages) };
  if (request.temperature !== undefined) body.temperature = Math.min(request.temperature, 1);

  const tools: Block[] = (request.tools ?? []).map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters }));
  if (request.toolChoice !== undefined && tools.length > 0) {
    const choice = request.toolChoice;
    if (choice === 'auto') body.tool_choice = { type: 'auto' };
    else if (choice === 'none') body.tool_choice = { type: 'none' };
    else if (choice === 'required') body.tool_choice = { type: 'any' };
    else body.tool_choice = { type: 'tool', name: choice.name };
  }

  if (request.responseSchema !== undefined) {
    tools.push({ name: STRUCTURED_OUTPUT_TOOL, description: 'Returns the final answer as structured data. Call it exactly once.', input_schema: request.responseSchema });
    body.tool_choice = { type: 'tool', name: STRUCTURED_OUTPUT_TOOL };
  } else if (request.responseFormat === 'json') {
    system.push(jsonInstruction(undefined));
  }

  if (tools.length > 0) body.tools = tools;
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.stream) body.stream = true;
  return body;
}

/** Turns content blocks into a reply; a call of the structured-output tool becomes the JSON content. */
function toResult(request: ChatRequest, blocks: Array<{ type: string; text?: string; id?: string; name?: string; input?: JsonObject }>, stopReason: string | undefined): Pick<ChatResult, 'message' | 'finishReason'> {
  let content = blocks.filter((block) => block.type === 'text').map((block) => block.text ?? '').join('');
  const toolCalls = blocks.filter((block) => block.type === 'tool_use').map((block) => ({ id: block.id ?? '', name: block.name ?? '', arguments: block.input ?? {} }));

  const structured = request.responseSchema !== undefined ? toolCalls.find((toolCall) => toolCall.name === STRUCTURED_OUTPUT_TOOL) : undefined;
  if (structured) {
    content = JSON.stringify(structured.arguments);
    const others = toolCalls.filter((toolCall) => toolCall !== structured);
    return { message: { role: 'assistant', content, ...(others.length > 0 ? { toolCalls: others } : {}) }, finishReason: stopReason === 'max_tokens' ? 'length' : 'stop' };
  }
  return {
    message: { role: 'assistant', content, ...(toolCalls.length > 0 ? { toolCalls } : {}) },
    finishReason: STOP_REASONS[stopReason ?? ''] ?? 'stop',
  };
}

function parseMessage(call: AdapterCall<ChatRequest>, json: Record<string, unknown>): ChatResult {
  const { provider, request } = call;
  if (!Array.isArray(json.content)) {
    throw new LlmError('invalid_provider_response', `${subject(provider.id, request.model)} returned no content array. Check that the base URL points at the Anthropic Messages API.`);
  }
  const usage = json.usage as { input_tokens?: number; output_tokens?: number } | undefined;
  return {
    model: typeof json.model === 'string' ? json.model : request.model,
    ...toResult(request, json.content as Array<{ type: string }>, json.stop_reason as string | undefined),
    usage: { inputTokens: usage?.input_tokens ?? 0, outputTokens: usage?.output_tokens ?? 0 },
  };
}

/**
 * Assembles a streamed reply: `message_start`, then per content block
 * `content_block_start`, `content_block_delta` (text or partial tool JSON) and
 * `content_block_stop`, then `message_delta` with the stop reason and `message_stop`.
 */
function streamAssembler(call: AdapterCall<ChatRequest>): StreamAssembler {
  const { provider, request } = call;
  const blocks: Array<{ type: string; text?: string; id?: string; name?: string; json?: string }> = [];
  let model = request.model;
  let inputTokens = 0;
  let outputTokens = 0;
  let stopReason: string | undefined;
  let done = false;

  return {
    add(event, index) {
      const data = parseChunk(provider.id, request.model, event.data, index);
      const type = typeof data.type === 'string' ? data.type : event.event;

      if (type === 'error') {
        const error = data.error as { type?: string; message?: string } | undefined;
        const code = error?.type === 'rate_limit_error' ? 'rate_limited' : 'unavailable';
        throw new LlmError(code, `${subject(provider.id, request.model)} reported ${error?.type ?? 'an error'} in its stream: ${error?.message ?? 'no message'}. Try again later, or set stream to false.`);
      }
      if (type === 'message_start') {
        const message = data.message as { model?: string; usage?: { input_tokens?: number; output_tokens?: number } } | undefined;
        if (message?.model) model = message.model;
        inputTokens = message?.usage?.input_tokens ?? inputTokens;
        outputTokens = message?.usage?.output_tokens ?? outputTokens;
      } else if (type === 'content_block_start') {
        const block = data.content_block as { type: string; text?: string; id?: string; name?: string };
        blocks[Number(data.index)] = { type: block.type, text: block.text ?? '', ...(block.id ? { id: block.id } : {}), ...(block.name ? { name: block.name } : {}), json: '' };
        return block.type === 'text' ? (block.text ?? '') : '';
      } else if (type === 'content_block_delta') {
        const block = blocks[Number(data.index)];
        const delta = data.delta as { type?: string; text?: string; partial_json?: string };
        if (block && delta.type === 'text_delta') {
          block.text = (block.text ?? '') + (delta.text ?? '');
          return delta.text ?? '';
        }
        if (block && delta.type === 'input_json_delta') block.json = (block.json ?? '') + (delta.partial_json ?? '');
      } else if (type === 'message_delta') {
        const delta = data.delta as { stop_reason?: string } | undefined;
        if (delta?.stop_reason) stopReason = delta.stop_reason;
        const usage = data.usage as { output_tokens?: number } | undefined;
        if (typeof usage?.output_tokens === 'number') outputTokens = usage.output_tokens;
      } else if (type === 'message_stop') {
        done = true;
      }
      return '';
    },

    finish(events) {
      if (!done) throw streamCutOff(provider.id, request.model, events, 'the final message_stop event');

      const finished = blocks.filter(Boolean).map((block) =>
        block.type === 'tool_use' ? { type: 'tool_use', id: block.id, name: block.name, input: parseToolArguments(provider.id, request.model, block.name ?? '', block.json ?? '') } : { type: block.type, text: block.text },
      );
      return { model, ...toResult(request, finished as Array<{ type: string }>, stopReason), usage: { inputTokens, outputTokens } };
    },
  };
}

export const anthropicAdapter: Adapter = {
  async chat(call) {
    const { connection } = call;
    const target = { provider: call.provider.id, model: call.request.model, url: `${connection.baseUrl}/v1/messages` };
    const headers: Record<string, string> = { ...connection.headers, 'anthropic-version': ANTHROPIC_VERSION };
    if (connection.apiKey !== null) headers['x-api-key'] = connection.apiKey;

    const vendorCall = { ...target, credential: call.credential, headers, body: buildBody(call.request), ...(call.options.timeoutMs === undefined ? {} : { timeoutMs: call.options.timeoutMs }) };
    if (call.request.stream) return streamChat(call, vendorCall, streamAssembler(call));
    const response = await postJson(call.ctx, vendorCall);
    return parseMessage(call, parseJsonBody(target, response.body));
  },

  async embed(call) {
    throw new LlmError('invalid_argument', `${subject(call.provider.id, call.request.model)} cannot embed: Anthropic has no embeddings API. Use another provider for embeddings, such as openai, gemini or mistral.`);
  },
};
