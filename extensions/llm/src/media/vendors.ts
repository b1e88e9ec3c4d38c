/**
 * Wire formats of the media APIs: OpenAI-compatible image generation
 * (`POST {baseUrl}/images/generations`), transcription (`POST {baseUrl}/audio/transcriptions`,
 * multipart) and speech (`POST {baseUrl}/audio/speech`, binary audio back), and Gemini image
 * generation through `generateContent` with the IMAGE response modality.
 */
import type { BinaryData } from '@mify/sdk';
import type { ProviderDefinition } from '../catalog.js';
import { resolveConnection } from '../credentials.js';
import { LlmError, subject } from '../errors.js';
import { parseJsonBody, postJson, type VendorCall } from '../http.js';
import type { Connection, ExtensionContext } from '../types.js';
import { buildMultipart } from './multipart.js';

/** Target of one media call: provider, model, credential reference and time limit. */
export interface MediaCall {
  ctx: ExtensionContext;
  provider: ProviderDefinition;
  model: string;
  credential?: string;
  timeoutMs?: number;
}

/** Token counts a vendor reported, or seconds of audio for duration-billed transcription models. */
export interface MediaUsage {
  inputTokens?: number;
  outputTokens?: number;
  seconds?: number;
}

async function vendorCall(call: MediaCall, path: string, extra: Partial<VendorCall>): Promise<{ target: VendorCall; connection: Connection }> {
  const { connection, credential } = await resolveConnection(call.ctx, call.provider, call.model, call.credential);
  const headers: Record<string, string> = { ...connection.headers };
  if (connection.apiKey !== null) {
    if (call.provider.wire === 'gemini') headers['x-goog-api-key'] = connection.apiKey;
    else headers.authorization = `Bearer ${connection.apiKey}`;
  }
  const target: VendorCall = {
    provider: call.provider.id,
    model: call.model,
    credential,
    url: `${connection.baseUrl}${path}`,
    headers: { ...headers, ...extra.headers },
    body: extra.body,
    ...(extra.rawBody ? { rawBody: extra.rawBody } : {}),
    ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
  };
  return { target, connection };
}

function openaiUsage(value: unknown): MediaUsage | undefined {
  const usage = value as { input_tokens?: unknown; output_tokens?: unknown; type?: unknown; seconds?: unknown } | undefined;
  if (typeof usage !== 'object' || usage === null) return undefined;
  if (usage.type === 'duration' && typeof usage.seconds === 'number') return { seconds: usage.seconds };
  if (typeof usage.input_tokens === 'number') return { inputTokens: usage.input_tokens, outputTokens: typeof usage.output_tokens === 'number' ? usage.output_tokens : 0 };
  return undefined;
}

/** Options of an image request. */
export interface ImageRequest {
  prompt: string;
  count: number;
  size?: string;
  quality?: string;
}

