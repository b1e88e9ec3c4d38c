// Two people edit one graph at once in two headless Chromium contexts against a
// real kernel: each sees the other's nodes and renames live, the other's
// pointer with name and colour, and a save through the graph API keeps both
// edits. Screenshots go to test-results/studio-collab/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, kernelEnv, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

// playwright-core is a devDependency of the studio package, so it is resolved from there.
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'studio-collab');

const ada = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery staple' };
const grace = { name: 'Grace Hopper', email: 'grace@example.com', password: 'another horse battery staple' };
const WORKSPACE = 'Engines';

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'live collaboration in Chromium'
  : 'live collaboration in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

/** Runs the kernel CLI on a data directory before the kernel starts, as an operator would. */
function cli(dataDir: string, args: string[]): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'kernel', 'bin', 'mify.js'), ...args], { cwd: ROOT, env: kernelEnv(dataDir), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mify ${args[0]} failed (${result.status}): ${result.stderr}${result.stdout}`);
}

interface Person {
  context: BrowserContext;
  page: Page;
}

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let browser: Browser;
  let first: Person;
  let second: Person;
  let workspaceId = '';
  let graphId = '';
  let shot = 0;

  async function screenshot(person: Person, name: string) {
    shot += 1;
    await person.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`) });
  }

  async function signIn(user: typeof ada): Promise<Person> {
    const context = await browser.newContext({ baseURL: kernel.url, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const page = await context.newPage();
    const response = await page.request.post('/api/auth/login', { data: { email: user.email, password: user.password } });
    expect(response.status(), await response.text()).toBe(200);
    return { context, page };
  }

  const canvas = (person: Person) => person.page.getByRole('application', { name: 'Graph canvas' });
  const canvasNodes = (person: Person) => person.page.locator('.svelte-flow__node');
  const canvasNode = (person: Person, name: string) => person.page.getByRole('group', { name: `Node ${name}`, exact: true });
  const panel = (person: Person) => person.page.getByRole('complementary', { name: 'Selected node' });
  const remoteCursor = (person: Person, name: string) => person.page.locator(`[data-testid="remote-cursor"][data-name="${name}"]`);

  async function pointAt(person: Person, x: number, y: number) {
    const box = (await canvas(person).boundingBox())!;
    await person.page.mouse.move(box.x + x, box.y + y, { steps: 4 });
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the studio end to end: ${missing}.`);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });

    kernel = await startKernel({
      prepare: (dataDir) => {
        cli(dataDir, ['setup', '--email', ada.email, '--password', ada.password, '--workspace', WORKSPACE, '--name', ada.name]);
        cli(dataDir, ['user', 'create', '--email', grace.email, '--password', grace.password, '--name', grace.name, '--workspace', 'engines', '--role', 'editor']);
      },
    });
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    first = await signIn(ada);
    second = await signIn(grace);

    const me = (await (await first.page.request.get('/api/auth/me')).json()) as { workspaces: Array<{ id: string }> };
    workspaceId = me.workspaces[0]!.id;
    const created = await first.page.request.post('/api/graphs', {
      headers: { 'x-mify-workspace': workspaceId },
      data: {
        name: 'Shared pricing',
        definition: { nodes: [{ id: 'price', type: 'mify.data.edit-fields', typeVersion: 1, name: 'Set price', parameters: { operations: [{ op: 'set', path: 'price', value: 21 }] }, position: { x: 0, y: 0 } }], edges: [] },
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    graphId = ((await created.json()) as { id: string }).id;
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && first) await screenshot(first, `failed-${context.task.name.replace(/[^a-z0-9]+/gi, '-')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
  });

  it('both open the graph live', async () => {
    await first.page.goto(`/graphs/${graphId}`);
    await second.page.goto(`/graphs/${graphId}`);

    for (const person of [first, second]) {
      await person.page.getByRole('status').filter({ hasText: 'Live' }).first().waitFor();
      await canvasNode(person, 'Set price').waitFor();
    }
    await expect.poll(() => first.page.locator('[data-testid="collaborator"]').getAttribute('title')).toBe(grace.name);
    await expect.poll(() => second.page.locator('[data-testid="collaborator"]').getAttribute('title')).toBe(ada.name);
  });

  it('node added by one appears for the other', async () => {
    // Dropped beside the existing node, so neither covers the other.
    const box = (await canvas(first).boundingBox())!;
    await first.page.getByRole('button', { name: 'Add No operation', exact: true }).dragTo(canvas(first), { targetPosition: { x: 120, y: box.height - 120 } });

    await expect.poll(() => canvasNodes(second).count()).toBe(2);
    await canvasNode(second, 'No operation').waitFor();
    await screenshot(second, 'node-from-ada');
  });

  it('rename by the other comes back', async () => {
    await canvasNode(second, 'Set price').click();
    const name = panel(second).getByLabel('Name', { exact: true });
    await name.fill('Set base price');
    await name.press('Tab');

    await canvasNode(first, 'Set base price').waitFor();
    await expect(canvasNodes(first).count()).resolves.toBe(2);
  });

  it('pointers show with name and colour', async () => {
    await pointAt(first, 300, 200);
    await remoteCursor(second, ada.name).waitFor();
    await pointAt(second, 500, 300);
    await remoteCursor(first, grace.name).waitFor();

    const label = remoteCursor(second, ada.name).locator('.label');
    await expect(label.textContent()).resolves.toBe(ada.name);
    const colour = await remoteCursor(second, ada.name).evaluate((element) => getComputedStyle(element).getPropertyValue('--cursor-color').trim());
    expect(colour).toMatch(/^#[0-9a-f]{6}$/);
    await screenshot(second, 'cursor-of-ada');
    await screenshot(first, 'cursor-of-grace');
  });

  it('saving keeps both edits in the draft', async () => {
    await first.page.getByRole('button', { name: 'Save', exact: true }).click();

    await expect
      .poll(async () => {
        const response = await first.page.request.get(`/api/graphs/${graphId}`, { headers: { 'x-mify-workspace': workspaceId } });
        const graph = (await response.json()) as { draft: { nodes: Array<{ name: string }> } };
        return graph.draft.nodes.map((node) => node.name).sort();
      })
      .toEqual(['No operation', 'Set base price']);
  });
});
