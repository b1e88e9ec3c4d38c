// Walks the pages around the graph editor in headless Chromium against a real
// kernel: the graph list, graph settings (slug and endpoint auth), versions
// (publish, diff, archive, draft from a version, endpoint info), the run list
// with filters, a run's trace with replay and fork, and the extensions page.
// Screenshots go to test-results/studio-versions/.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

// playwright-core is a devDependency of the studio package, so it is resolved from there.
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'studio-versions');
/** How long a run started through the API may take to finish, in milliseconds. */
const RUN_TIMEOUT_MS = 30_000;

const owner = { name: 'Grace Hopper', email: 'grace@example.com', password: 'correct horse battery staple', workspace: 'Compilers' };
const SLUG = 'greeter';

/** Builds a two-node graph: the run's input items go through a template node that writes `greeting`. */
function greeterGraph(template: string) {
  return {
    nodes: [
      { id: 'start', type: 'mify.control.manual-trigger', typeVersion: 1, name: 'Start', parameters: {}, position: { x: 0, y: 0 } },
      { id: 'greet', type: 'mify.data.template', typeVersion: 1, name: 'Greet', parameters: { template, outputField: 'greeting' }, position: { x: 240, y: 0 } },
    ],
    edges: [{ from: { node: 'start', port: 'main' }, to: { node: 'greet', port: 'main' } }],
  };
}

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'studio graph pages in Chromium'
  : 'studio graph pages in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: APIRequestContext;
  let workspaceId = '';
  let graphId = '';
  let otherGraphId = '';
  let sourceRunId = '';
  let shot = 0;

  async function screenshot(name: string) {
    shot += 1;
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  /** Calls the kernel with the browser's session cookie, as the studio does. */
  async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, data?: unknown): Promise<T> {
    const response = await api.fetch(url, { method, data, headers: workspaceId ? { 'X-Mify-Workspace': workspaceId } : {} });
    const text = await response.text();
    if (!response.ok()) throw new Error(`${method} ${url} returned ${response.status()}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function runStatusBadge(): Promise<string> {
    return (await page.locator('.page-header .badge.status').first().textContent())?.trim() ?? '';
  }

  /** Waits until the open run page shows a finished status, reloading if the live stream missed the end. */
  async function waitForFinishedRun(): Promise<string> {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const status = await runStatusBadge();
      if (['succeeded', 'failed', 'cancelled'].includes(status)) return status;
      await page.waitForTimeout(250);
    }
    throw new Error(`The run at ${page.url()} did not finish within ${RUN_TIMEOUT_MS} ms; its status is ${await runStatusBadge()}.`);
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the studio end to end: ${missing}.`);

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    kernel = await startKernel();
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    context = await browser.newContext({ baseURL: kernel.url, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: kernel.url });
    api = context.request;
    page = await context.newPage();

    const setup = await call<{ workspace: { id: string } }>('POST', '/api/setup', { email: owner.email, password: owner.password, name: owner.name, workspace: owner.workspace });
    workspaceId = setup.workspace.id;
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
  });

  it('graph list shows graphs', async () => {
    graphId = (await call<{ id: string }>('POST', '/api/graphs', { name: 'Greeter', description: 'Says hello to each item', tags: ['demo'], definition: greeterGraph('Hello ${name} v1') })).id;
    otherGraphId = (await call<{ id: string }>('POST', '/api/graphs', { name: 'Shouter', definition: greeterGraph('HEY ${name}') })).id;

    await page.goto('/graphs');

    const nav = page.getByRole('navigation', { name: 'Studio' });
    await expect(nav.getByRole('link', { name: 'Graphs' }).getAttribute('aria-current')).resolves.toBe('page');
    await page.getByRole('link', { name: 'Greeter', exact: true }).waitFor();
    await expect(page.getByRole('row').filter({ hasText: 'Greeter' }).getByText('not published').isVisible()).resolves.toBe(true);
    await screenshot('graph-list');
  });

  it('graph list searches by name', async () => {
    await page.getByLabel('Search').fill('shout');
    await page.getByRole('button', { name: 'Search' }).click();

    await page.waitForURL('**/graphs?q=shout');
    await page.getByRole('link', { name: 'Shouter', exact: true }).waitFor();
    await expect(page.getByRole('link', { name: 'Greeter', exact: true }).count()).resolves.toBe(0);
  });

  it('new graph opens the editor', async () => {
    await page.goto('/graphs');
    await page.getByRole('button', { name: 'New graph' }).click();
    const dialog = page.getByRole('dialog', { name: 'New graph' });
    await dialog.getByLabel('Name').fill('Scratch');
    await dialog.getByRole('button', { name: 'Create graph' }).click();

    await page.waitForURL(/\/graphs\/[^/]+$/);
    const { items } = await call<{ items: Array<{ id: string; name: string }> }>('GET', '/api/graphs');
    const scratch = items.find((graph) => graph.name === 'Scratch');
    expect(scratch).toBeDefined();
    expect(new URL(page.url()).pathname).toBe(`/graphs/${scratch!.id}`);
  });

  it('graph list deletes after confirming', async () => {
    await page.goto('/graphs');
    await page.getByRole('button', { name: 'Delete graph Scratch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete graph' });
    await dialog.getByRole('button', { name: 'Delete graph' }).click();

    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('link', { name: 'Scratch', exact: true }).waitFor({ state: 'detached' });
    const { items } = await call<{ items: Array<{ name: string }> }>('GET', '/api/graphs');
    expect(items.map((graph) => graph.name).sort()).toEqual(['Greeter', 'Shouter']);
  });

  it('settings shows slug problem at field', async () => {
    await page.goto(`/graphs/${graphId}/settings`);
    await page.getByLabel('Slug').fill('Bad Slug');
    await page.getByRole('button', { name: 'Save settings' }).click();

    const errors = page.locator('#graph-slug-errors');
    await errors.waitFor();
    await expect(errors.textContent()).resolves.toContain('expected 1-64 characters of a-z, 0-9 and dashes');
    await expect(page.getByLabel('Slug').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot('settings-slug-problem');
  });

  it('settings saves slug and endpoint auth', async () => {
    await page.getByLabel('Slug').fill(SLUG);
    await page.getByLabel('Tags').fill('demo, greetings');
    await page.getByRole('radio', { name: /Public/ }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();

    await page.getByText('Settings saved.').waitFor();
    const graph = await call<{ slug: string; endpointAuth: string; tags: string[] }>('GET', `/api/graphs/${graphId}`);
    expect(graph.slug).toBe(SLUG);
    expect(graph.endpointAuth).toBe('public');
    expect(graph.tags).toEqual(['demo', 'greetings']);
    await expect(page.locator('#graph-slug-errors').count()).resolves.toBe(0);
    await screenshot('settings-saved');
  });

  it('versions page publishes version 1', async () => {
    await page.getByRole('navigation', { name: 'Graph pages' }).getByRole('link', { name: 'Versions' }).click();
    await page.waitForURL(`**/graphs/${graphId}/versions`);
    await page.getByRole('button', { name: 'Publish draft' }).click();
    const dialog = page.getByRole('dialog', { name: 'Publish draft' });
    await dialog.getByRole('button', { name: 'Publish' }).click();

    await page.getByText('Published the draft as version 1; it is live now.').waitFor();
    await page.getByRole('row').filter({ hasText: 'Version 1' }).getByText('live').waitFor();
  });

  it('versions page publishes version 2', async () => {
    const draft = greeterGraph('Hello ${name} v2');
    await call('PUT', `/api/graphs/${graphId}/definition`, draft);
    await page.reload();

    await page.getByRole('button', { name: 'Publish draft' }).click();
    await page.getByRole('dialog', { name: 'Publish draft' }).getByRole('button', { name: 'Publish' }).click();

    await page.getByText('Published the draft as version 2; it is live now.').waitFor();
    const { items } = await call<{ items: Array<{ number: number; live: boolean }> }>('GET', `/api/graphs/${graphId}/versions`);
    expect(items.map((version) => [version.number, version.live])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it('diff shows the changed parameter', async () => {
    await page.getByLabel('From').selectOption('1');
    await page.getByLabel('To').selectOption('2');
    await page.getByRole('button', { name: 'Show diff' }).click();

    await page.waitForURL('**/versions?from=1&to=2');
    const changes = page.getByRole('list', { name: 'Changes of node Greet' });
    await changes.waitFor();
    await expect(changes.textContent()).resolves.toContain('$.parameters.template');
    await expect(changes.locator('.before').textContent()).resolves.toBe('"Hello ${name} v1"');
    await expect(changes.locator('.after').textContent()).resolves.toBe('"Hello ${name} v2"');

    const removed = page.locator('.line-diff tr.removed');
    const added = page.locator('.line-diff tr.added');
    await expect(removed.count()).resolves.toBe(1);
    await expect(added.count()).resolves.toBe(1);
    await expect(removed.textContent()).resolves.toContain('"template": "Hello ${name} v1"');
    await expect(added.textContent()).resolves.toContain('"template": "Hello ${name} v2"');
    await screenshot('versions-diff');
  });

  it('endpoint panel shows the endpoint', async () => {
    const info = await call<{ url: string; rateLimit: { limit: number } }>('GET', `/api/workflow-endpoints/${SLUG}/info`);
    const panel = page.getByRole('region', { name: 'Endpoint' });

    expect(info.url).toContain(`/api/workflow-endpoints/${SLUG}`);
    await expect(panel.textContent()).resolves.toContain(`POST ${info.url}`);
    await expect(panel.textContent()).resolves.toContain('Public: anyone may call it');
    await expect(panel.textContent()).resolves.toContain(`${info.rateLimit.limit} requests per`);
    await expect(panel.textContent()).resolves.toContain('version 2');
    await expect(panel.locator('pre').textContent()).resolves.toContain(`curl -X POST '${info.url}'`);
  });

  it('endpoint panel guides without slug or version', async () => {
    await page.goto(`/graphs/${otherGraphId}/versions`);
    const panel = page.getByRole('region', { name: 'Endpoint' });
    await expect(panel.textContent()).resolves.toContain('This graph has no endpoint yet because it has no slug.');

    await call('PUT', `/api/graphs/${otherGraphId}`, { slug: 'shouter' });
    await page.reload();

    await expect(panel.textContent()).resolves.toContain('No endpoint is serving this graph yet.');
    await expect(panel.getByRole('link', { name: 'the graph settings' }).getAttribute('href')).resolves.toBe(`/graphs/${otherGraphId}/settings`);
    await screenshot('endpoint-guidance');
    await page.goto(`/graphs/${graphId}/versions`);
  });

  it('archive makes version 1 live', async () => {
    await page.getByRole('button', { name: 'Archive version 2' }).click();
    const dialog = page.getByRole('dialog', { name: 'Archive version' });
    await expect(dialog.textContent()).resolves.toContain('It is live now');
    await dialog.getByRole('button', { name: 'Archive version' }).click();

    await page.getByText('Archived version 2. Version 1 is live now.').waitFor();
    await page.getByRole('row').filter({ hasText: 'Version 2' }).getByText('archived', { exact: true }).waitFor();
    const graph = await call<{ liveVersion: { number: number } }>('GET', `/api/graphs/${graphId}`);
    expect(graph.liveVersion.number).toBe(1);
    await screenshot('versions-archived');
  });

  it('draft from version 1', async () => {
    await page.getByRole('button', { name: 'Make the draft a copy of version 1' }).click();
    await page.getByRole('dialog', { name: 'Replace draft' }).getByRole('button', { name: 'Replace draft' }).click();

    await page.getByText('The draft is now a copy of version 1.').waitFor();
    const graph = await call<{ draft: { nodes: Array<{ id: string; parameters: { template?: string } }> } }>('GET', `/api/graphs/${graphId}`);
    expect(graph.draft.nodes.find((node) => node.id === 'greet')?.parameters.template).toBe('Hello ${name} v1');
  });

  it('versions page in dark theme', async () => {
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await screenshot('versions-dark');
    await page.getByRole('button', { name: 'Dark theme' }).click();
  });

  it('runs list filters by graph and status', async () => {
    const run = await call<{ id: string; status: string; output: { items: Array<{ json: { greeting: string } }> } }>('POST', `/api/graphs/${graphId}/runs`, { input: [{ json: { name: 'Ada' } }], wait: true });
    expect(run.status).toBe('succeeded');
    expect(run.output.items.map((item) => item.json.greeting)).toEqual(['Hello Ada v1']);
    sourceRunId = run.id;
    const other = await call<{ status: string }>('POST', `/api/graphs/${otherGraphId}/runs`, { version: 'draft', input: [{ json: { name: 'Bob' } }], wait: true });
    expect(other.status).toBe('succeeded');

    await page.goto('/runs');
    await page.getByRole('link', { name: `Run ${sourceRunId}` }).waitFor();
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    await page.getByLabel('Graph').selectOption(graphId);
    await page.getByLabel('Status').selectOption('succeeded');
    await page.getByRole('button', { name: 'Apply filters' }).click();

    await page.waitForURL(`**/runs?graphId=${graphId}&status=succeeded`);
    await page.getByRole('link', { name: `Run ${sourceRunId}` }).waitFor();
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await screenshot('runs-filtered');
  });

  it('runs list filters by days', async () => {
    const today = await page.evaluate(() => {
      const now = new Date();
      return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    });

    await page.getByLabel('From day').fill('2001-01-01');
    await page.getByLabel('To day').fill('2001-01-31');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No runs match these filters.').waitFor();

    await page.getByLabel('To day').fill(today);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('link', { name: `Run ${sourceRunId}` }).waitFor();
  });

  it('trace shows each step', async () => {
    await page.getByRole('link', { name: `Run ${sourceRunId}` }).click();
    await page.waitForURL(`**/runs/${sourceRunId}`);

    const steps = page.locator('.steps > li');
    await expect(steps.count()).resolves.toBe(2);
    await expect(steps.nth(0).textContent()).resolves.toContain('Start');
    await expect(steps.nth(1).textContent()).resolves.toContain('Greet');
    await steps.nth(1).locator('summary').click();
    await expect(steps.nth(1).textContent()).resolves.toContain('"greeting": "Hello Ada v1"');
    await expect(steps.nth(1).textContent()).resolves.toContain('attempt 1');
    await screenshot('run-trace');
  });

  it('replay from a step starts a new run', async () => {
    await page.getByRole('button', { name: 'Replay from Greet' }).click();

    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(sourceRunId));
    await expect(waitForFinishedRun()).resolves.toBe('succeeded');
    await expect(page.locator('.page-header').textContent()).resolves.toContain('mode replay');
    const replayId = new URL(page.url()).pathname.split('/').pop()!;
    const replay = await call<{ output: { items: Array<{ json: { greeting: string } }> } }>('GET', `/api/runs/${replayId}`);
    expect(replay.output.items.map((item) => item.json.greeting)).toEqual(['Hello Ada v1']);
    await screenshot('run-replayed');
  });

  it('fork with edited input', async () => {
    await page.goto(`/runs/${sourceRunId}`);
    await page.locator('.steps > li').nth(1).locator('summary').click();
    await page.getByRole('button', { name: 'Fork from Greet with edited input' }).click();
    const dialog = page.getByRole('dialog', { name: 'Fork with edited input' });
    await expect(dialog.getByLabel('Input items (JSON)').inputValue()).resolves.toContain('"name": "Ada"');

    await dialog.getByLabel('Input items (JSON)').fill('[ { "name": ');
    await dialog.getByRole('button', { name: 'Fork run' }).click();
    await dialog.getByText('The input is not valid JSON').waitFor();

    await dialog.getByLabel('Input items (JSON)').fill('[{ "json": { "name": "Grace" } }]');
    await screenshot('run-fork-dialog');
    await dialog.getByRole('button', { name: 'Fork run' }).click();

    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(sourceRunId));
    await expect(waitForFinishedRun()).resolves.toBe('succeeded');
    await expect(page.locator('.page-header').textContent()).resolves.toContain('mode fork');
    await expect(page.getByText('"greeting": "Hello Grace v1"').first().isVisible()).resolves.toBe(true);
    const forkId = new URL(page.url()).pathname.split('/').pop()!;
    const fork = await call<{ output: { items: Array<{ json: { greeting: string } }> } }>('GET', `/api/runs/${forkId}`);
    expect(fork.output.items.map((item) => item.json.greeting)).toEqual(['Hello Grace v1']);
    await screenshot('run-forked');
  });

  it('extensions page lists bundled extensions', async () => {
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Extensions' }).click();
    await page.waitForURL('**/settings/extensions');

    for (const name of ['mify.control', 'mify.data', 'mify.sample-wasm']) {
      await expect(page.getByRole('row').filter({ hasText: name }).getByText('active', { exact: true }).isVisible()).resolves.toBe(true);
    }
    await expect(page.getByRole('row').filter({ hasText: 'mify.sample-wasm' }).getByText('healthy', { exact: true }).isVisible()).resolves.toBe(true);
    await screenshot('extensions');
  });

  it('disable and enable an extension', async () => {
    const row = page.getByRole('row').filter({ hasText: 'mify.sample-wasm' });
    const name = (await row.locator('a.name').textContent())!.trim();
    await row.getByRole('button', { name: `Disable ${name}` }).click();
    await page.getByRole('dialog', { name: 'Disable extension' }).getByRole('button', { name: 'Disable extension' }).click();

    await page.getByText(`Disabled ${name}.`).waitFor();
    await row.getByText('disabled', { exact: true }).waitFor();
    await expect(call<{ enabled: boolean; state: string }>('GET', '/api/extensions/mify.sample-wasm')).resolves.toMatchObject({ enabled: false, state: 'disabled' });

    await row.getByRole('button', { name: `Enable ${name}` }).click();
    await page.getByText(`Enabled ${name}.`).waitFor();
    await row.getByText('active', { exact: true }).waitFor();
    await expect(call<{ enabled: boolean; state: string }>('GET', '/api/extensions/mify.sample-wasm')).resolves.toMatchObject({ enabled: true, state: 'active' });
  });

  it('extension page renders its panel', async () => {
    await page.getByRole('link', { name: 'Sample WASM' }).click();
    await page.waitForURL('**/settings/extensions/mify.sample-wasm');

    const panel = page.getByRole('region', { name: 'Using Text stats' });
    await panel.waitFor();
    await expect(panel.locator('strong').first().textContent()).resolves.toBe('Text stats');
    await expect(panel.locator('li').count()).resolves.toBe(3);
    await screenshot('extension-panel');
  });

  it('registry install without a registry says how to set one', async () => {
    await page.goto('/settings/extensions');
    await page.getByLabel('Extension id').fill('acme.crm');
    await page.getByLabel('Version range').fill('^1.0.0');
    await page.getByRole('button', { name: 'Install extension' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('MIFY_REGISTRY_URL');
  });

  it('install names a missing folder', async () => {
    await page.goto('/settings/extensions');
    await page.getByLabel('Folder on the server').check();
    await page.getByLabel('Folder path').fill('/nonexistent/mify-extension');
    await page.getByRole('button', { name: 'Install extension' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('/nonexistent/mify-extension');
  });
});