/** Generates images; returns them as binary data with the vendor's revised prompts when given. */
export async function generateImages(call: MediaCall, request: ImageRequest): Promise<{ model: string; images: Array<BinaryData & { revisedPrompt?: string }>; usage?: MediaUsage }> {
  if (call.provider.wire === 'gemini') return generateGeminiImages(call, request);
  if (call.provider.wire !== 'openai') throw unsupported(call, 'image generation', 'openai or gemini, or an OpenAI-compatible server with an images API');

  const body: Record<string, unknown> = { model: call.model, prompt: request.prompt, n: request.count };
  if (request.size !== undefined) body.size = request.size;
  if (request.quality !== undefined) body.quality = request.quality;
  // DALL·E models return URLs unless asked for base64; gpt-image models always return base64 and reject the field.
  if (/^dall-e/i.test(call.model)) body.response_format = 'b64_json';

  const { target } = await vendorCall(call, '/images/generations', { body });
  const json = parseJsonBody(target, (await postJson(call.ctx, target)).body);
  const data = json.data as Array<{ b64_json?: unknown; url?: unknown; revised_prompt?: unknown }> | undefined;
  if (!Array.isArray(data) || data.length === 0) {
    throw new LlmError('invalid_provider_response', `${subject(call.provider.id, call.model)} returned no data array of images. Check that the base URL points at an images API.`);
  }

  const images: Array<BinaryData & { revisedPrompt?: string }> = [];
  for (const entry of data) {
    let base64 = typeof entry.b64_json === 'string' ? entry.b64_json : undefined;
    let mimeType = mimeOfFormat(String(json.output_format ?? 'png'));
    if (base64 === undefined && typeof entry.url === 'string') ({ base64, mimeType } = await downloadImage(call, entry.url));
    if (base64 === undefined) throw new LlmError('invalid_provider_response', `${subject(call.provider.id, call.model)} returned an image with neither b64_json nor url.`);
    images.push({ mimeType, data: base64, ...(typeof entry.revised_prompt === 'string' ? { revisedPrompt: entry.revised_prompt } : {}) });
  }
  const usage = openaiUsage(json.usage);
  return { model: call.model, images, ...(usage ? { usage } : {}) };
}

function mimeOfFormat(format: string): string {
  if (format === 'jpeg' || format === 'jpg') return 'image/jpeg';
  if (format === 'webp') return 'image/webp';
  return 'image/png';
}

/** Fetches an image the vendor returned as a URL (DALL·E on servers that ignore `response_format`). */
async function downloadImage(call: MediaCall, url: string): Promise<{ base64: string; mimeType: string }> {
  const response = await call.ctx.host.http.fetch(url, { method: 'GET', ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }) });
  if (response.status !== 200 || response.bodyBase64 === undefined) {
    throw new LlmError('unavailable', `${subject(call.provider.id, call.model)} returned an image URL that could not be downloaded (HTTP ${response.status}). Try again.`);
  }
  return { base64: response.bodyBase64, mimeType: (response.headers['content-type'] ?? 'image/png').split(';')[0]!.trim() };
}

async function generateGeminiImages(call: MediaCall, request: ImageRequest): Promise<{ model: string; images: BinaryData[]; usage?: MediaUsage }> {
  if (request.count !== 1) throw new LlmError('invalid_argument', `${subject(call.provider.id, call.model)}: Gemini generates one image per request; set count to 1, or use several items.`);
  const body = { contents: [{ role: 'user', parts: [{ text: request.prompt }] }], generationConfig: { responseModalities: ['TEXT', 'IMAGE'] } };
  const { target } = await vendorCall(call, `/v1beta/models/${encodeURIComponent(call.model.replace(/^models\//, ''))}:generateContent`, { body });
  const json = parseJsonBody(target, (await postJson(call.ctx, target)).body);

  const parts = (json.candidates as Array<{ content?: { parts?: Array<{ inlineData?: { mimeType?: string; data?: string }; inline_data?: { mime_type?: string; data?: string } }> } }> | undefined)?.[0]?.content?.parts ?? [];
  const images: BinaryData[] = [];
  for (const part of parts) {
    const inline = part.inlineData ?? (part.inline_data ? { mimeType: part.inline_data.mime_type, data: part.inline_data.data } : undefined);
    if (inline && typeof inline.data === 'string') images.push({ mimeType: inline.mimeType ?? 'image/png', data: inline.data });
  }
  if (images.length === 0) {
    const reason = (json.promptFeedback as { blockReason?: string } | undefined)?.blockReason;
    throw new LlmError(reason ? 'invalid_argument' : 'invalid_provider_response', `${subject(call.provider.id, call.model)} returned no image${reason ? `: the prompt was blocked (${reason})` : ''}. Use a model that can output images, such as gemini-2.0-flash-preview-image-generation, or rephrase the prompt.`);
  }
  const metadata = json.usageMetadata as { promptTokenCount?: number; candidatesTokenCount?: number } | undefined;
  return { model: call.model, images, ...(metadata ? { usage: { inputTokens: metadata.promptTokenCount ?? 0, outputTokens: metadata.candidatesTokenCount ?? 0 } } : {}) };
}

