/**
 * The mify.llm extension: LLM and embedding providers for three wire formats (OpenAI
 * Chat Completions and its compatible servers, Anthropic Messages, Google Gemini) and the
 * LLM nodes that use them.
 */
import { defineExtension, type NodeContext, type NodeInput } from '@mify/sdk';
import { providerImplementation } from './adapters/index.js';
import { PROVIDERS } from './catalog.js';
import type { LlmNodeInput } from './nodes/common.js';
import { executeEmbed } from './nodes/embed.js';
import { executeImageGenerate, executeSpeechToText, executeTextToSpeech } from './nodes/media.js';
import { executeClassify, executeExtract, executeModerate } from './nodes/structured.js';
import { executeChat, executeSummarize, executeTranslate, executeVision } from './nodes/text.js';
import { executeTokenCount } from './nodes/token-count.js';
import { executeToolCalling } from './nodes/tools.js';

type Execute = (ctx: NodeContext, input: LlmNodeInput) => unknown;

/** Adapts a node function to the SDK's `execute(ctx, input)`, whose input also carries the kernel's parameters. */
function node(execute: Execute) {
  return { execute: (ctx: NodeContext, input: NodeInput) => execute(ctx, input as LlmNodeInput) as never };
}

export default defineExtension({
  providers: Object.fromEntries(PROVIDERS.map((provider) => [provider.id, providerImplementation(provider.id)])),
  nodes: {
    'mify.llm.chat': node(executeChat),
    'mify.llm.embed': node(executeEmbed),
    'mify.llm.extract': node(executeExtract),
    'mify.llm.classify': node(executeClassify),
    'mify.llm.summarize': node(executeSummarize),
    'mify.llm.translate': node(executeTranslate),
    'mify.llm.moderate': node(executeModerate),
    'mify.llm.tool-calling': node(executeToolCalling),
    'mify.llm.vision': node(executeVision),
    'mify.llm.token-count': node((_ctx, input) => executeTokenCount(input)),
    'mify.llm.image-generate': node(executeImageGenerate),
    'mify.llm.speech-to-text': node(executeSpeechToText),
    'mify.llm.text-to-speech': node(executeTextToSpeech),
  },
});
