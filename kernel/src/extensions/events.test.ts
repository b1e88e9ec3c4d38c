import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** events.publish in one extension reaching the `event` hook of another that subscribed. */
describe('extension events', () => {
  let t: TestKernel;
  let workspaceId: string;

  const run = (extensionId: string, json: Record<string, unknown>) =>
    t.kernel.services.extensionHost.invoke(extensionId, { kind: 'node', name: `${extensionId}.echo`, input: { items: [{ json }] } }, { workspaceId });

  const received = async (): Promise<unknown> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const rows = await t.kernel.services.db.query<{ value: unknown }>(`select value from extension_kv where extension_id = 'acme.sub' and key = 'last'`);
      if (rows[0]) return rows[0].value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return null;
  };

  beforeAll(async () => {
    t = await startTestKernel('pglite');
    workspaceId = (await setupOwner(t)).workspace.id;
    const host = t.kernel.services.extensionHost;
    await host.install({
      folder: writeIsolateExtension({
        id: 'acme.pub',
        manifest: { permissions: ['events:publish'] },
        code: `export default { nodes: { 'acme.pub.echo': { async execute(ctx, input) { await ctx.host.call('events.publish', ['note-saved', input.items[0].json]); return { items: [] }; } } } };`,
      }),
    });
    await host.install({
      folder: writeIsolateExtension({
        id: 'acme.sub',
        manifest: { permissions: ['events:subscribe', 'kv:write'] },
        code: `export default {
          nodes: { 'acme.sub.echo': { async execute(ctx) { await ctx.host.call('events.subscribe', ['acme.pub.note-saved']); return { items: [] }; } } },
          hooks: { async event(ctx, event) { await ctx.host.call('kv.set', ['last', { topic: event.topic, source: event.source, payload: event.payload }]); } },
        };`,
      }),
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('delivers a published event to the subscriber hook', async () => {
    await run('acme.sub', {});
    await run('acme.pub', { id: 7 });

    expect(await received()).toEqual({ topic: 'acme.pub.note-saved', source: 'acme.pub', payload: { id: 7 } });
  });

  it('keeps the subscription across a reload', async () => {
    const host = t.kernel.services.extensionHost;
    await host.disable('acme.sub');
    await host.enable('acme.sub');
    await t.kernel.services.db.query(`delete from extension_kv where extension_id = 'acme.sub' and key = 'last'`);
    await run('acme.pub', { id: 8 });

    expect(await received()).toEqual({ topic: 'acme.pub.note-saved', source: 'acme.pub', payload: { id: 8 } });
  });
});
