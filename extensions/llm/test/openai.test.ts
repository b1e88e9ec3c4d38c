/**
 * The OpenAI-compatible adapter against a stub that speaks the Chat Completions and
 * Embeddings wire format, called through the kernel's gateway and through the nodes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmKernel, type LlmTestKernel } from './support/kernel.js';
import { sse, startStubServer, type RecordedRequest, type StubServer } from './support/stub-server.js';

const KEY = 'sk-test-openai';

function completion(content: string | null, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', content, ...extra }, finish_reason: extra.tool_calls ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  };
}

/** Replies as the OpenAI API does: checks the bearer key, then lets the test decide. */
function openaiVendor(stub: StubServer, decide: (request: RecordedRequest) => ReturnType<StubServer['reply']>) {
  stub.reply = (request) => {
    if (request.headers.authorization !== `Bearer ${KEY}`) {
      return { status: 401, body: { error: { message: 'Incorrect API key provided: sk-wrong.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } };
    }
    return decide(request);
  };
}

describe('OpenAI-compatible provider', () => {
  let k: LlmTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startLlmKernel();
    await k.addCredential('openai', 'mify.llm.openai-compatible', { apiKey: KEY, baseUrl: `${stub.url}/v1` });
    await k.addCredential('wrong-key', 'mify.llm.openai-compatible', { apiKey: 'sk-wrong', baseUrl: `${stub.url}/v1` });
    await k.addCredential('local-vllm', 'mify.llm.openai-compatible', { baseUrl: `${stub.url}/v1` });
    await k.addCredential('anthropic-key', 'mify.llm.anthropic', { apiKey: 'x' });
    await k.addCredential('deepseek', 'mify.llm.openai-compatible', { apiKey: KEY, baseUrl: `${stub.url}/v1` });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
  });

  it('chat through gateway sends the wire format', async () => {
    openaiVendor(stub, () => ({ body: completion('Hello there.') }));

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], temperature: 0.2, maxTokens: 50 });

    expect(result.error).toBeUndefined();
    expect(result.result.message).toEqual({ role: 'assistant', content: 'Hello there.' });
    expect(result.result.finishReason).toBe('stop');
    expect(result.result.usage).toEqual({ inputTokens: 1000, outputTokens: 500 });
    expect(result.result.cost).toEqual({ inputUsd: 0.0004, outputUsd: 0.0008, totalUsd: 0.0012, source: 'table', pricesAsOf: '2025-06-01' });
    const sent = stub.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toEqual({ model: 'gpt-4.1-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], temperature: 0.2, max_completion_tokens: 50 });
  });

  it('server without key sends no authorization', async () => {
    stub.reply = () => ({ body: completion('local reply') });

    const result = await k.callGateway('llm.chat', { provider: 'vllm', model: 'Qwen/Qwen2.5-7B-Instruct', credential: 'local-vllm', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 10 });

    expect(result.result.message.content).toBe('local reply');
    expect(stub.requests[0]!.headers.authorization).toBeUndefined();
    expect(stub.requests[0]!.body.max_tokens).toBe(10);
    expect(result.result.cost.source).toBe('unknown');
  });

  it('tool-calling node routes tool calls', async () => {
    openaiVendor(stub, () => ({
      body: completion(null, { tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
    }));
    const tools = [{ name: 'get_weather', description: 'Current weather of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];

    const output = await k.runNode('mify.llm.tool-calling', [{ json: { text: 'Weather in Paris?' } }], { provider: 'openai', model: 'gpt-4.1-mini', tools, toolChoice: 'required' });

    expect(output.response).toEqual([]);
    expect(output.toolCalls).toHaveLength(1);
    expect(output.toolCalls[0].json.toolCalls).toEqual([{ id: 'call_abc', name: 'get_weather', arguments: { city: 'Paris' } }]);
    expect(output.toolCalls[0].json.messages.at(-1).toolCalls[0].name).toBe('get_weather');
    expect(output.usage).toEqual({ inputTokens: 1000, outputTokens: 500, costUsd: 0.0012 });
    const sent = stub.requests[0]!.body;
    expect(sent.tools).toEqual([{ type: 'function', function: tools[0] }]);
    expect(sent.tool_choice).toBe('required');
    expect(sent.messages).toEqual([{ role: 'user', content: 'Weather in Paris?' }]);
  });

  it('tool results are sent back as tool messages', async () => {
    openaiVendor(stub, () => ({ body: completion('It is 18 °C in Paris.') }));
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'tool', toolCallId: 'call_abc', content: '{"celsius":18}' },
    ];

    const output = await k.runNode('mify.llm.tool-calling', [{ json: { messages } }], { provider: 'openai', model: 'gpt-4.1-mini', tools: [{ name: 'get_weather', parameters: { type: 'object' } }] });

    expect(output.response[0].json.response).toBe('It is 18 °C in Paris.');
    expect(stub.requests[0]!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"celsius":18}' },
    ]);
  });

  it('extract node sends schema and validates', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } }, required: ['name', 'age'], additionalProperties: false };
    const replies = ['{"name":"Ada","age":"thirty-six"}', '{"name":"Ada","age":36}'];
    openaiVendor(stub, () => ({ body: completion(replies.shift() ?? '{}') }));

    const output = await k.runNode('mify.llm.extract', [{ json: { text: 'Ada Lovelace, 36, mathematician.' } }], { provider: 'openai', model: 'gpt-4.1-mini', schema });

    expect(output.items[0].json.data).toEqual({ name: 'Ada', age: 36 });
    expect(output.items[0].json.llm.attempts).toBe(2);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema } });
    const retry = stub.requests[1]!.body.messages.at(-1);
    expect(retry.role).toBe('user');
    expect(retry.content).toContain('$.age: expected integer, got string');
    expect(output.usage.inputTokens).toBe(2000);
  });

  it('extract node fails after invalid replies', async () => {
    openaiVendor(stub, () => ({ body: completion('{"name":5}') }));

    const failure = await k.runNode('mify.llm.extract', [{ json: { text: 'x' } }], { provider: 'openai', model: 'gpt-4.1-mini', maxAttempts: 1, schema: { type: 'object', properties: { name: { type: 'string' } } } }).catch((error: Error) => error);

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain("Provider 'openai' (model 'gpt-4.1-mini') returned no valid reply in 1 attempt(s): $.name: expected string, got integer");
  });

  it('deepseek gets json_object with the schema in text', async () => {
    openaiVendor(stub, () => ({ body: completion('{"label":"spam","confidence":0.9}') }));

    const output = await k.runNode('mify.llm.classify', [{ json: { text: 'WIN A PRIZE NOW' } }], { provider: 'deepseek', model: 'deepseek-chat', categories: ['spam', 'ham'] });

    expect(output.items[0].json.label).toBe('spam');
    expect(output.items[0].json.confidence).toBe(0.9);
    const sent = stub.requests[0]!.body;
    expect(sent.response_format).toEqual({ type: 'json_object' });
    expect(sent.messages[0].role).toBe('system');
    expect(sent.messages[0].content).toContain('"enum":["spam","ham"]');
  });

  it('streamed chat is assembled', async () => {
    openaiVendor(stub, (request) => {
      if (!request.body.stream) return { status: 400, body: { error: { message: 'expected stream' } } };
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) => sse({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4.1-mini-2025-04-14', choices: [{ index: 0, delta, finish_reason: finish }] });
      return {
        events: [
          chunk({ role: 'assistant', content: '' }),
          chunk({ content: 'Hel' }),
          ': keep-alive comment\n\n',
          chunk({ content: 'lo!' }),
          chunk({}, 'stop'),
          sse({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4.1-mini-2025-04-14', choices: [], usage: { prompt_tokens: 12, completion_tokens: 3 } }),
          sse('[DONE]'),
        ],
      };
    });

    const output = await k.runNode('mify.llm.chat', [{ json: { text: 'Say hello' } }], { provider: 'openai', model: 'gpt-4.1-mini', stream: true });

    expect(output.items[0].json.response).toBe('Hello!');
    expect(output.items[0].json.llm.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(output.items[0].json.llm.finishReason).toBe('stop');
    expect(stub.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  it('streamed tool call arguments are joined', async () => {
    openaiVendor(stub, () => {
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) => sse({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
      return {
        events: [
          chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"mify"}' } }] }),
          chunk({}, 'tool_calls'),
          sse('[DONE]'),
        ],
      };
    });

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: 'Find mify' }], tools: [{ name: 'lookup', description: 'Search', parameters: { type: 'object' } }] });

    expect(result.result.message.toolCalls).toEqual([{ id: 'call_1', name: 'lookup', arguments: { q: 'mify' } }]);
    expect(result.result.finishReason).toBe('tool_calls');
    expect(result.result.usageEstimated).toBe(true);
  });

  it('stream cut off midway is an error', async () => {
    openaiVendor(stub, () => ({
      events: [sse({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Once upon' }, finish_reason: null }] }), 'data: {"object":"chat.completion.chunk","choi'],
    }));

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: 'Tell a story' }] });

    expect(result.error.code).toBe('unavailable');
    expect(result.error.message).toContain("Provider 'openai' (model 'gpt-4.1-mini') cut off its stream after 1 events");
    expect(result.error.message).toContain('set stream to false');
  });

  it('401 names provider, model and credential', async () => {
    openaiVendor(stub, () => ({ body: completion('unused') }));

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', credential: 'wrong-key', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('unauthorized');
    expect(result.error.message).toContain("Provider 'openai' (model 'gpt-4.1-mini') rejected the API key from credential 'wrong-key'");
    expect(result.error.message).toContain('HTTP 401: Incorrect API key provided');
    expect(result.error.message).toContain('Check the key in that credential');
    expect(result.error.message).not.toContain(KEY);
  });

  it('429 reports retry-after', async () => {
    openaiVendor(stub, () => ({ status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached for gpt-4.1-mini on tokens per min.', type: 'tokens', code: 'rate_limit_exceeded' } } }));

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('rate_limited');
    expect(result.error.message).toContain("Provider 'openai' (model 'gpt-4.1-mini') is rate limited (HTTP 429: Rate limit reached");
    expect(result.error.message).toContain('Retry after 7 s');
  });

  it('malformed JSON is an invalid response', async () => {
    openaiVendor(stub, () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"id": "chatcmpl-1", "choices": [' }));

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('invalid_provider_response');
    expect(result.error.message).toContain("Provider 'openai' (model 'gpt-4.1-mini') returned a body that is not a JSON object");
    expect(result.error.message).toContain(`Check that the base URL ${stub.url}`);
  });

  it('unknown model names the fix', async () => {
    openaiVendor(stub, (request) => ({ status: 404, body: { error: { message: `The model \`${request.body.model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found' } } }));

    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-9-turbo', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('not_found');
    expect(result.error.message).toContain("Provider 'openai' (model 'gpt-9-turbo') was not found");
    expect(result.error.message).toContain('The model `gpt-9-turbo` does not exist');
    expect(result.error.message).toContain("Check the model name against the vendor's model list");
  });

  it('vendor error in a node fails the step', async () => {
    openaiVendor(stub, () => ({ status: 503, body: { error: { message: 'The server is overloaded.' } } }));

    const failure = await k.runNode('mify.llm.chat', [{ json: { text: 'Hi' } }], { provider: 'openai', preset: 'fast' }).catch((error: Error) => error);

    expect((failure as Error).message).toContain("Provider 'openai' (model 'gpt-4.1-nano') failed on the vendor's side (HTTP 503: The server is overloaded.)");
  });

  it('onItemError continue keeps other items', async () => {
    let calls = 0;
    openaiVendor(stub, () => (++calls === 1 ? { status: 400, body: { error: { message: 'Invalid value for temperature.' } } } : { body: completion('fine') }));

    const output = await k.runNode('mify.llm.chat', [{ json: { text: 'a' } }, { json: { text: 'b' } }], { provider: 'openai', model: 'gpt-4.1-mini', onItemError: 'continue', concurrency: 1 });

    expect(output.items[0].json.error.code).toBe('invalid_argument');
    expect(output.items[0].json.error.message).toContain('Invalid value for temperature.');
    expect(output.items[1].json.response).toBe('fine');
  });

  it('missing credential names the fix', async () => {
    const result = await k.callGateway('llm.chat', { provider: 'groq', model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.code).toBe('invalid_argument');
    expect(result.error.message).toContain("Provider 'groq' (model 'llama-3.1-8b-instant') needs a credential, but 'groq' was not found in this workspace");
    expect(result.error.message).toContain("Create a credential of type 'mify.llm.openai-compatible' named 'groq'");
  });

  it('credential of another type is rejected', async () => {
    const result = await k.callGateway('llm.chat', { provider: 'openai', model: 'gpt-4.1-mini', credential: 'anthropic-key', messages: [{ role: 'user', content: 'Hi' }] });

    expect(result.error.message).toContain("cannot use credential 'anthropic-key': it has type 'mify.llm.anthropic', expected 'mify.llm.openai-compatible'");
  });

  it('embeddings keep input order', async () => {
    openaiVendor(stub, (request) => ({
      body: {
        object: 'list',
        model: request.body.model,
        data: [
          { object: 'embedding', index: 1, embedding: [0, 1] },
          { object: 'embedding', index: 0, embedding: [1, 0] },
        ],
        usage: { prompt_tokens: 4, total_tokens: 4 },
      },
    }));

    const output = await k.runNode('mify.llm.embed', [{ json: { text: 'first' } }, { json: { text: 'second' } }], { provider: 'openai' });

    expect(stub.requests[0]!.path).toBe('/v1/embeddings');
    expect(stub.requests[0]!.body).toEqual({ model: 'text-embedding-3-small', input: ['first', 'second'] });
    expect(output.items[0].json.embedding).toEqual([1, 0]);
    expect(output.items[1].json.embedding).toEqual([0, 1]);
    expect(output.items[0].json.llm.dimensions).toBe(2);
    expect(output.usage.inputTokens).toBe(4);
  });

  it('embed through gateway', async () => {
    openaiVendor(stub, () => ({ body: { data: [{ index: 0, embedding: [0.5, 0.5, 0.5] }], model: 'text-embedding-3-large', usage: { prompt_tokens: 1_000_000 } } }));

    const result = await k.callGateway('llm.embed', { provider: 'openai', model: 'text-embedding-3-large', input: ['hello'] });

    expect(result.result.vectors).toEqual([[0.5, 0.5, 0.5]]);
    expect(result.result.cost.totalUsd).toBe(0.13);
  });
});
