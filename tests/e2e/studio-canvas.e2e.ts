// Builds a graph in the studio's editor in headless Chromium against a real
// kernel. Three nodes are dragged from the palette onto an empty canvas, their
// ports connected by dragging handles, and their parameters filled through the
// generated forms, one with a completed expression. The graph runs with live
// step events, and the inspector shows the output. Then come pinned data with a
// partial run, undo and redo, copy and paste, and saving. Screenshots go to
// test-results/studio-canvas/.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

// playwright-core is a devDependency of the studio package, so it is resolved from there.
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'studio-canvas');

const owner = { name: 'Grace Hopper', email: 'grace@example.com', password: 'correct horse battery staple' };

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'studio canvas in Chromium'
  : 'studio canvas in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

interface StoredGraph {
  draft: { nodes: Array<{ id: string; name: string; type: string; parameters: Record<string, unknown> }>; edges: Array<{ from: { node: string }; to: { node: string } }>; pinnedData: Record<string, Array<{ json: Record<string, unknown> }>> };
}

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shot = 0;
  let workspaceId = '';
  let graphId = '';

  async function screenshot(name: string) {
    shot += 1;
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`) });
  }

  async function api<T>(method: 'GET' | 'POST' | 'PUT', url: string, data?: unknown): Promise<T> {
    const response = await page.request.fetch(url, { method, data, headers: { 'x-mify-workspace': workspaceId } });
    if (!response.ok()) throw new Error(`${method} ${url} returned ${response.status()}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  const canvas = () => page.getByRole('application', { name: 'Graph canvas' });
  const panel = () => page.getByRole('complementary', { name: 'Selected node' });
  const canvasNode = (name: string) => page.getByRole('group', { name: `Node ${name}`, exact: true });
  const canvasNodes = () => page.locator('.svelte-flow__node');

  async function center(locator: Locator): Promise<{ x: number; y: number }> {
    const box = await locator.boundingBox();
    if (!box) throw new Error('The element has no bounding box; it is not visible.');
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  /** Drags a palette entry onto the canvas at a point relative to the canvas's top-left corner. */
  async function dropFromPalette(nodeName: string, at: { x: number; y: number }) {
    const before = await canvasNodes().count();
    await page.getByRole('button', { name: `Add ${nodeName}`, exact: true }).dragTo(canvas(), { targetPosition: at });
    await expect.poll(() => canvasNodes().count()).toBe(before + 1);
  }

  /** Connects two ports the way a user does: press on the output handle, move, release on the input handle. */
  async function connect(from: string, to: string) {
    const start = await center(page.getByLabel(`Output main of ${from}`, { exact: true }));
    const end = await center(page.getByLabel(`Input main of ${to}`, { exact: true }));
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    await page.mouse.move((start.x + end.x) / 2, (start.y + end.y) / 2, { steps: 8 });
    await page.mouse.move(end.x, end.y, { steps: 8 });
    await page.mouse.up();
  }

  async function selectNode(name: string) {
    await canvasNode(name).click();
    await panel().getByRole('heading', { level: 2, name }).waitFor();
  }

  async function rename(name: string) {
    const field = panel().getByLabel('Name', { exact: true });
    await field.fill(name);
    await field.press('Tab');
    await panel().getByRole('heading', { level: 2, name }).waitFor();
  }

  /** Adds a `set` operation to the Edit fields node in the panel; `value` is typed unless `typeValue` types it instead. */
  async function addSetOperation(fieldPath: string, type: string, value?: string) {
    await panel().getByRole('button', { name: 'Add operation' }).click();
    await panel().getByLabel('Operation', { exact: true }).selectOption({ label: 'set' });
    await panel().getByLabel('Field', { exact: true }).fill(fieldPath);
    await panel().getByLabel('Type', { exact: true }).selectOption({ label: type });
    if (value !== undefined) await panel().getByLabel('Value', { exact: true }).fill(value);
  }

  /** Clicks an empty spot of the canvas, so keyboard shortcuts are not typed into a field. */
  async function focusCanvas() {
    const box = (await canvas().boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + 20);
  }

  async function storedGraph(): Promise<StoredGraph> {
    return api<StoredGraph>('GET', `/api/graphs/${graphId}`);
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the studio end to end: ${missing}.`);

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    kernel = await startKernel();
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    context = await browser.newContext({ baseURL: kernel.url, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page = await context.newPage();

    // The request context shares the browser's cookies, so setup signs the browser in.
    const setup = await page.request.post('/api/setup', { data: { ...owner, workspace: 'Compilers' } });
    expect(setup.status()).toBe(201);
    workspaceId = ((await setup.json()) as { workspace: { id: string } }).workspace.id;
    const graph = await api<{ id: string }>('POST', '/api/graphs', { name: 'Price doubling' });
    graphId = graph.id;
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') await screenshot(`failed-${context.task.name.replace(/[^a-z0-9]+/gi, '-')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
  });

  it('opens an empty graph in the editor', async () => {
    await page.goto(`/graphs/${graphId}`);

    await page.getByRole('heading', { level: 1, name: 'Price doubling' }).waitFor();
    await page.getByText('Drag a node from the palette').waitFor();
    await expect(canvasNodes().count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Add Edit fields', exact: true }).isVisible()).resolves.toBe(true);
    await screenshot('empty-editor');
  });

  it('palette search filters node types', async () => {
    const search = page.getByLabel('Search nodes');
    await search.fill('template');

    await expect(page.getByRole('button', { name: 'Add Template', exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Add Edit fields', exact: true }).count()).resolves.toBe(0);

    await search.fill('');
    await page.getByRole('button', { name: 'Add Edit fields', exact: true }).waitFor();
  });

  it('first node dropped and run alone', async () => {
    await dropFromPalette('Edit fields', { x: 130, y: 80 });
    await canvasNode('Edit fields').waitFor();

    await rename('Set price');
    await addSetOperation('price', 'number', '21');

    await panel().getByRole('button', { name: 'Run to this node' }).click();

    const badge = canvasNode('Set price').locator('.badge.status');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe('succeeded · 1 item');
    await panel().getByRole('tab', { name: 'Table' }).waitFor();
    await expect(panel().getByRole('cell', { name: '21', exact: true }).isVisible()).resolves.toBe(true);
    await screenshot('first-node-ran');
  });

  it('two more nodes dropped and connected', async () => {
    await dropFromPalette('Edit fields', { x: 380, y: 230 });
    await rename('Double');
    await dropFromPalette('Template', { x: 130, y: 400 });
    await rename('Render');

    await connect('Set price', 'Double');
    await connect('Double', 'Render');

    await expect.poll(() => page.locator('.svelte-flow__edge').count()).toBe(2);
    await screenshot('three-nodes-connected');
  });

  it('expression completes fields of the input', async () => {
    await selectNode('Double');
    await addSetOperation('total', 'number');

    const value = panel().getByLabel('Value', { exact: true });
    await value.click();
    await value.pressSequentially('{{ $json.');
    const completions = panel().getByRole('listbox', { name: 'Completions' });
    await completions.waitFor();
    await expect(completions.getByRole('option').allTextContents()).resolves.toEqual(['price number']);
    await screenshot('expression-completion');

    await value.press('Enter');
    await expect(value.inputValue()).resolves.toBe('{{ $json.price');
    await value.pressSequentially(' * 2 }}');
    await expect(value.inputValue()).resolves.toBe('{{ $json.price * 2 }}');

    await selectNode('Render');
    await panel().getByLabel('Template', { exact: true }).fill('Total: ${total}');
  });

  it('run shows live statuses and output', async () => {
    const events = page.waitForRequest((request) => /\/api\/runs\/[^/]+\/events$/.test(new URL(request.url()).pathname));
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await events;

    for (const name of ['Set price', 'Double', 'Render']) {
      await expect.poll(() => canvasNode(name).locator('.badge.status').textContent(), { timeout: 30_000 }).toBe('succeeded · 1 item');
    }
    await expect.poll(() => page.locator('.run-line .run-status').textContent()).toBe('succeeded');

    // The event log lists what arrived over the event stream, in order.
    await page.getByText(/^Events \(\d+\)$/).click();
    const log = await page.getByRole('list', { name: 'Run events' }).getByRole('listitem').allTextContents();
    expect(log[0]).toBe('run.started');
    expect(log).toContain('step.started · Set price');
    expect(log.indexOf('step.succeeded · Set price · 1 item')).toBeLessThan(log.indexOf('step.started · Double'));
    expect(log.indexOf('step.succeeded · Double · 1 item')).toBeLessThan(log.indexOf('step.started · Render'));
    expect(log.at(-1)).toBe('run.finished · succeeded');
    await screenshot('run-events');
    await page.getByText(/^Events \(\d+\)$/).click();

    await selectNode('Render');
    await expect(panel().getByRole('cell', { name: 'Total: 42', exact: true }).isVisible()).resolves.toBe(true);
    await panel().getByRole('tab', { name: 'JSON' }).click();
    await expect(panel().locator('pre.json').textContent()).resolves.toContain('"text": "Total: 42"');
    await screenshot('run-output');

    const stored = await storedGraph();
    expect(stored.draft.nodes.map((node) => node.name).sort()).toEqual(['Double', 'Render', 'Set price']);
    expect(stored.draft.edges).toHaveLength(2);
  });

  it('pinned data used by a partial run', async () => {
    await selectNode('Set price');
    await panel().getByRole('button', { name: 'Pin JSON…' }).click();
    await panel().getByLabel('Pinned items (JSON array of objects)').fill('[{ "price": 50 }]');
    await panel().getByRole('button', { name: 'Pin data' }).click();
    await canvasNode('Set price').locator('.badge.pin').waitFor();

    const request = page.waitForRequest((entry) => entry.url().endsWith('/api/canvas-execute') && entry.method() === 'POST');
    await page.getByRole('button', { name: 'Run changed' }).click();
    const body = (await request).postDataJSON() as { pinnedData: Record<string, unknown[]> };
    expect(Object.values(body.pinnedData)).toEqual([[{ json: { price: 50 } }]]);

    await expect.poll(() => canvasNode('Set price').locator('.badge.status').textContent(), { timeout: 30_000 }).toBe('pinned output · 1 item');
    await expect.poll(() => canvasNode('Render').locator('.badge.status').textContent()).toBe('succeeded · 1 item');
    await expect.poll(() => canvasNode('Render').locator('.badge.dirty').count()).toBe(1);

    await selectNode('Render');
    await expect(panel().getByRole('cell', { name: 'Total: 100', exact: true }).isVisible()).resolves.toBe(true);
    await screenshot('partial-run-with-pin');
  });

  it('undo and redo the pin', async () => {
    await focusCanvas();

    await page.keyboard.press('Control+z');
    await expect.poll(() => canvasNode('Set price').locator('.badge.pin').count()).toBe(0);

    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => canvasNode('Set price').locator('.badge.pin').count()).toBe(1);
  });

  it('undo restores a deleted node', async () => {
    await selectNode('Render');
    await focusCanvas();
    await canvasNode('Render').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => canvasNodes().count()).toBe(2);
    await expect.poll(() => page.locator('.svelte-flow__edge').count()).toBe(1);

    await page.keyboard.press('Control+z');
    await expect.poll(() => canvasNodes().count()).toBe(3);
    await expect.poll(() => page.locator('.svelte-flow__edge').count()).toBe(2);
  });

  it('copy and paste a node', async () => {
    await selectNode('Double');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');

    await canvasNode('Double 2').waitFor();
    await expect(canvasNodes().count()).resolves.toBe(4);
    await panel().getByRole('heading', { level: 2, name: 'Double 2' }).waitFor();
    await expect(panel().getByLabel('Value', { exact: true }).inputValue()).resolves.toBe('{{ $json.price * 2 }}');
    await screenshot('pasted-node');

    await focusCanvas();
    await page.keyboard.press('Control+z');
    await expect.poll(() => canvasNodes().count()).toBe(3);
  });

  it('Ctrl+S saves the draft with the pin', async () => {
    await page.keyboard.press('Control+s');
    await page.getByText('Draft saved', { exact: true }).waitFor();

    const stored = await storedGraph();
    const setPrice = stored.draft.nodes.find((node) => node.name === 'Set price')!;
    expect(stored.draft.nodes).toHaveLength(3);
    expect(stored.draft.pinnedData[setPrice.id]).toEqual([{ json: { price: 50 } }]);
  });

  it('shortcut help and auto-layout', async () => {
    await focusCanvas();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    await expect(dialog.getByRole('cell', { name: 'Ctrl+Enter' }).isVisible()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    const before = await canvasNode('Render').boundingBox();
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await expect.poll(async () => JSON.stringify(await canvasNode('Render').boundingBox())).not.toBe(JSON.stringify(before));
    await expect(page.getByRole('img', { name: 'Minimap of the graph' }).or(page.locator('.svelte-flow__minimap')).first().isVisible()).resolves.toBe(true);
    await screenshot('auto-layout-light');
  });

  it('renders in the dark theme', async () => {
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await expect.poll(() => page.locator('.svelte-flow').getAttribute('class')).toContain('dark');
    await screenshot('editor-dark');
  });
});
