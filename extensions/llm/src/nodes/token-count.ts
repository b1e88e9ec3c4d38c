/** The token count node: an estimate computed in the sandbox, with no provider call (see tokens.ts for the rules). */
import type { Item } from '@mify/sdk';
import { estimateChatTokens, estimateTokens } from '../tokens.js';
import { checkMessages, parametersFor, stringParameter, type LlmNodeInput } from './common.js';
import { LlmError } from '../errors.js';

export function executeTokenCount(input: LlmNodeInput): { items: Item[] } {
  const items = input.items.map((item, index) => {
    const parameters = parametersFor(input, index);
    const messages = parameters.messages;
    let tokens: number;
    let characters: number;

    if (Array.isArray(messages)) {
      const checked = checkMessages(messages);
      tokens = estimateChatTokens(checked);
      characters = checked.reduce((sum, message) => sum + message.content.length, 0);
    } else {
      const text = stringParameter(parameters, 'text') ?? (typeof item.json.text === 'string' ? item.json.text : undefined);
      if (text === undefined) throw new LlmError('invalid_argument', "Parameter 'text' is empty and the item has no \"text\" field; set text or messages.");
      tokens = estimateTokens(text);
      characters = text.length;
    }

    const result: Record<string, unknown> = { tokens, characters, method: 'estimate' };
    const limit = parameters.maxTokens;
    if (typeof limit === 'number') {
      result.maxTokens = limit;
      result.withinLimit = tokens <= limit;
    }
    return { ...item, json: { ...item.json, tokenCount: result } };
  });
  return { items };
}
