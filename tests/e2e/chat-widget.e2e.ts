// The embeddable chat widget in headless Chromium: a page on another origin of
// 127.0.0.1 embeds /embed/chat in an iframe; a visitor without an account sends
// messages answered by the echo-reply starter graph, personal data is stored
// redacted, and the exhausted daily quota is shown. Screenshots go to
// test-results/chat-widget/.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Frame, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'chat-widget');
const ECHO = JSON.parse(fs.readFileSync(path.join(ROOT, 'templates', 'starter', 'echo-reply.json'), 'utf8')) as { graph: { nodes: Array<Record<string, any>> } };
const DAILY_QUOTA = 3;

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'chat widget in Chromium'
  : 'chat widget in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let hostSite: http.Server;
  let hostUrl = '';
  let browser: Browser;
  let page: Page;
  let widget: FrameLocator;
  let cookie = '';
  let widgetId = '';
  let shot = 0;

  async function screenshot(name: string) {
    shot += 1;
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  async function api(pathname: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${kernel.url}${pathname}`, {
      method: init.method ?? 'GET',
      headers: { cookie, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  function widgetFrame(): Frame {
    const frame = page.frames().find((candidate) => candidate.url().includes('/embed/chat'));
    if (!frame) throw new Error(`no /embed/chat frame among ${page.frames().map((candidate) => candidate.url()).join(', ')}`);
    return frame;
  }

  async function sendMessage(text: string) {
    await widget.getByLabel('Message').fill(text);
    await widget.getByRole('button', { name: 'Send' }).click();
  }

  async function lastReply(count: number): Promise<string> {
    const replies = widget.locator('li[data-role="assistant"]');
    await replies.nth(count - 1).waitFor();
    return (await replies.nth(count - 1).textContent()) ?? '';
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the chat widget end to end: ${missing}.`);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    kernel = await startKernel();

    const setup = await fetch(`${kernel.url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@example.com', password: 'correct-horse-1', workspace: 'Shop' }) });
    expect(setup.status).toBe(201);
    cookie = setup.headers.getSetCookie().find((value) => value.startsWith('mify_session='))!.split(';')[0]!;
    const graph = structuredClone(ECHO.graph);
    graph.nodes[1]!.parameters.template = 'You said: ${message} (${history.length} earlier)';
    const created = await api('/api/graphs', { method: 'POST', json: { name: 'Echo', definition: graph } });
    await api(`/api/graphs/${created.body.id}/publish`, { method: 'POST' });
    const widgetResponse = await api('/api/chat/widgets', { method: 'POST', json: { graphId: created.body.id, title: 'Shop help', greeting: 'Hi! How can I help?', dailyQuota: DAILY_QUOTA } });
    expect(widgetResponse.status).toBe(201);
    widgetId = widgetResponse.body.id;

    // The embedding site: another origin (its own port) whose page contains the iframe.
    const embedUrl = `${kernel.url}${widgetResponse.body.embedPath}`;
    hostSite = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1><iframe title="Chat" src="${embedUrl}" width="420" height="560"></iframe></body></html>`);
    });
    await new Promise<void>((resolve) => hostSite.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(hostSite.address() as AddressInfo).port}/`;

    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 900, height: 700 } })).newPage();
    widget = page.frameLocator('iframe[title="Chat"]');
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (hostSite ? hostSite.close(resolve) : resolve(undefined)));
    await kernel?.stop();
  });

  it('shows the widget inside the other site', async () => {
    await page.goto(hostUrl);

    await widget.getByRole('heading', { name: 'Shop help' }).waitFor();
    await expect(widget.locator('.greeting').textContent()).resolves.toBe('Hi! How can I help?');
    await screenshot('embedded');
  });

  it('answers with the graph and remembers the conversation', async () => {
    await sendMessage('hello');
    const first = await lastReply(1);
    await sendMessage('what did I say?');
    const second = await lastReply(2);

    expect(first).toBe('You said: hello (0 earlier)');
    expect(second).toBe('You said: what did I say? (2 earlier)');
    await screenshot('replies');
  });

  it('stores the message with personal data redacted', async () => {
    await sendMessage('write to ada@example.com');
    const reply = await lastReply(3);
    const sessionId = await widgetFrame().evaluate((id) => localStorage.getItem(`mify.chat-widget.session.${id}`), widgetId);
    const stored = await api(`/api/chat/widgets/${encodeURIComponent(widgetId)}/messages?sessionId=${sessionId}`);

    expect(reply).toBe('You said: write to [EMAIL] (4 earlier)');
    await expect(widget.locator('li[data-role="user"]').nth(2).textContent()).resolves.toBe('write to [EMAIL]');
    expect(stored.body.items).toHaveLength(6);
    expect(JSON.stringify(stored.body)).not.toContain('ada@example.com');
    await screenshot('redacted');
  });

  it('shows the exhausted daily quota', async () => {
    await sendMessage('one more');

    const alert = widget.getByRole('alert');
    await alert.waitFor();

    await expect(alert.textContent()).resolves.toContain(`its ${DAILY_QUOTA} messages for today`);
    await expect(widget.getByLabel('Message').inputValue()).resolves.toBe('one more');
    await screenshot('quota-exhausted');
  });

  it('names a missing widget id', async () => {
    await page.goto(`${kernel.url}/embed/chat`);

    await expect(page.getByRole('alert').textContent()).resolves.toContain('needs ?widget=<widget id>');
  });
});
