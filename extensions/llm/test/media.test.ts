/**
 * The media nodes against stub vendors on 127.0.0.1: OpenAI-compatible image generation,
 * transcription (multipart uploads, parsed byte for byte) and speech (binary audio back),
 * and Gemini image generation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { base64Size, base64ToBytes, bytesToBase64, utf8Bytes } from '../src/media/bytes.js';
import { buildMultipart } from '../src/media/multipart.js';
import { startLlmKernel, type LlmTestKernel } from './support/kernel.js';
import { parseMultipart } from './support/multipart.js';
import { startStubServer, type StubServer } from './support/stub-server.js';

/** Bytes that break naive multipart handling: NUL, 0xFF, CRLF and a fake boundary. */
const AUDIO = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 0x00, 0xff, 0xfe, 0x0d, 0x0a]), Buffer.from('\r\n--mify-fake\r\n'), Buffer.alloc(2048, 0xab)]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('byte helpers', () => {
  it('round-trips base64 like Buffer', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 1000]) {
      const bytes = Buffer.from(Array.from({ length }, (_, index) => (index * 37) % 256));
      expect(bytesToBase64(bytes)).toBe(bytes.toString('base64'));
      expect(Buffer.from(base64ToBytes(bytes.toString('base64'))!)).toEqual(bytes);
      expect(base64Size(bytes.toString('base64'))).toBe(length);
    }
  });

  it('rejects invalid base64', () => {
    expect(base64ToBytes('ab$d')).toBeNull();
  });

  it('encodes UTF-8 like Buffer', () => {
    const text = 'Grüße, 東京 🎙 \ud800';
    expect(Buffer.from(utf8Bytes(text))).toEqual(Buffer.from(text, 'utf8'));
  });

  it('builds a multipart body the parser reads', () => {
    const form = buildMultipart([{ name: 'model', value: 'whisper-1' }, { name: 'file', fileName: 'a "b".mp3', mimeType: 'audio/mpeg', bytes: AUDIO }], 'b-1');

    const parts = parseMultipart(form.contentType, Buffer.from(form.bodyBase64, 'base64'));

    expect(parts.map((part) => part.name)).toEqual(['model', 'file']);
    expect(parts[0]!.data.toString()).toBe('whisper-1');
    expect(parts[1]!.fileName).toBe('a %22b%22.mp3');
    expect(parts[1]!.data).toEqual(AUDIO);
    expect(form.byteLength).toBe(Buffer.from(form.bodyBase64, 'base64').length);
  });
});

