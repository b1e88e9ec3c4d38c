/**
 * The nodes that build prompts (summarize, classify, moderate, chat in JSON mode, token
 * count), presets, per-item parameters, and a node that uses another extension's provider
 * through the kernel's gateway.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../../../kernel/src/test-support/extensions.js';
import { startLlmKernel, type LlmTestKernel } from './support/kernel.js';
import { startStubServer, type StubServer } from './support/stub-server.js';

function completion(content: string) {
  return { model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 100, completion_tokens: 10 } };
}

describe('LLM nodes', () => {
  let k: LlmTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startLlmKernel();
    await k.addCredential('openai', 'mify.llm.openai-compatible', { apiKey: 'sk-nodes', baseUrl: `${stub.url}/v1` });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
  });

  it('summarize builds the instructions', async () => {
    stub.reply = () => ({ body: completion('  - Point one\n- Point two  ') });

    const output = await k.runNode('mify.llm.summarize', [{ json: { id: 7, text: 'A long report.' } }], { style: 'bullets', maxWords: 40, language: 'Spanish', preset: 'fast' });

    expect(output.items[0].json).toMatchObject({ id: 7, summary: '- Point one\n- Point two' });
    const sent = stub.requests[0]!.body;
    expect(sent.model).toBe('gpt-4.1-nano');
    expect(sent.messages[0].content).toContain('Markdown bullet list');
    expect(sent.messages[0].content).toContain('at most 40 words');
    expect(sent.messages[0].content).toContain('Write in Spanish.');
    expect(sent.messages[1]).toEqual({ role: 'user', content: 'A long report.' });
  });

  it('summarize rejects an unknown style', async () => {
    const failure = await k.runNode('mify.llm.summarize', [{ json: { text: 'x' } }], { style: 'haiku' }).catch((error: Error) => error);

    expect((failure as Error).message).toContain("Parameter 'style' is 'haiku'; expected one of paragraph, bullets, tldr.");
    expect(stub.requests).toHaveLength(0);
  });

  it('classify multi-label validates labels', async () => {
    const replies = ['{"labels":["billing","weather"],"confidence":0.8}', '{"labels":["billing","bug"],"confidence":0.7}'];
    stub.reply = () => ({ body: completion(replies.shift()!) });

    const output = await k.runNode('mify.llm.classify', [{ json: { text: 'I was charged twice and the app crashed.' } }], { categories: ['billing', { name: 'bug', description: 'Software defects' }, 'other'], multiLabel: true });

    expect(output.items[0].json.labels).toEqual(['billing', 'bug']);
    expect(output.items[0].json.confidence).toBe(0.7);
    expect(stub.requests[0]!.body.messages[0].content).toContain('- bug: Software defects');
    expect(stub.requests[1]!.body.messages.at(-1).content).toContain('$.labels[1]: expected one of ["billing","bug","other"], got "weather"');
  });

  it('classify needs two categories', async () => {
    const failure = await k.runNode('mify.llm.classify', [{ json: { text: 'x' } }], { categories: ['only'] }).catch((error: Error) => error);

    expect((failure as Error).message).toContain("Parameter 'categories' must list at least two categories");
  });

  it('moderate routes flagged items', async () => {
    stub.reply = (request) => {
      const text = request.body.messages.at(-1).content as string;
      const violent = text.includes('hurt');
      return { body: completion(JSON.stringify({ scores: { violence: violent ? 0.9 : 0.1, hate: 0 }, reason: violent ? 'Threat of violence.' : 'Harmless.' })) };
    };

    const output = await k.runNode('mify.llm.moderate', [{ json: { text: 'Nice weather today.' } }, { json: { text: 'I will hurt you.' } }], { categories: ['violence', 'hate'], threshold: 0.6 });

    expect(output.allowed).toHaveLength(1);
    expect(output.flagged).toHaveLength(1);
    expect(output.flagged[0].json.moderation).toEqual({ flagged: true, categories: ['violence'], scores: { violence: 0.9, hate: 0 }, reason: 'Threat of violence.', threshold: 0.6 });
    expect(output.allowed[0].json.moderation.flagged).toBe(false);
    expect(output.usage).toEqual({ inputTokens: 200, outputTokens: 20, costUsd: 0.000112 });
  });

  it('chat json mode parses the reply', async () => {
    stub.reply = () => ({ body: completion('```json\n{"ok":true}\n```') });

    const output = await k.runNode('mify.llm.chat', [{ json: { text: 'Reply with ok' } }], { responseFormat: 'json', outputField: 'answer', price: { inputPerMillion: 10, outputPerMillion: 100 } });

    expect(output.items[0].json.answer).toEqual({ ok: true });
    expect(output.items[0].json.llm.cost).toEqual({ inputUsd: 0.001, outputUsd: 0.001, totalUsd: 0.002, source: 'override' });
    expect(stub.requests[0]!.body.response_format).toEqual({ type: 'json_object' });
  });

  it('per-item parameters pick models', async () => {
    stub.reply = (request) => ({ body: completion(`from ${request.body.model}`) });
    const items = [{ json: { text: 'a' } }, { json: { text: 'b' } }];

    // The kernel sends itemParameters when the parameters contain expressions, one entry per item.
    const output = (await k.t.kernel.services.extensionHost.invoke(
      'mify.llm',
      { kind: 'node', name: 'mify.llm.chat', input: { items, parameters: { model: 'gpt-4.1' }, itemParameters: [{ model: 'gpt-4.1' }, { model: 'gpt-4o' }] } },
      { workspaceId: k.workspaceId },
    )) as { items: Array<{ json: { response: string } }> };

    expect(output.items.map((item) => item.json.response)).toEqual(['from gpt-4.1', 'from gpt-4o']);
  });

  it('unknown preset names the choices', async () => {
    const failure = await k.runNode('mify.llm.chat', [{ json: { text: 'x' } }], { preset: 'cheap' }).catch((error: Error) => error);

    expect((failure as Error).message).toContain("Parameter 'preset' is 'cheap'; expected one of fast, balanced, accurate.");
  });

  it('provider without presets needs a model', async () => {
    const failure = await k.runNode('mify.llm.chat', [{ json: { text: 'x' } }], { provider: 'vllm' }).catch((error: Error) => error);

    expect((failure as Error).message).toContain("Provider 'vllm' has no 'balanced' preset; set the node's model parameter");
  });

  it('token count needs no provider', async () => {
    const output = await k.runNode('mify.llm.token-count', [{ json: { text: 'Hello, world!' } }], { maxTokens: 5 });

    expect(output.items[0].json.tokenCount).toEqual({ tokens: 6, characters: 13, method: 'estimate', maxTokens: 5, withinLimit: false });
    expect(stub.requests).toHaveLength(0);
  });

  it('token count rejects missing text', async () => {
    const failure = await k.runNode('mify.llm.token-count', [{ json: {} }], {}).catch((error: Error) => error);

    expect((failure as Error).message).toContain("Parameter 'text' is empty and the item has no \"text\" field");
  });

  it('uses another extension provider via gateway', async () => {
    await k.t.kernel.services.extensionHost.install({
      folder: writeIsolateExtension({
        id: 'acme.echo-llm',
        manifest: { contributes: { providers: [{ id: 'acme-echo', kind: 'llm', name: 'Echo' }] } },
        code: `export default { providers: { 'acme-echo': { call(ctx, input) {
          const last = input.request.messages[input.request.messages.length - 1];
          return { model: input.request.model, message: { role: 'assistant', content: 'echo: ' + last.content }, finishReason: 'stop', usage: { inputTokens: 2, outputTokens: 3 } };
        } } } };`,
      }),
    });

    const output = await k.runNode('mify.llm.chat', [{ json: { text: 'ping' } }], { provider: 'acme-echo', model: 'echo-1' });

    expect(output.items[0].json.response).toBe('echo: ping');
    expect(output.items[0].json.llm).toMatchObject({ provider: 'acme-echo', model: 'echo-1', usage: { inputTokens: 2, outputTokens: 3 }, cost: { source: 'unknown', totalUsd: 0 } });
  });
});
