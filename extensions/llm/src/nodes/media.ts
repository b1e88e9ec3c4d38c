/**
 * Media nodes: image generation, speech-to-text and text-to-speech. They call this
 * extension's providers directly; the kernel's gateway has no media operations.
 */
import type { BinaryData, Item, NodeContext } from '@mify/sdk';
import { findProvider, type ProviderDefinition } from '../catalog.js';
import { LlmError } from '../errors.js';
import { computeCost } from '../pricing.js';
import type { CallCost, Price } from '../types.js';
import { base64Size, base64ToBytes } from '../media/bytes.js';
import { generateImages, synthesizeSpeech, transcribe, type MediaCall, type MediaUsage } from '../media/vendors.js';
import { addUsage, DEFAULT_PROVIDER, mapItems, requiredText, stringParameter, type LlmNodeInput, type NodeUsage } from './common.js';

/** Largest audio file the speech-to-text node uploads, in bytes: the multipart body must stay under the kernel's 10 MiB request limit. */
export const MAX_AUDIO_BYTES = 8 * 1024 * 1024;

/** Maximum text of one text-to-speech request, in characters (the OpenAI speech API's limit). */
export const MAX_SPEECH_CHARS = 4096;

/** Maximum images per image-generation request, because more would risk the kernel's 10 MiB response limit. */
export const MAX_IMAGES_PER_REQUEST = 4;

/** Model used when the node sets none, per provider and operation. Other providers need `model`. */
const DEFAULT_MODELS: Record<'image' | 'transcription' | 'speech', Record<string, string>> = {
  image: { openai: 'gpt-image-1', gemini: 'gemini-2.0-flash-preview-image-generation' },
  transcription: { openai: 'gpt-4o-mini-transcribe' },
  speech: { openai: 'gpt-4o-mini-tts' },
};

const AUDIO_INPUT_TYPES = new Set(['audio/mpeg', 'audio/mp3', 'audio/mp4', 'audio/m4a', 'audio/x-m4a', 'audio/wav', 'audio/x-wav', 'audio/wave', 'audio/webm', 'audio/ogg', 'audio/flac', 'audio/x-flac', 'video/mp4', 'video/webm']);
const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];

type NodeResult = { items: Item[]; usage: NodeUsage };

/** Reads provider, model, credential and time limit for a media operation. */
function mediaCall(ctx: NodeContext, parameters: Record<string, unknown>, operation: keyof typeof DEFAULT_MODELS): MediaCall & { price?: Price } {
  const providerId = stringParameter(parameters, 'provider', DEFAULT_PROVIDER)!;
  const provider: ProviderDefinition | undefined = findProvider(providerId);
  if (!provider) throw new LlmError('invalid_argument', `Parameter 'provider' is '${providerId}'; media nodes work only with this extension's providers, such as openai or gemini.`);

  const model = stringParameter(parameters, 'model') ?? DEFAULT_MODELS[operation][provider.id];
  if (model === undefined) {
    throw new LlmError('invalid_argument', `Parameter 'model' is empty and provider '${provider.id}' has no default ${operation} model; set model to the vendor's model id.`);
  }
  const call: MediaCall & { price?: Price } = { ctx, provider, model };
  const credential = stringParameter(parameters, 'credential');
  if (credential !== undefined) call.credential = credential;
  if (typeof parameters.timeoutMs === 'number') call.timeoutMs = parameters.timeoutMs;
  const price = parameters.price as Partial<Price> | undefined;
  if (price && typeof price.inputPerMillion === 'number' && typeof price.outputPerMillion === 'number') call.price = { inputPerMillion: price.inputPerMillion, outputPerMillion: price.outputPerMillion };
  return call;
}

/** Cost and usage metadata of a media call: token usage is priced like chat; seconds or none give cost `unknown`. */
function mediaMetadata(call: MediaCall & { price?: Price }, model: string, usage: MediaUsage | undefined, total: NodeUsage): Record<string, unknown> {
  let cost: CallCost = { inputUsd: 0, outputUsd: 0, totalUsd: 0, source: 'unknown' };
  if (usage?.inputTokens !== undefined) {
    const tokens = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens ?? 0 };
    cost = computeCost(call.provider.id, model, tokens, call.price);
    addUsage(total, tokens, cost);
  }
  return { provider: call.provider.id, model, usage: usage ?? null, cost };
}

