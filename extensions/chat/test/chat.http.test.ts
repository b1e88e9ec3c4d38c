/**
 * mify.chat in a real kernel: a session answered by the echo-reply starter graph, with the
 * conversation's memory passed to each run and personal data redacted.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

const FOLDER = fileURLToPath(new URL('..', import.meta.url));
const ECHO = JSON.parse(fs.readFileSync(new URL('../../../templates/starter/echo-reply.json', import.meta.url), 'utf8')) as { graph: { nodes: Array<Record<string, any>> } };

describe('mify.chat', () => {
  let t: TestKernel;
  let cookie = '';
  let graphId = '';

  async function api<T = any>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
    const response = await t.fetch(path, { method: init.method ?? 'GET', cookie, ...(init.json !== undefined ? { json: init.json } : {}) });
    return { status: response.status, body: (await response.json().catch(() => null)) as T };
  }

  beforeAll(async () => {
    await build({ entryPoints: [`${FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${FOLDER}/dist/index.js`, logLevel: 'warning' });
    t = await startTestKernel('pglite');
    cookie = (await setupOwner(t)).cookie;
    // The reply quotes the message and counts the messages the graph received as memory.
    const graph = structuredClone(ECHO.graph);
    graph.nodes[1]!.parameters.template = 'You said: ${message} (${history.length} earlier)';
    graphId = (await api('/api/graphs', { method: 'POST', json: { name: 'Echo', definition: graph } })).body.id;
    await api(`/api/graphs/${graphId}/publish`, { method: 'POST' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('replies with the conversation memory', { timeout: 60_000 }, async () => {
    const session = await api('/api/chat/sessions', { method: 'POST', json: { graphId, memoryMessages: 2 } });
    expect(session.status).toBe(201);

    const first = await api(`/api/chat/sessions/${session.body.id}/messages`, { method: 'POST', json: { content: 'hello' } });
    const second = await api(`/api/chat/sessions/${session.body.id}/messages`, { method: 'POST', json: { content: 'again' } });
    const third = await api(`/api/chat/sessions/${session.body.id}/messages`, { method: 'POST', json: { content: 'and again' } });
    const stored = await api(`/api/chat/sessions/${session.body.id}`);

    expect(first.body.reply).toBe('You said: hello (0 earlier)');
    expect(second.body.reply).toBe('You said: again (2 earlier)');
    expect(third.body.reply).toBe('You said: and again (2 earlier)');
    expect(stored.body.messages).toHaveLength(6);
  });

  it('redacts personal data before storing and running', { timeout: 60_000 }, async () => {
    const session = await api('/api/chat/sessions', { method: 'POST', json: { graphId } });

    const reply = await api(`/api/chat/sessions/${session.body.id}/messages`, { method: 'POST', json: { content: 'mail me at ada@example.com' } });
    const stored = await api(`/api/chat/sessions/${session.body.id}`);

    expect(reply.body.reply).toBe('You said: mail me at [EMAIL] (0 earlier)');
    expect(JSON.stringify(stored.body.messages)).not.toContain('ada@example.com');
  });

  it.each([
    ['an unknown graph', { graphId: 'graph_nope' }, 'graph_nope'],
    ['too much memory', { graphId: 'g', memoryMessages: 51 }, 'memoryMessages'],
  ])('rejects a session with %s', async (_case, body, fragment) => {
    const response = await api('/api/chat/sessions', { method: 'POST', json: body });

    expect(response.status).toBe(422);
    expect(response.body.detail).toContain(fragment);
  });

  it('rejects an empty message', async () => {
    const session = await api('/api/chat/sessions', { method: 'POST', json: { graphId } });

    expect((await api(`/api/chat/sessions/${session.body.id}/messages`, { method: 'POST', json: { content: ' ' } })).status).toBe(422);
  });
});