describe('media nodes', () => {
  let k: LlmTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startLlmKernel();
    await k.addCredential('openai', 'mify.llm.openai-compatible', { apiKey: 'sk-media', baseUrl: `${stub.url}/v1` });
    await k.addCredential('gemini', 'mify.llm.gemini', { apiKey: 'gm-media', baseUrl: stub.url });
    await k.addCredential('anthropic', 'mify.llm.anthropic', { apiKey: 'sk-ant-media', baseUrl: stub.url });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
  });

  describe('image generation', () => {
    it('sends the OpenAI images request and attaches the images', async () => {
      stub.reply = () => ({ body: { created: 1, data: [{ b64_json: PNG.toString('base64') }, { b64_json: PNG.toString('base64') }], usage: { input_tokens: 20, output_tokens: 4000, total_tokens: 4020 } } });

      const output = await k.runNode('mify.llm.image-generate', [{ json: { text: 'A red fox in snow' } }], { count: 2, size: '1024x1024', quality: 'low', price: { inputPerMillion: 5, outputPerMillion: 40 } });

      const sent = stub.requests[0]!;
      expect(sent.path).toBe('/v1/images/generations');
      expect(sent.headers.authorization).toBe('Bearer sk-media');
      expect(sent.body).toEqual({ model: 'gpt-image-1', prompt: 'A red fox in snow', n: 2, size: '1024x1024', quality: 'low' });
      const item = output.items[0];
      expect(Buffer.from(item.binary.image.data, 'base64')).toEqual(PNG);
      expect(item.binary.image.mimeType).toBe('image/png');
      expect(item.binary.image_2).toBeDefined();
      expect(item.json.images.map((image: { binaryProperty: string }) => image.binaryProperty)).toEqual(['image', 'image_2']);
      expect(item.json.llm.usage).toEqual({ inputTokens: 20, outputTokens: 4000 });
      expect(item.json.llm.cost).toMatchObject({ source: 'override', totalUsd: 0.1601 });
      expect(output.usage).toEqual({ inputTokens: 20, outputTokens: 4000, costUsd: 0.1601 });
    });

    it('downloads DALL·E images returned as URLs', async () => {
      stub.reply = (request) =>
        request.path === '/files/fox.png'
          ? { raw: { contentType: 'image/png', bytes: PNG } }
          : { body: { created: 1, data: [{ url: `${stub.url}/files/fox.png`, revised_prompt: 'A red fox standing in deep snow' }] } };

      const output = await k.runNode('mify.llm.image-generate', [{ json: {} }], { prompt: 'A fox', model: 'dall-e-3' });

      expect(stub.requests[0]!.body.response_format).toBe('b64_json');
      expect(Buffer.from(output.items[0].binary.image.data, 'base64')).toEqual(PNG);
      expect(output.items[0].json.images[0].revisedPrompt).toBe('A red fox standing in deep snow');
      expect(output.items[0].json.llm.cost.source).toBe('unknown');
    });

    it('generates a Gemini image with image output', async () => {
      stub.reply = () => ({
        body: {
          candidates: [{ content: { role: 'model', parts: [{ text: 'Here is your fox.' }, { inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } }] }, finishReason: 'STOP' }],
          usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 1290 },
        },
      });

      const output = await k.runNode('mify.llm.image-generate', [{ json: { text: 'A fox' } }], { provider: 'gemini' });

      const sent = stub.requests[0]!;
      expect(sent.path).toBe('/v1beta/models/gemini-2.0-flash-preview-image-generation:generateContent');
      expect(sent.headers['x-goog-api-key']).toBe('gm-media');
      expect(sent.body.generationConfig.responseModalities).toEqual(['TEXT', 'IMAGE']);
      expect(Buffer.from(output.items[0].binary.image.data, 'base64')).toEqual(PNG);
      expect(output.usage).toMatchObject({ inputTokens: 8, outputTokens: 1290 });
    });

    it('rejects several Gemini images per item', async () => {
      const failure = await k.runNode('mify.llm.image-generate', [{ json: { text: 'A fox' } }], { provider: 'gemini', count: 2 }).catch((error: Error) => error);

      expect((failure as Error).message).toContain('Gemini generates one image per request; set count to 1');
      expect(stub.requests).toHaveLength(0);
    });

    it('rejects a count over the limit', async () => {
      const failure = await k.runNode('mify.llm.image-generate', [{ json: { text: 'A fox' } }], { count: 5 }).catch((error: Error) => error);

      expect((failure as Error).message).toContain("Parameter 'count' is 5; expected a whole number from 1 to 4.");
    });

    it('rejects a provider without an images API', async () => {
      const failure = await k.runNode('mify.llm.image-generate', [{ json: { text: 'A fox' } }], { provider: 'anthropic', model: 'claude-sonnet-4-20250514' }).catch((error: Error) => error);

      expect((failure as Error).message).toContain("Provider 'anthropic' has no image generation API");
    });
  });

  describe('speech to text', () => {
    const audioItem = (bytes: Buffer = AUDIO, mimeType = 'audio/mpeg') => ({ json: { id: 1 }, binary: { data: { mimeType, fileName: 'call.mp3', data: bytes.toString('base64') } } });

    it('uploads the audio as multipart and reads usage', async () => {
      stub.reply = () => ({ body: { text: 'Hello there.', usage: { type: 'tokens', input_tokens: 120, output_tokens: 4 } } });

      const output = await k.runNode('mify.llm.speech-to-text', [audioItem()], { language: 'en', prompt: 'Names: Ada.', price: { inputPerMillion: 3, outputPerMillion: 10 } });

      const sent = stub.requests[0]!;
      expect(sent.path).toBe('/v1/audio/transcriptions');
      expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      const parts = parseMultipart(sent.headers['content-type']!, sent.bytes);
      const field = (name: string) => parts.find((part) => part.name === name);
      expect(field('model')!.data.toString()).toBe('gpt-4o-mini-transcribe');
      expect(field('language')!.data.toString()).toBe('en');
      expect(field('prompt')!.data.toString()).toBe('Names: Ada.');
      expect(field('response_format')!.data.toString()).toBe('json');
      expect(field('file')!.fileName).toBe('call.mp3');
      expect(field('file')!.contentType).toBe('audio/mpeg');
      expect(field('file')!.data).toEqual(AUDIO);
      expect(output.items[0].json).toMatchObject({ id: 1, transcript: 'Hello there.' });
      expect(output.items[0].binary.data).toBeDefined();
      expect(output.usage).toEqual({ inputTokens: 120, outputTokens: 4, costUsd: 0.0004 });
    });

    it('records seconds for duration-billed models', async () => {
      stub.reply = () => ({ body: { text: 'Hi.', language: 'english', duration: 2.5, usage: { type: 'duration', seconds: 3 } } });

      const output = await k.runNode('mify.llm.speech-to-text', [audioItem()], { model: 'whisper-1', outputField: 'text' });

      expect(output.items[0].json).toMatchObject({ text: 'Hi.', language: 'english', durationSeconds: 2.5 });
      expect(output.items[0].json.llm.usage).toEqual({ seconds: 3 });
      expect(output.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    });

    it('rejects audio over 8 MiB before uploading', async () => {
      const failure = await k.runNode('mify.llm.speech-to-text', [audioItem(Buffer.alloc(8 * 1024 * 1024 + 1))], {}).catch((error: Error) => error);

      expect((failure as Error).message).toContain('is 8388609 bytes; the limit is 8388608 bytes (8 MiB)');
      expect(stub.requests).toHaveLength(0);
    });

    it('rejects a binary that is not audio', async () => {
      const failure = await k.runNode('mify.llm.speech-to-text', [audioItem(PNG, 'image/png')], {}).catch((error: Error) => error);

      expect((failure as Error).message).toContain("Binary property 'data' has type 'image/png'");
    });

    it('names the missing binary property', async () => {
      const failure = await k.runNode('mify.llm.speech-to-text', [audioItem()], { binaryProperty: 'recording' }).catch((error: Error) => error);

      expect((failure as Error).message).toContain("The item has no binary property 'recording'; it has data.");
    });

    it('reports a vendor error with its message', async () => {
      stub.reply = () => ({ status: 400, body: { error: { message: 'Audio file might be corrupted or unsupported' } } });

      const failure = await k.runNode('mify.llm.speech-to-text', [audioItem()], {}).catch((error: Error & { code?: string }) => error);

      expect((failure as Error).message).toContain('Audio file might be corrupted or unsupported');
    });
  });

  describe('text to speech', () => {
    const SPEECH = Buffer.concat([Buffer.from('ID3'), Buffer.alloc(4096, 0x5a), Buffer.from([0, 255])]);

    it('sends the speech request and attaches the audio', async () => {
      stub.reply = () => ({ raw: { contentType: 'audio/mpeg', bytes: SPEECH } });

      const output = await k.runNode('mify.llm.text-to-speech', [{ json: { text: 'Good morning.' } }], { voice: 'nova', speed: 1.25, instructions: 'Cheerful.' });

      const sent = stub.requests[0]!;
      expect(sent.path).toBe('/v1/audio/speech');
      expect(sent.body).toEqual({ model: 'gpt-4o-mini-tts', input: 'Good morning.', voice: 'nova', response_format: 'mp3', speed: 1.25, instructions: 'Cheerful.' });
      const item = output.items[0];
      expect(Buffer.from(item.binary.audio.data, 'base64')).toEqual(SPEECH);
      expect(item.binary.audio.mimeType).toBe('audio/mpeg');
      expect(item.json.audio).toEqual({ binaryProperty: 'audio', mimeType: 'audio/mpeg', bytes: SPEECH.length });
      expect(item.json.llm).toMatchObject({ characters: 13, cost: { source: 'unknown' } });
    });

    it('rejects text over 4096 characters', async () => {
      const failure = await k.runNode('mify.llm.text-to-speech', [{ json: { text: 'a'.repeat(4097) } }], {}).catch((error: Error) => error);

      expect((failure as Error).message).toContain("Parameter 'text' is 4097 characters long; one request speaks at most 4096.");
      expect(stub.requests).toHaveLength(0);
    });

    it('rejects an unknown format', async () => {
      const failure = await k.runNode('mify.llm.text-to-speech', [{ json: { text: 'Hi' } }], { format: 'ogg' }).catch((error: Error) => error);

      expect((failure as Error).message).toContain("Parameter 'format' is 'ogg'; expected one of mp3, opus, aac, flac, wav, pcm.");
    });

    it('rejects a text reply instead of audio', async () => {
      stub.reply = () => ({ body: { status: 'ok' } });

      const failure = await k.runNode('mify.llm.text-to-speech', [{ json: { text: 'Hi' } }], {}).catch((error: Error) => error);

      expect((failure as Error).message).toContain('instead of audio');
    });

    it('rejects a provider without a default model', async () => {
      const failure = await k.runNode('mify.llm.text-to-speech', [{ json: { text: 'Hi' } }], { provider: 'groq' }).catch((error: Error) => error);

      expect((failure as Error).message).toContain("Parameter 'model' is empty and provider 'groq' has no default speech model");
    });
  });
});
