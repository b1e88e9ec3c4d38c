// Imports n8n exports through the studio's import dialog in headless Chromium against a real
// kernel: the report of a real export, a file that is not a workflow, and a run of the
// imported graph. Screenshots of every step go to test-results/studio-import/.
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

// playwright-core is a devDependency of the studio package, so it is resolved from there.
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'studio-import');
/** Folder of the public workflow exports the import tests read; MIFY_IMPORT_FIXTURES overrides it. */
const FIXTURES = process.env.MIFY_IMPORT_FIXTURES ?? path.resolve(ROOT, 'tests/fixtures/imports');

const owner = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery staple', workspace: 'Imports' };

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'studio import dialog in Chromium'
  : 'studio import dialog in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: APIRequestContext;
  let workspaceId = '';
  let graphId = '';
  let shot = 0;

  async function screenshot(name: string) {
    shot += 1;
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  /** Calls the kernel with the browser's session cookie, as the studio does. */
  async function call<T>(method: 'GET' | 'POST', url: string, data?: unknown): Promise<T> {
    const response = await api.fetch(url, { method, data, headers: workspaceId ? { 'X-Mify-Workspace': workspaceId } : {} });
    const text = await response.text();
    if (!response.ok()) throw new Error(`${method} ${url} returned ${response.status()}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the studio end to end: ${missing}.`);
    for (const name of ['import-n8n', 'control', 'data']) {
      if (!fs.existsSync(path.join(ROOT, 'extensions', name, 'dist', 'index.js'))) throw new Error(`extensions/${name}/dist/index.js is missing; run \`pnpm --filter @mify/ext-${name} build\`.`);
    }

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    kernel = await startKernel();
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    context = await browser.newContext({ baseURL: kernel.url, viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    api = context.request;
    page = await context.newPage();

    const setup = await call<{ workspace: { id: string } }>('POST', '/api/setup', { email: owner.email, password: owner.password, name: owner.name, workspace: owner.workspace });
    workspaceId = setup.workspace.id;
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
  });

  it('names what is wrong with a file that is not a workflow', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mify-import-e2e-')), 'hello.json');
    fs.writeFileSync(file, '{"name":"hello"}');
    await page.goto('/graphs');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a workflow' });
    await dialog.getByLabel('Workflow file').setInputFiles(file);
    await dialog.getByText('The platform could not be detected from the file; choose it.').waitFor();

    await dialog.getByRole('button', { name: 'Import', exact: true }).click();

    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('it has no "nodes" list');
    await screenshot('not-a-workflow');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('imports an n8n export and shows the report', async () => {
    await page.goto('/graphs');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a workflow' });
    await dialog.getByLabel('Workflow file').setInputFiles(path.join(FIXTURES, 'n8n', 'Workflow_if.json'));
    await dialog.getByText('Detected from the file: n8n.').waitFor();
    await expect(dialog.getByLabel('Platform').inputValue()).resolves.toBe('n8n');
    await dialog.getByLabel('Graph name').fill('If from n8n');
    await screenshot('file-chosen');

    await dialog.getByRole('button', { name: 'Import', exact: true }).click();

    const report = dialog.getByRole('region', { name: 'Import report' });
    await report.waitFor();
    const text = (await report.textContent()) ?? '';
    expect(text).toContain('2 mapped');
    expect(text).toContain('2 approximated');
    expect(text).toContain('0 opaque');
    expect(text).toContain('mify.data.code');
    expect(text).toContain('0 0 * * *');
    const row = report.getByRole('row').filter({ hasText: 'Edit Fields' });
    await expect(row.textContent()).resolves.toContain('approximated');
    await screenshot('report');

    const href = await report.getByRole('link', { name: 'Open graph' }).getAttribute('href');
    graphId = decodeURIComponent(href!.replace('/graphs/', ''));
    expect(graphId).toMatch(/^graph_/);
  });

  it('lists the imported graph and runs it', async () => {
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'If from n8n' }).first().waitFor();

    const run = await call<{ id: string }>('POST', `/api/graphs/${graphId}/runs`, { version: 'draft', wait: true });
    const detail = await call<{ status: string; output: { items: Array<{ json: { data: number } }> } }>('GET', `/api/runs/${run.id}`);

    // Code emits data 0..9; If sends data < 5 to true and the rest to false; Edit Fields gets
    // both branches and Code's own items, in connection order, and keeps only data.
    const values = Array.from({ length: 10 }, (_, index) => index);
    expect(detail.status).toBe('succeeded');
    expect(detail.output.items.map((item) => item.json.data)).toEqual([...values.filter((value) => value < 5), ...values.filter((value) => value >= 5), ...values]);
    await page.goto(`/graphs/${encodeURIComponent(graphId)}`);
    await screenshot('graph');
  });
});