/** Options of a transcription request. */
export interface TranscriptionRequest {
  audio: Uint8Array;
  fileName: string;
  mimeType: string;
  language?: string;
  prompt?: string;
  temperature?: number;
}

/** Transcribes audio with an OpenAI-compatible `audio/transcriptions` endpoint. */
export async function transcribe(call: MediaCall, request: TranscriptionRequest): Promise<{ model: string; text: string; language?: string; durationSeconds?: number; usage?: MediaUsage }> {
  if (call.provider.wire !== 'openai') throw unsupported(call, 'speech-to-text', 'openai or another OpenAI-compatible server with an audio transcriptions API');

  const fields = [
    { name: 'model', value: call.model },
    { name: 'response_format', value: 'json' },
    ...(request.language ? [{ name: 'language', value: request.language }] : []),
    ...(request.prompt ? [{ name: 'prompt', value: request.prompt }] : []),
    ...(request.temperature === undefined ? [] : [{ name: 'temperature', value: String(request.temperature) }]),
    { name: 'file', fileName: request.fileName, mimeType: request.mimeType, bytes: request.audio },
  ];
  const form = buildMultipart(fields, `mify-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`);
  const { target } = await vendorCall(call, '/audio/transcriptions', { rawBody: { contentType: form.contentType, base64: form.bodyBase64 } });
  const json = parseJsonBody(target, (await postJson(call.ctx, target)).body);
  if (typeof json.text !== 'string') {
    throw new LlmError('invalid_provider_response', `${subject(call.provider.id, call.model)} returned no text field. Check that the base URL points at an audio transcriptions API.`);
  }
  const usage = openaiUsage(json.usage);
  return {
    model: call.model,
    text: json.text,
    ...(typeof json.language === 'string' ? { language: json.language } : {}),
    ...(typeof json.duration === 'number' ? { durationSeconds: json.duration } : {}),
    ...(usage ? { usage } : {}),
  };
}

/** Options of a speech request. */
export interface SpeechRequest {
  text: string;
  voice: string;
  format: string;
  speed?: number;
  instructions?: string;
}

const AUDIO_TYPES: Record<string, string> = { mp3: 'audio/mpeg', opus: 'audio/ogg', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };

/** Speaks text with an OpenAI-compatible `audio/speech` endpoint and returns the audio. */
export async function synthesizeSpeech(call: MediaCall, request: SpeechRequest): Promise<{ model: string; audio: BinaryData }> {
  if (call.provider.wire !== 'openai') throw unsupported(call, 'text-to-speech', 'openai or another OpenAI-compatible server with an audio speech API');

  const body: Record<string, unknown> = { model: call.model, input: request.text, voice: request.voice, response_format: request.format };
  if (request.speed !== undefined) body.speed = request.speed;
  if (request.instructions !== undefined) body.instructions = request.instructions;
  const { target } = await vendorCall(call, '/audio/speech', { body, headers: { accept: 'audio/*' } });
  const response = await postJson(call.ctx, target);
  if (response.bodyBase64 === undefined) {
    throw new LlmError('invalid_provider_response', `${subject(call.provider.id, call.model)} returned text (${response.headers['content-type'] ?? 'no content type'}) instead of audio. Check that the base URL points at an audio speech API.`);
  }
  const mimeType = (response.headers['content-type'] ?? AUDIO_TYPES[request.format] ?? 'application/octet-stream').split(';')[0]!.trim();
  return { model: call.model, audio: { mimeType, fileName: `speech.${request.format}`, data: response.bodyBase64 } };
}

function unsupported(call: MediaCall, capability: string, supported: string): LlmError {
  return new LlmError('invalid_argument', `Provider '${call.provider.id}' has no ${capability} API in this extension; use ${supported}.`);
}
