/**
 * The tool-calling node: one model turn with tools. Items whose reply calls tools leave
 * through `toolCalls`, the others through `response`. Each item carries the conversation
 * so far in `messages`, so a graph can run the tools and feed their results back with
 * `tool` messages for the next turn.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { LlmError } from '../errors.js';
import type { ChatRequest, ChatTool } from '@mify/sdk';
import { addUsage, callMetadata, callParameters, checkMessages, mapItems, promptMessages, sendChat, stringParameter, type LlmNodeInput, type NodeUsage } from './common.js';

const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function toolsParameter(value: unknown): ChatTool[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new LlmError('invalid_argument', "Parameter 'tools' must list at least one tool as { name, description, parameters }.");
  }
  return value.map((entry, index) => {
    const tool = entry as Partial<ChatTool> | null;
    if (typeof tool !== 'object' || tool === null || typeof tool.name !== 'string' || !TOOL_NAME_PATTERN.test(tool.name)) {
      throw new LlmError('invalid_argument', `tools[${index}].name must be 1-64 letters, digits, _ or -, got ${JSON.stringify(tool?.name)}.`);
    }
    const parameters = tool.parameters ?? { type: 'object', properties: {} };
    if (typeof parameters !== 'object' || Array.isArray(parameters) || (parameters as { type?: unknown }).type !== 'object') {
      throw new LlmError('invalid_argument', `tools[${index}].parameters must be a JSON Schema with "type": "object".`);
    }
    return { name: tool.name, description: typeof tool.description === 'string' ? tool.description : '', parameters };
  });
}

function toolChoiceParameter(value: unknown, tools: ChatTool[]): ChatRequest['toolChoice'] {
  if (value === undefined || value === '' || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (typeof value === 'string' && tools.some((tool) => tool.name === value)) return { name: value };
  throw new LlmError('invalid_argument', `Parameter 'toolChoice' is ${JSON.stringify(value)}; expected auto, none, required or the name of one of the tools (${tools.map((tool) => tool.name).join(', ')}).`);
}

export async function executeToolCalling(ctx: NodeContext, input: LlmNodeInput): Promise<{ response: Item[]; toolCalls: Item[]; usage: NodeUsage }> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const results = await mapItems(input, async (item, _index, parameters) => {
    const call = callParameters(parameters, 'chat');
    const tools = toolsParameter(parameters.tools);
    const toolChoice = toolChoiceParameter(parameters.toolChoice, tools);

    // A conversation in progress (from an earlier turn) continues; otherwise the prompt starts one.
    const history = parameters.messages ?? item.json.messages;
    const messages = Array.isArray(history) && history.length > 0
      ? checkMessages(history)
      : promptMessages(stringParameter(parameters, 'system'), stringParameter(parameters, 'prompt') ?? (typeof item.json.text === 'string' ? item.json.text : ''));
    if (messages.at(-1)?.content === '' && messages.at(-1)?.role === 'user') {
      throw new LlmError('invalid_argument', "Parameter 'prompt' is empty and the item has no messages; set a prompt or pass the conversation in 'messages'.");
    }

    const response = await sendChat(ctx, call, { messages, tools, ...(toolChoice === undefined ? {} : { toolChoice }) });
    addUsage(usage, response.usage, response.cost);
    const toolCalls = response.message.toolCalls ?? [];
    return {
      ...item,
      json: {
        ...item.json,
        response: response.message.content,
        toolCalls,
        messages: [...messages, response.message],
        llm: callMetadata(response),
      },
    };
  });

  const response: Item[] = [];
  const toolCalls: Item[] = [];
  for (const item of results) {
    if (Array.isArray(item.json.toolCalls) && item.json.toolCalls.length > 0) toolCalls.push(item);
    else response.push(item);
  }
  return { response, toolCalls, usage };
}
