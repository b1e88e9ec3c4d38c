/** The Anthropic Messages adapter against a stub that speaks the Messages API and its event stream. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmKernel, type LlmTestKernel } from './support/kernel.js';
import { sse, startStubServer, type RecordedRequest, type StubServer } from './support/stub-server.js';

const KEY = 'sk-ant-test';

function message(content: unknown[], stopReason = 'end_turn') {
  return { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content, stop_reason: stopReason, stop_sequence: null, usage: { input_tokens: 2000, output_tokens: 100 } };
}

/** Replies as the Anthropic API does: checks the key and version headers, then lets the test decide. */
function anthropicVendor(stub: StubServer, decide: (request: RecordedRequest) => ReturnType<StubServer['reply']>) {
  stub.reply = (request) => {
    if (request.path !== '/v1/messages') return { status: 404, body: { type: 'error', error: { type: 'not_found_error', message: 'Not found' } } };
    if (request.headers['anthropic-version'] !== '2023-06-01') return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } } };
    if (request.headers['x-api-key'] !== KEY) return { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
    return decide(request);
  };
}

describe('Anthropic provider', () => {
  let k: LlmTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startLlmKernel();
    await k.addCredential('anthropic', 'mify.llm.anthropic', { apiKey: KEY, baseUrl: stub.url });
    await k.addCredential('anthropic-old', 'mify.llm.anthropic', { apiKey: 'sk-ant-revoked', baseUrl: stub.url });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
  });

  it('chat sends system and alternating turns', async () => {
    anthropicVendor(stub, () => ({ body: message([{ type: 'text', text: 'Bonjour !' }]) }));

    const result = await k.callGateway('llm.chat', {
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      messages: [
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: 'Hello' },
        { role: 'user', content: 'How are you?' },
      ],
      temperature: 1.5,
    });

    expect(result.result.message.content).toBe('Bonjour !');
    expect(result.result.usage).toEqual({ inputTokens: 2000, outputTokens: 100 });
    expect(result.result.cost).toMatchObject({ inputUsd: 0.006, outputUsd: 0.0015, totalUsd: 0.0075, source: 'table' });
    expect(stub.requests[0]!.body).toEqual({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 4096,
      system: 'Answer in French.',
      temperature: 1,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'How are you?' }] }],
    });
  });

  it('tool use round trip', async () => {
    anthropicVendor(stub, () => ({ body: message([{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Oslo' } }], 'tool_use') }));
    const tools = [{ name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];

    const first = await k.runNode('mify.llm.tool-calling', [{ json: { text: 'Weather in Oslo?' } }], { provider: 'anthropic', model: 'claude-sonnet-4-20250514', tools, toolChoice: 'get_weather' });

    expect(first.toolCalls[0].json.toolCalls).toEqual([{ id: 'toolu_01', name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(first.toolCalls[0].json.llm.finishReason).toBe('tool_calls');
    expect(stub.requests[0]!.body.tools).toEqual([{ name: 'get_weather', description: 'Weather of a city', input_schema: tools[0]!.parameters }]);
    expect(stub.requests[0]!.body.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });

    anthropicVendor(stub, () => ({ body: message([{ type: 'text', text: 'It is 4 °C in Oslo.' }]) }));
    const messages = [...first.toolCalls[0].json.messages, { role: 'tool', toolCallId: 'toolu_01', content: '{"celsius":4}' }];
    const second = await k.runNode('mify.llm.tool-calling', [{ json: { messages } }], { provider: 'anthropic', model: 'claude-sonnet-4-20250514', tools });

    expect(second.response[0].json.response).toBe('It is 4 °C in Oslo.');
    expect(stub.requests[1]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '{"celsius":4}' }] },
    ]);
  });

  it('structured output uses a forced tool', async () => {
    anthropicVendor(stub, () => ({ body: message([{ type: 'tool_use', id: 'toolu_02', name: 'structured_output', input: { translation: 'Guten Morgen', detectedSourceLanguage: 'English' } }], 'tool_use') }));

    const output = await k.runNode('mify.llm.translate', [{ json: { text: 'Good morning' } }], { provider: 'anthropic', preset: 'fast', targetLanguage: 'German' });

    expect(output.items[0].json.translation).toBe('Guten Morgen');
    expect(output.items[0].json.detectedSourceLanguage).toBe('English');
    expect(output.items[0].json.llm.finishReason).toBe('stop');
    const sent = stub.requests[0]!.body;
    expect(sent.model).toBe('claude-3-5-haiku-20241022');
    expect(sent.tool_choice).toEqual({ type: 'tool', name: 'structured_output' });
    expect(sent.tools[0].input_schema.required).toEqual(['translation', 'detectedSourceLanguage']);
    expect(sent.system).toContain('into German');
  });

  it('vision sends an image block', async () => {
    anthropicVendor(stub, () => ({ body: message([{ type: 'text', text: 'A red square.' }]) }));
    const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');

    const output = await k.runNode('mify.llm.vision', [{ json: {}, binary: { data: { mimeType: 'image/png', data: png } } }], { provider: 'anthropic', model: 'claude-sonnet-4-20250514', prompt: 'What is this?' });

    expect(output.items[0].json.response).toBe('A red square.');
    expect(stub.requests[0]!.body.messages[0].content).toEqual([{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }]);
  });

  it('vision rejects a missing image', async () => {
    const failure = await k.runNode('mify.llm.vision', [{ json: {}, binary: { photo: { mimeType: 'image/png', data: 'AA==' } } }], { provider: 'anthropic', model: 'claude-sonnet-4-20250514' }).catch((error: Error) => error);

    expect((failure as Error).message).toContain("The item has no binary property 'data'; it has photo. Set binaryProperty");
  });

  it('streamed events are assembled', async () => {
    anthropicVendor(stub, (request) => {
      if (request.body.stream !== true) return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'expected stream' } } };
      return {
        events: [
          sse({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [], usage: { input_tokens: 25, output_tokens: 1 } } }, 'message_start'),
          sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
          sse({ type: 'ping' }, 'ping'),
          sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking' } }, 'content_block_delta'),
          sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
          sse({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_9', name: 'lookup', input: {} } }, 'content_block_start'),
          sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"q": "mi' } }, 'content_block_delta'),
          sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'fy"}' } }, 'content_block_delta'),
          sse({ type: 'content_block_stop', index: 1 }, 'content_block_stop'),
          sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 40 } }, 'message_delta'),
          sse({ type: 'message_stop' }, 'message_stop'),
        ],
      };
    });

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', stream: true, messages: [{ role: 'user', content: 'Find mify' }], tools: [{ name: 'lookup', description: 'Search', parameters: { type: 'object' } }] });

    expect(result.result.message).toEqual({ role: 'assistant', content: 'Checking', toolCalls: [{ id: 'toolu_9', name: 'lookup', arguments: { q: 'mify' } }] });
    expect(result.result.finishReason).toBe('tool_calls');
    expect(result.result.usage).toEqual({ inputTokens: 25, outputTokens: 40 });
    expect(result.result.streamEvents).toBe(11);
  });

  it('stream cut off midway is an error', async () => {
    anthropicVendor(stub, () => ({
      events: [
        sse({ type: 'message_start', message: { model: 'claude-sonnet-4-20250514', usage: { input_tokens: 5, output_tokens: 1 } } }, 'message_start'),
        sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
        sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Once' } }, 'content_block_delta'),
        'event: content_block_delta\ndata: {"type":"content_block_delta","ind',
      ],
    }));

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', stream: true, messages: [{ role: 'user', content: 'Story' }] });

    expect(result.error.code).toBe('unavailable');
    expect(result.error.message).toContain("Provider 'anthropic' (model 'claude-sonnet-4-20250514') cut off its stream after 3 events, before the final message_stop event");
  });

  it('overloaded error event in stream', async () => {
    anthropicVendor(stub, () => ({ events: [sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error')] }));

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', stream: true, messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('unavailable');
    expect(result.error.message).toContain('reported overloaded_error in its stream: Overloaded');
  });

  it('401 names provider, model and credential', async () => {
    anthropicVendor(stub, () => ({ body: message([]) }));

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', credential: 'anthropic-old', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('unauthorized');
    expect(result.error.message).toContain("Provider 'anthropic' (model 'claude-sonnet-4-20250514') rejected the API key from credential 'anthropic-old' (HTTP 401: invalid x-api-key)");
  });

  it('429 reports retry-after', async () => {
    anthropicVendor(stub, () => ({ status: 429, headers: { 'retry-after': '30' }, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } } }));

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('rate_limited');
    expect(result.error.message).toContain('Retry after 30 s');
    expect(result.error.message).toContain('per-minute rate limit');
  });

  it('malformed JSON is an invalid response', async () => {
    anthropicVendor(stub, () => ({ headers: { 'content-type': 'application/json' }, body: '<html>502 Bad Gateway</html>' }));

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('invalid_provider_response');
    expect(result.error.message).toContain("Provider 'anthropic' (model 'claude-sonnet-4-20250514') returned a body that is not a JSON object: \"<html>502 Bad Gateway</html>\"");
  });

  it('unknown model names the fix', async () => {
    anthropicVendor(stub, (request) => ({ status: 404, body: { type: 'error', error: { type: 'not_found_error', message: `model: ${request.body.model}` } } }));

    const result = await k.callGateway('llm.chat', { provider: 'anthropic', model: 'claude-99', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('not_found');
    expect(result.error.message).toContain("Provider 'anthropic' (model 'claude-99') was not found");
    expect(result.error.message).toContain('HTTP 404: model: claude-99');
    expect(result.error.message).toContain('Check the model name');
  });

  it('embed is rejected with alternatives', async () => {
    const result = await k.callGateway('llm.embed', { provider: 'anthropic', model: 'claude-sonnet-4-20250514', input: ['x'] });

    expect(result.error.code).toBe('invalid_argument');
    expect(result.error.message).toContain('Anthropic has no embeddings API');
    expect(stub.requests).toHaveLength(0);
  });
});
