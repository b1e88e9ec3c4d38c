/** The Gemini adapter against a stub that speaks generateContent, streamGenerateContent and the embedding methods. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmKernel, type LlmTestKernel } from './support/kernel.js';
import { sse, startStubServer, type RecordedRequest, type StubServer } from './support/stub-server.js';

const KEY = 'AIza-test-key';

function generated(parts: unknown[], finishReason = 'STOP') {
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
    usageMetadata: { promptTokenCount: 10_000, candidatesTokenCount: 1000, totalTokenCount: 11_000 },
    modelVersion: 'gemini-2.5-flash',
  };
}

/** Replies as the Gemini API does: checks the key header, then lets the test decide. */
function geminiVendor(stub: StubServer, decide: (request: RecordedRequest) => ReturnType<StubServer['reply']>) {
  stub.reply = (request) => {
    if (request.headers['x-goog-api-key'] !== KEY) {
      return { status: 400, body: { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } } };
    }
    return decide(request);
  };
}

describe('Gemini provider', () => {
  let k: LlmTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startLlmKernel();
    await k.addCredential('gemini', 'mify.llm.gemini', { apiKey: KEY, baseUrl: stub.url });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
  });

  it('chat sends contents and system instruction', async () => {
    geminiVendor(stub, () => ({ body: generated([{ text: 'Hi ' }, { text: 'there' }]) }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-flash', messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi!' }, { role: 'user', content: 'Again' }], maxTokens: 64, temperature: 0 });

    expect(result.result.message.content).toBe('Hi there');
    expect(result.result.usage).toEqual({ inputTokens: 10_000, outputTokens: 1000 });
    expect(result.result.cost).toMatchObject({ inputUsd: 0.003, outputUsd: 0.0025, totalUsd: 0.0055 });
    expect(stub.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(stub.requests[0]!.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }] },
        { role: 'model', parts: [{ text: 'Hi!' }] },
        { role: 'user', parts: [{ text: 'Again' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be kind.' }] },
      generationConfig: { temperature: 0, maxOutputTokens: 64 },
    });
  });

  it('extract sends a converted response schema', async () => {
    geminiVendor(stub, () => ({ body: generated([{ text: '{"city":"Lyon","zip":null}' }]) }));
    const schema = { type: 'object', properties: { city: { type: 'string' }, zip: { type: ['string', 'null'] } }, required: ['city', 'zip'], additionalProperties: false };

    const output = await k.runNode('mify.llm.extract', [{ json: { text: 'Ship to Lyon.' } }], { provider: 'gemini', model: 'gemini-2.5-flash', schema });

    expect(output.items[0].json.data).toEqual({ city: 'Lyon', zip: null });
    expect(stub.requests[0]!.body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string', nullable: true } }, required: ['city', 'zip'] },
    });
  });

  it('function calls get ids and answers', async () => {
    geminiVendor(stub, () => ({ body: generated([{ functionCall: { name: 'get_time', args: { zone: 'UTC' } } }]) }));
    const tools = [{ name: 'get_time', description: 'Current time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, additionalProperties: false } }];

    const first = await k.runNode('mify.llm.tool-calling', [{ json: { text: 'What time is it?' } }], { provider: 'gemini', model: 'gemini-2.5-flash', tools, toolChoice: 'auto' });

    expect(first.toolCalls[0].json.toolCalls).toEqual([{ id: 'call_0_get_time', name: 'get_time', arguments: { zone: 'UTC' } }]);
    expect(stub.requests[0]!.body.tools).toEqual([{ functionDeclarations: [{ name: 'get_time', description: 'Current time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } }] }]);
    expect(stub.requests[0]!.body.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });

    geminiVendor(stub, () => ({ body: generated([{ text: 'It is noon.' }]) }));
    const messages = [...first.toolCalls[0].json.messages, { role: 'tool', toolCallId: 'call_0_get_time', content: '{"time":"12:00"}' }];
    const second = await k.runNode('mify.llm.tool-calling', [{ json: { messages } }], { provider: 'gemini', model: 'gemini-2.5-flash', tools });

    expect(second.response[0].json.response).toBe('It is noon.');
    expect(stub.requests[1]!.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'What time is it?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_time', args: { zone: 'UTC' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_time', response: { time: '12:00' } } }] },
    ]);
  });

  it('streamed chunks are assembled', async () => {
    geminiVendor(stub, (request) => {
      if (request.path !== '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse') return { status: 404, body: { error: { code: 404, message: 'wrong path', status: 'NOT_FOUND' } } };
      return {
        events: [
          sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }], modelVersion: 'gemini-2.5-flash' }),
          sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] } }] }),
          sse({ candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3 } }),
        ],
      };
    });

    const output = await k.runNode('mify.llm.chat', [{ json: { text: 'Say hello' } }], { provider: 'gemini', model: 'gemini-2.5-flash', stream: true });

    expect(output.items[0].json.response).toBe('Hello!');
    expect(output.items[0].json.llm.usage).toEqual({ inputTokens: 4, outputTokens: 3 });
  });

  it('stream cut off midway is an error', async () => {
    geminiVendor(stub, () => ({ events: [sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Once' }] } }] }), 'data: {"candidates": [{"content": {"ro'] }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'Story' }] });

    expect(result.error.code).toBe('unavailable');
    expect(result.error.message).toContain("Provider 'gemini' (model 'gemini-2.5-flash') cut off its stream after 1 events, before a chunk with a finishReason");
  });

  it('safety block is a content filter finish', async () => {
    geminiVendor(stub, () => ({ body: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 8 } } }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'something unsafe' }] });

    expect(result.result.finishReason).toBe('content_filter');
    expect(result.result.message.content).toBe('');
  });

  it('401 and 403 name the credential', async () => {
    geminiVendor(stub, () => ({ status: 403, body: { error: { code: 403, message: 'Method doesn\'t allow unregistered callers.', status: 'PERMISSION_DENIED' } } }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('permission_denied');
    expect(result.error.message).toContain("Provider 'gemini' (model 'gemini-2.5-pro') was denied access with the API key from credential 'gemini' (HTTP 403: Method doesn't allow unregistered callers.)");
  });

  it('invalid key 400 is unauthorized', async () => {
    await k.addCredential('gemini-typo', 'mify.llm.gemini', { apiKey: 'AIza-typo', baseUrl: stub.url });
    geminiVendor(stub, () => ({ body: generated([{ text: 'unused' }]) }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-flash', credential: 'gemini-typo', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('unauthorized');
    expect(result.error.message).toContain("rejected the API key from credential 'gemini-typo' (HTTP 400: API key not valid. Please pass a valid API key.)");
  });

  it('429 reports retry-after', async () => {
    geminiVendor(stub, () => ({ status: 429, headers: { 'retry-after': '12' }, body: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } } }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('rate_limited');
    expect(result.error.message).toContain('Retry after 12 s');
  });

  it('malformed JSON is an invalid response', async () => {
    geminiVendor(stub, () => ({ headers: { 'content-type': 'application/json' }, body: '{"candidates": [{"content": ' }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('invalid_provider_response');
    expect(result.error.message).toContain("Provider 'gemini' (model 'gemini-2.5-flash') returned a body that is not a JSON object");
  });

  it('unknown model names the fix', async () => {
    geminiVendor(stub, () => ({ status: 404, body: { error: { code: 404, message: 'models/gemini-0.1 is not found for API version v1beta, or is not supported for generateContent.', status: 'NOT_FOUND' } } }));

    const result = await k.callGateway('llm.chat', { provider: 'gemini', model: 'gemini-0.1', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('not_found');
    expect(result.error.message).toContain("Provider 'gemini' (model 'gemini-0.1') was not found");
    expect(result.error.message).toContain('models/gemini-0.1 is not found');
  });

  it('single and batch embeddings', async () => {
    geminiVendor(stub, (request) =>
      request.path.endsWith(':embedContent')
        ? { body: { embedding: { values: [0.1, 0.2] } } }
        : { body: { embeddings: request.body.requests.map((_entry: unknown, index: number) => ({ values: [index, index] })) } },
    );

    const single = await k.callGateway('llm.embed', { provider: 'gemini', model: 'gemini-embedding-001', input: ['alpha'] });
    const batch = await k.runNode('mify.llm.embed', [{ json: { text: 'one' } }, { json: { text: 'two' } }], { provider: 'gemini' });

    expect(single.result.vectors).toEqual([[0.1, 0.2]]);
    expect(single.result.usageEstimated).toBe(true);
    expect(stub.requests[0]!.path).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(stub.requests[0]!.body).toEqual({ content: { parts: [{ text: 'alpha' }] } });
    expect(stub.requests[1]!.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(stub.requests[1]!.body.requests[1]).toEqual({ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'two' }] } });
    expect(batch.items.map((item: { json: { embedding: number[] } }) => item.json.embedding)).toEqual([[0, 0], [1, 1]]);
  });
});
