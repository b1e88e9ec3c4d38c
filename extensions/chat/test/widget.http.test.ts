/**
 * The public chat widget in a real kernel: members create a widget, visitors without an
 * account send messages that run the echo-reply starter graph through the widget's grant,
 * with per-IP rate limits, a daily quota and PII redaction.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../../kernel/src/test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

const FOLDER = fileURLToPath(new URL('..', import.meta.url));
const ECHO = JSON.parse(fs.readFileSync(new URL('../../../templates/starter/echo-reply.json', import.meta.url), 'utf8')) as { graph: { nodes: Array<Record<string, any>> } };

describe.each(databaseBackends)('chat widget on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let cookie = '';
    let graphId = '';
    let visitorCount = 0;

    async function api<T = any>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
      const response = await t.fetch(path, { method: init.method ?? 'GET', cookie, ...(init.json !== undefined ? { json: init.json } : {}) });
      return { status: response.status, body: (await response.json().catch(() => null)) as T };
    }

    /** Sends a visitor's message without any credentials, from `ip` through the trusted proxy header. */
    async function send(widgetId: string, content: string, options: { sessionId?: string; ip?: string; origin?: string } = {}) {
      const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? `198.51.100.${++visitorCount % 250}` };
      if (options.origin) headers.origin = options.origin;
      const response = await t.fetch('/api/chat-widget/message', { method: 'POST', headers, json: { widgetId, sessionId: options.sessionId ?? 'visitor-session-1', content } });
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    }

    async function createWidget(settings: Record<string, unknown> = {}): Promise<string> {
      const created = await api('/api/chat/widgets', { method: 'POST', json: { graphId, ...settings } });
      expect(created.status).toBe(201);
      return created.body.id as string;
    }

    beforeAll(async () => {
      await build({ entryPoints: [`${FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${FOLDER}/dist/index.js`, logLevel: 'warning' });
      t = await startTestKernel(backend.name, { env: { MIFY_TRUST_PROXY: 'true' } });
      cookie = (await setupOwner(t)).cookie;
      const graph = structuredClone(ECHO.graph);
      graph.nodes[1]!.parameters.template = 'You said: ${message} (${history.length} earlier)';
      graphId = (await api('/api/graphs', { method: 'POST', json: { name: 'Echo', definition: graph } })).body.id;
      await api(`/api/graphs/${graphId}/publish`, { method: 'POST' });
    }, 120_000);

    afterAll(async () => {
      await t?.close();
    });

    it('answers visitors with the conversation memory', { timeout: 60_000 }, async () => {
      const widgetId = await createWidget({ memoryMessages: 2 });

      const first = await send(widgetId, 'hello', { sessionId: 'memory-session' });
      const second = await send(widgetId, 'again', { sessionId: 'memory-session' });
      const otherVisitor = await send(widgetId, 'hi', { sessionId: 'other-session' });

      expect(first.status).toBe(200);
      expect(first.body.reply).toBe('You said: hello (0 earlier)');
      expect(second.body.reply).toBe('You said: again (2 earlier)');
      expect(otherVisitor.body.reply).toBe('You said: hi (0 earlier)');
    });

    it('stores and runs only redacted personal data', { timeout: 60_000 }, async () => {
      const widgetId = await createWidget();

      const reply = await send(widgetId, 'mail me at ada@example.com', { sessionId: 'pii-session' });
      const stored = await api(`/api/chat/widgets/${encodeURIComponent(widgetId)}/messages?sessionId=pii-session`);

      expect(reply.body.reply).toBe('You said: mail me at [EMAIL] (0 earlier)');
      expect(stored.body.items.map((message: { content: string }) => message.content)).toEqual(['mail me at [EMAIL]', 'You said: mail me at [EMAIL] (0 earlier)']);
      expect(JSON.stringify(stored.body)).not.toContain('ada@example.com');
    });

    it('keeps personal data when redaction is off', { timeout: 60_000 }, async () => {
      const widgetId = await createWidget({ redactPii: false });

      expect((await send(widgetId, 'ada@example.com')).body.reply).toBe('You said: ada@example.com (0 earlier)');
    });

    it('rejects messages past the daily quota', { timeout: 60_000 }, async () => {
      const widgetId = await createWidget({ dailyQuota: 2 });

      const answered = [await send(widgetId, 'one'), await send(widgetId, 'two')];
      const rejected = await send(widgetId, 'three');

      expect(answered.map((response) => response.status)).toEqual([200, 200]);
      expect(answered[1]!.body.remainingToday).toBe(0);
      expect(rejected.status).toBe(429);
      expect(rejected.body.code).toBe('quota_exhausted');
      expect(rejected.body.detail).toContain('its 2 messages for today');
    });

    it('answers exactly the quota of concurrent messages', { timeout: 120_000 }, async () => {
      const widgetId = await createWidget({ dailyQuota: 4 });

      const responses = await Promise.all(Array.from({ length: 10 }, (_, index) => send(widgetId, `message ${index}`, { sessionId: `concurrent-${index}` })));

      expect(responses.filter((response) => response.status === 200)).toHaveLength(4);
      expect(responses.filter((response) => response.status === 429)).toHaveLength(6);
    });

    it('rate-limits one address but not another', { timeout: 60_000 }, async () => {
      const widgetId = await createWidget({ perIpPerMinute: 2 });

      const fromOne = [await send(widgetId, 'a', { ip: '203.0.113.9' }), await send(widgetId, 'b', { ip: '203.0.113.9' }), await send(widgetId, 'c', { ip: '203.0.113.9' })];
      const fromAnother = await send(widgetId, 'd', { ip: '203.0.113.10' });

      expect(fromOne.map((response) => response.status)).toEqual([200, 200, 429]);
      expect(fromOne[2]!.body.code).toBe('rate_limited');
      expect(Number(fromOne[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(fromAnother.status).toBe(200);
    });

    it('rejects an origin outside allowedOrigins', { timeout: 60_000 }, async () => {
      const widgetId = await createWidget({ allowedOrigins: ['https://shop.example.com'] });

      const other = await send(widgetId, 'hi', { origin: 'https://evil.example.net' });
      const allowed = await send(widgetId, 'hi', { origin: 'https://shop.example.com' });

      expect(other.status).toBe(403);
      expect(other.body.detail).toContain('https://evil.example.net');
      expect(allowed.status).toBe(200);
    });

    it('serves the public widget settings without the grant', async () => {
      const widgetId = await createWidget({ title: 'Help desk', greeting: 'Ask me anything' });

      const response = await t.fetch(`/api/chat-widget/config/${encodeURIComponent(widgetId)}`);
      const body = await response.json();

      expect(body).toEqual({ id: widgetId, title: 'Help desk', greeting: 'Ask me anything' });
    });

    it('hides the grant from members too', async () => {
      const widgetId = await createWidget();

      const widget = await api(`/api/chat/widgets/${encodeURIComponent(widgetId)}`);

      expect(widget.body.graphId).toBe(graphId);
      expect(widget.body).not.toHaveProperty('grant');
      expect(widget.body.embedPath).toBe(`/embed/chat?widget=${encodeURIComponent(widgetId)}`);
    });

    it('updates settings and keeps the rest', async () => {
      const widgetId = await createWidget({ dailyQuota: 7, title: 'Before' });

      const updated = await api(`/api/chat/widgets/${encodeURIComponent(widgetId)}`, { method: 'PUT', json: { title: 'After' } });

      expect(updated.body.title).toBe('After');
      expect(updated.body.dailyQuota).toBe(7);
    });

    it.each([
      ['an unknown graph', { graphId: 'graph_nope' }, 'graph_nope'],
      ['a quota of 0', { dailyQuota: 0 }, 'dailyQuota must be an integer from 1'],
      ['an origin with a path', { allowedOrigins: ['https://shop.example.com/page'] }, 'is not an origin'],
      ['a non-boolean redactPii', { redactPii: 'yes' }, 'redactPii must be true or false'],
    ])('rejects a widget with %s', async (_case, settings, fragment) => {
      const response = await api('/api/chat/widgets', { method: 'POST', json: { graphId, ...settings } });

      expect(response.status).toBe(422);
      expect(response.body.detail).toContain(fragment);
    });

    it('answers 404 for an unknown widget', async () => {
      const response = await send('ws_nope:doc_nope', 'hi');

      expect(response.status).toBe(404);
      expect(response.body.detail).toContain('ws_nope:doc_nope');
    });

    it('rejects a session id that is too short', async () => {
      const widgetId = await createWidget();

      const response = await send(widgetId, 'hi', { sessionId: 'short' });

      expect(response.status).toBe(422);
      expect(response.body.detail).toContain('sessionId must be 8-100');
    });

    it('needs a workspace to create a widget', async () => {
      const response = await t.fetch('/api/chat/widgets', { method: 'POST', json: { graphId } });

      expect(response.status).toBe(401);
    });
  });
});