function integerParameter(parameters: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = parameters[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LlmError('invalid_argument', `Parameter '${name}' is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** Generates images from each item's prompt and attaches them as binary properties. */
export async function executeImageGenerate(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const items = await mapItems(input, async (item, _index, parameters) => {
    const call = mediaCall(ctx, parameters, 'image');
    const prompt = requiredText(parameters, item, 'prompt');
    const count = integerParameter(parameters, 'count', 1, 1, MAX_IMAGES_PER_REQUEST);
    const property = stringParameter(parameters, 'binaryProperty', 'image')!;
    const size = stringParameter(parameters, 'size');
    const quality = stringParameter(parameters, 'quality');

    const result = await generateImages(call, { prompt, count, ...(size ? { size } : {}), ...(quality ? { quality } : {}) });
    const binary: Record<string, BinaryData> = { ...item.binary };
    const images = result.images.map((image, index) => {
      const name = index === 0 ? property : `${property}_${index + 1}`;
      binary[name] = { mimeType: image.mimeType, fileName: `${name}.${image.mimeType.split('/')[1] ?? 'png'}`, data: image.data };
      return { binaryProperty: name, mimeType: image.mimeType, bytes: base64Size(image.data), ...('revisedPrompt' in image && image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}) };
    });
    return { json: { ...item.json, images, llm: mediaMetadata(call, result.model, result.usage, usage) }, binary };
  });
  return { items, usage };
}

/**
 * Transcribes the audio in each item's binary property, one item at a time: an upload of
 * MAX_AUDIO_BYTES is about 11 Mi characters of base64, and the sandbox lets host-call
 * arguments in flight total 16 Mi characters.
 */
export async function executeSpeechToText(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const sequential = { ...input, parameters: { ...input.parameters, concurrency: 1 } };
  const items = await mapItems(sequential, async (item, _index, parameters) => {
    const call = mediaCall(ctx, parameters, 'transcription');
    const property = stringParameter(parameters, 'binaryProperty', 'data')!;
    const audio = item.binary?.[property];
    if (!audio) {
      const available = Object.keys(item.binary ?? {});
      throw new LlmError('invalid_argument', `The item has no binary property '${property}'${available.length > 0 ? `; it has ${available.join(', ')}` : ''}. Set binaryProperty to the property that contains the audio.`);
    }
    const mimeType = audio.mimeType.split(';')[0]!.trim().toLowerCase();
    if (!AUDIO_INPUT_TYPES.has(mimeType)) {
      throw new LlmError('invalid_argument', `Binary property '${property}' has type '${audio.mimeType}'; speech-to-text takes mp3, mp4, m4a, wav, webm, ogg or flac audio. Convert it first.`);
    }
    const size = base64Size(audio.data);
    if (size > MAX_AUDIO_BYTES) {
      throw new LlmError('invalid_argument', `The audio in '${property}' is ${size} bytes; the limit is ${MAX_AUDIO_BYTES} bytes (8 MiB). Split the recording or compress it, for example to mono mp3.`);
    }
    const bytes = base64ToBytes(audio.data);
    if (bytes === null) throw new LlmError('invalid_argument', `The data of binary property '${property}' is not valid base64.`);

    const language = stringParameter(parameters, 'language');
    const prompt = stringParameter(parameters, 'prompt');
    const result = await transcribe(call, {
      audio: bytes,
      fileName: audio.fileName ?? `audio.${mimeType.split('/')[1]!.replace(/^x-/, '').replace('mpeg', 'mp3')}`,
      mimeType,
      ...(language ? { language } : {}),
      ...(prompt ? { prompt } : {}),
      ...(typeof parameters.temperature === 'number' ? { temperature: parameters.temperature } : {}),
    });
    const field = stringParameter(parameters, 'outputField', 'transcript')!;
    const details = { ...(result.language ? { language: result.language } : {}), ...(result.durationSeconds === undefined ? {} : { durationSeconds: result.durationSeconds }) };
    return { ...item, json: { ...item.json, [field]: result.text, ...details, llm: mediaMetadata(call, result.model, result.usage, usage) } };
  });
  return { items, usage };
}

/** Speaks each item's text and attaches the audio as a binary property. */
export async function executeTextToSpeech(ctx: NodeContext, input: LlmNodeInput): Promise<NodeResult> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const items = await mapItems(input, async (item, _index, parameters) => {
    const call = mediaCall(ctx, parameters, 'speech');
    const text = requiredText(parameters, item, 'text');
    if (text.length > MAX_SPEECH_CHARS) {
      throw new LlmError('invalid_argument', `Parameter 'text' is ${text.length} characters long; one request speaks at most ${MAX_SPEECH_CHARS}. Split the text into several items, for example with a split node.`);
    }
    const format = stringParameter(parameters, 'format', 'mp3')!;
    if (!SPEECH_FORMATS.includes(format)) throw new LlmError('invalid_argument', `Parameter 'format' is '${format}'; expected one of ${SPEECH_FORMATS.join(', ')}.`);
    const speed = parameters.speed;
    if (speed !== undefined && (typeof speed !== 'number' || speed < 0.25 || speed > 4)) {
      throw new LlmError('invalid_argument', `Parameter 'speed' is ${JSON.stringify(speed)}; expected a number from 0.25 to 4.`);
    }
    const instructions = stringParameter(parameters, 'instructions');

    const result = await synthesizeSpeech(call, {
      text,
      voice: stringParameter(parameters, 'voice', 'alloy')!,
      format,
      ...(typeof speed === 'number' ? { speed } : {}),
      ...(instructions ? { instructions } : {}),
    });
    const property = stringParameter(parameters, 'binaryProperty', 'audio')!;
    // The speech API reports no usage; the character count is what OpenAI bills tts-1 by.
    const metadata = { ...mediaMetadata(call, result.model, undefined, usage), characters: text.length };
    return { json: { ...item.json, audio: { binaryProperty: property, mimeType: result.audio.mimeType, bytes: base64Size(result.audio.data) }, llm: metadata }, binary: { ...item.binary, [property]: result.audio } };
  });
  return { items, usage };
}
