import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** A node calling ctx.host llm.chat / llm.embed, routed by the gateway to a provider extension's sandbox. */
describe('LLM gateway', () => {
  let t: TestKernel;
  let workspaceId: string;

  const call = (json: Record<string, unknown>) =>
    t.kernel.services.extensionHost.invoke('acme.asker', { kind: 'node', name: 'acme.asker.echo', input: { items: [{ json }] } }, { workspaceId }).then(
      (output) => (output as { items: Array<{ json: Record<string, unknown> }> }).items[0]!.json,
      (error: Error) => ({ error: error.message, code: (error.cause as { code?: string } | undefined)?.code }),
    );

  beforeAll(async () => {
    t = await startTestKernel('pglite');
    workspaceId = (await setupOwner(t)).workspace.id;
    // Bundled extensions such as mify.llm contribute providers too; these tests need echo to be the only one.
    const providerExtensions = new Set(t.kernel.services.contributions.list().providers.map((provider) => provider.extensionId));
    for (const extensionId of providerExtensions) await t.kernel.services.extensionHost.disable(extensionId);
    await t.kernel.services.extensionHost.install({
      folder: writeIsolateExtension({
        id: 'acme.echo-llm',
        manifest: {
          contributes: {
            providers: [
              { id: 'echo', kind: 'llm', name: 'Echo LLM', models: ['echo-1', 'broken', 'throttled'] },
            ],
          },
        },
        code: `export default { providers: { echo: { call(ctx, input) {
          if (input.request.model === 'broken') return { nonsense: true };
          if (input.request.model === 'throttled') return { error: { code: 'rate_limited', message: 'Echo is rate limited; retry after 9 s.', retryAfterSeconds: 9 } };
          if (input.operation === 'embed') return { model: input.request.model, vectors: input.request.input.map((text) => [text.length, 1]), usage: { inputTokens: input.request.input.length } };
          const last = input.request.messages[input.request.messages.length - 1];
          return { model: input.request.model, message: { role: 'assistant', content: 'echo: ' + last.content }, finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } };
        } } } };`,
      }),
    });
    await t.kernel.services.extensionHost.install({
      folder: writeIsolateExtension({
        id: 'acme.asker',
        manifest: { permissions: ['llm:invoke'] },
        code: `export default { nodes: { 'acme.asker.echo': { async execute(ctx, input) {
          const { operation, request } = input.items[0].json;
          return { items: [{ json: await ctx.host.call(operation, [request]) }] };
        } } } };`,
      }),
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('routes a chat to the only provider', async () => {
    const result = await call({ operation: 'llm.chat', request: { model: 'echo-1', messages: [{ role: 'user', content: 'hello' }] } });

    expect(result).toEqual({ model: 'echo-1', message: { role: 'assistant', content: 'echo: hello' }, finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } });
  });

  it('routes embeddings by provider id', async () => {
    const result = await call({ operation: 'llm.embed', request: { provider: 'echo', model: 'echo-1', input: ['ab', 'abc'] } });

    expect(result).toEqual({ model: 'echo-1', vectors: [[2, 1], [3, 1]], usage: { inputTokens: 2 } });
  });

  it('names an unknown provider and the known ones', async () => {
    const result = await call({ operation: 'llm.chat', request: { provider: 'nope', model: 'x', messages: [{ role: 'user', content: 'hi' }] } });

    expect(result.error).toContain("no active extension contributes a chat provider 'nope'");
    expect(result.error).toContain('Providers available: echo');
  });

  it('names an unknown model', async () => {
    const result = await call({ operation: 'llm.chat', request: { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }] } });

    expect(result.error).toContain("Provider 'echo' has no model 'gpt-x'");
  });

  it('rejects an invalid provider response', async () => {
    const result = await call({ operation: 'llm.chat', request: { model: 'broken', messages: [{ role: 'user', content: 'hi' }] } });

    expect(result.error).toContain("Provider 'echo' returned an invalid chat response");
  });

  it('passes a provider error on with its code', async () => {
    const result = await call({ operation: 'llm.chat', request: { model: 'throttled', messages: [{ role: 'user', content: 'hi' }] } });
    const status = (await t.kernel.services.extensionHost.list()).find((extension) => extension.id === 'acme.echo-llm');

    expect(result.error).toContain('Echo is rate limited; retry after 9 s.');
    expect(result.code).toBe('rate_limited');
    expect(status?.recentFailures).toBe(0);
  });
});
