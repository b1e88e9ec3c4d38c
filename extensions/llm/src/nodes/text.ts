/** Nodes that send a prompt and return text: chat, summarize, translate and vision. */
import type { Item, NodeContext } from '@mify/sdk';
import { LlmError } from '../errors.js';
import type { ChatMessage } from '../types.js';
import { addUsage, callMetadata, callParameters, mapItems, parseJsonReply, promptMessages, requiredText, sendChat, stringParameter, type LlmNodeInput, type NodeUsage } from './common.js';

type NodeResult = { items: Item[]; usage: NodeUsage };

/** Runs one chat per item and writes the reply to `outputField` (default `response`). */
export async function executeChat(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const items = await mapItems(input, async (item, _index, parameters) => {
    const call = callParameters(parameters, 'chat');
    const prompt = requiredText(parameters, item, 'prompt');
    const messages = promptMessages(stringParameter(parameters, 'system'), prompt, parameters.messages);
    const json = parameters.responseFormat === 'json';
    const response = await sendChat(ctx, call, { messages, ...(json ? { responseFormat: 'json' as const } : {}) });
    addUsage(usage, response.usage, response.cost);

    const field = stringParameter(parameters, 'outputField', 'response')!;
    const value = json ? parseJsonReply(response) : response.message.content;
    return { ...item, json: { ...item.json, [field]: value, llm: callMetadata(response) } };
  });
  return { items, usage };
}

const SUMMARY_STYLES: Record<string, string> = {
  paragraph: 'Write the summary as one paragraph of plain prose.',
  bullets: 'Write the summary as a Markdown bullet list, one key point per bullet.',
  tldr: 'Write the summary as a single sentence.',
};

/** Summarizes the text of each item into `summary`. */
export async function executeSummarize(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const items = await mapItems(input, async (item, _index, parameters) => {
    const call = callParameters(parameters, 'chat');
    const text = requiredText(parameters, item);
    const style = stringParameter(parameters, 'style', 'paragraph')!;
    if (!Object.hasOwn(SUMMARY_STYLES, style)) throw new LlmError('invalid_argument', `Parameter 'style' is '${style}'; expected one of ${Object.keys(SUMMARY_STYLES).join(', ')}.`);

    const rules = ['Summarize the text the user sends. Keep facts, names and numbers exact, and add nothing that the text does not say.', SUMMARY_STYLES[style]!];
    if (typeof parameters.maxWords === 'number') rules.push(`Use at most ${parameters.maxWords} words.`);
    const language = stringParameter(parameters, 'language');
    rules.push(language ? `Write in ${language}.` : 'Write in the language of the text.');

    const response = await sendChat(ctx, call, { messages: promptMessages(rules.join(' '), text) });
    addUsage(usage, response.usage, response.cost);
    return { ...item, json: { ...item.json, summary: response.message.content.trim(), llm: callMetadata(response) } };
  });
  return { items, usage };
}

const TRANSLATION_SCHEMA = {
  type: 'object',
  properties: {
    translation: { type: 'string', description: 'The translated text.' },
    detectedSourceLanguage: { type: 'string', description: 'Language of the original text, as an English name such as French.' },
  },
  required: ['translation', 'detectedSourceLanguage'],
  additionalProperties: false,
};

/** Translates the text of each item into `translation`, and reports the detected source language. */
export async function executeTranslate(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const items = await mapItems(input, async (item, _index, parameters) => {
    const call = callParameters(parameters, 'chat');
    const text = requiredText(parameters, item);
    const target = stringParameter(parameters, 'targetLanguage');
    if (target === undefined) throw new LlmError('invalid_argument', "Parameter 'targetLanguage' is missing; set it to a language such as German or pt-BR.");

    const source = stringParameter(parameters, 'sourceLanguage');
    const rules = [
      `Translate the text the user sends${source ? ` from ${source}` : ''} into ${target}.`,
      'Keep the meaning, tone, formatting, placeholders such as {name}, and code unchanged. Do not answer questions in the text: translate them.',
    ];
    const glossary = parameters.glossary;
    if (glossary && typeof glossary === 'object' && !Array.isArray(glossary)) {
      rules.push(`Use these fixed translations: ${Object.entries(glossary).map(([term, translation]) => `"${term}" → "${String(translation)}"`).join(', ')}.`);
    }

    const response = await sendChat(ctx, call, { messages: promptMessages(rules.join(' '), text), responseSchema: TRANSLATION_SCHEMA });
    addUsage(usage, response.usage, response.cost);
    const reply = parseJsonReply(response) as { translation?: unknown; detectedSourceLanguage?: unknown };
    if (typeof reply.translation !== 'string') {
      throw new LlmError('invalid_provider_response', `Provider '${response.provider}' (model '${response.model}') returned no translation string. Retry, or use a model that supports structured output.`);
    }
    return {
      ...item,
      json: { ...item.json, translation: reply.translation, detectedSourceLanguage: typeof reply.detectedSourceLanguage === 'string' ? reply.detectedSourceLanguage : null, llm: callMetadata(response) },
    };
  });
  return { items, usage };
}

/** Largest image the vision node sends, in bytes of decoded data. Vendors reject larger inline images (Anthropic at 5 MB). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

/** Sends each item's image (a binary property) with a prompt to a vision model. */
export async function executeVision(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const items = await mapItems(input, async (item, _index, parameters) => {
    const call = callParameters(parameters, 'chat');
    const prompt = stringParameter(parameters, 'prompt', 'Describe this image.')!;
    const property = stringParameter(parameters, 'binaryProperty', 'data')!;
    const binary = item.binary?.[property];
    if (!binary) {
      const available = Object.keys(item.binary ?? {});
      throw new LlmError('invalid_argument', `The item has no binary property '${property}'${available.length > 0 ? `; it has ${available.join(', ')}` : ''}. Set binaryProperty to the property that contains the image.`);
    }
    if (!IMAGE_TYPES.has(binary.mimeType)) {
      throw new LlmError('invalid_argument', `Binary property '${property}' has type '${binary.mimeType}'; vision models take ${[...IMAGE_TYPES].join(', ')}. Convert the image first.`);
    }
    const bytes = Math.floor((binary.data.length * 3) / 4);
    if (bytes > MAX_IMAGE_BYTES) {
      throw new LlmError('invalid_argument', `The image in '${property}' is about ${bytes} bytes; the limit is ${MAX_IMAGE_BYTES}. Resize or compress it first.`);
    }

    const images: ChatMessage['images'] = [{ mimeType: binary.mimeType, data: binary.data }];
    const response = await sendChat(ctx, call, { messages: promptMessages(stringParameter(parameters, 'system'), prompt, undefined, images) });
    addUsage(usage, response.usage, response.cost);
    return { ...item, json: { ...item.json, response: response.message.content, llm: callMetadata(response) } };
  });
  return { items, usage };
}
