// The forms studio in headless Chromium against a real kernel. A form bound to a
// graph is built in the drag-and-drop builder: two pages, a field shown only when
// a checkbox is checked, and a reorder by keyboard. Then it is rendered, its
// validation errors are shown at the fields, and it is submitted, starting a run
// of the bound graph.
// Screenshots go to test-results/studio-forms/.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { APIRequestContext, Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'studio-forms');
const ECHO = JSON.parse(fs.readFileSync(path.join(ROOT, 'templates', 'starter', 'echo-reply.json'), 'utf8')) as { graph: { nodes: Array<Record<string, any>> } };

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'forms studio in Chromium'
  : 'forms studio in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let browser: Browser;
  let page: Page;
  let api: APIRequestContext;
  let workspaceId = '';
  let formId = '';
  let runId = '';
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

  /** Drags a palette entry onto the end of a page of the builder. */
  async function dragType(type: string, pageIndex: number) {
    await page.dragAndDrop(`[data-field-type="${type}"]`, `[data-drop-page="${pageIndex}"]`);
  }

  async function fieldNames(pageIndex: number): Promise<string[]> {
    return page.locator(`section[data-page="${pageIndex}"] [data-field-name]`).evaluateAll((items) => items.map((item) => item.getAttribute('data-field-name') ?? ''));
  }

  async function selectField(name: string) {
    await page.locator(`[data-field-name="${name}"]`).click();
  }

  async function setting(label: string): Promise<ReturnType<Page['getByLabel']>> {
    return page.getByRole('complementary', { name: 'Field settings' }).getByLabel(label, { exact: true });
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the forms studio end to end: ${missing}.`);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    kernel = await startKernel();
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL: kernel.url, viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
    api = context.request;
    page = await context.newPage();

    const setup = await call<{ workspace: { id: string } }>('POST', '/api/setup', { email: 'owner@example.com', password: 'correct-horse-1', workspace: 'Events' });
    workspaceId = setup.workspace.id;
    const graph = structuredClone(ECHO.graph);
    graph.nodes[1]!.parameters.template = 'Signed up ${answers.email}';
    const created = await call<{ id: string }>('POST', '/api/graphs', { name: 'Signups', definition: graph });
    await call('POST', `/api/graphs/${created.id}/publish`);
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
  });

  it('creates a form from the forms page', async () => {
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Forms' }).click();
    await page.waitForURL('**/forms');

    await page.getByLabel('Name').fill('Meetup signup');
    await page.getByLabel('Graph').selectOption({ label: 'Signups' });
    await page.getByRole('button', { name: 'Create form' }).click();

    await page.waitForURL(/\/forms\/[^/]+\/builder$/);
    formId = decodeURIComponent(page.url().split('/forms/')[1]!.split('/')[0]!);
    expect(formId).not.toBe('');
  });

  it('builds two pages by drag and drop', async () => {
    await dragType('email', 0);
    await (await setting('Label')).fill('Work email');
    await (await setting('Required')).check();

    await dragType('checkbox', 0);
    await (await setting('Label')).fill('Bringing a team');

    await page.getByRole('button', { name: 'Add page' }).click();
    await dragType('number', 1);
    await (await setting('Label')).fill('Team size');
    await (await setting('Required')).check();
    await (await setting('Minimum')).fill('2');
    await page.getByRole('complementary', { name: 'Field settings' }).getByLabel('Only when').selectOption('checkbox_1');
    await page.getByRole('complementary', { name: 'Field settings' }).getByLabel('is answered with (empty: any answer)').fill('true');

    // A text field dropped on the email field lands before it.
    await page.dragAndDrop('[data-field-type="text"]', '[data-field-name="email_1"]');
    await (await setting('Label')).fill('Name');

    expect(await fieldNames(0)).toEqual(['text_1', 'email_1', 'checkbox_1']);
    expect(await fieldNames(1)).toEqual(['number_1']);
    await screenshot('built');
  });

  it('reorders fields by drag and by keyboard', async () => {
    await page.dragAndDrop('[data-field-name="checkbox_1"]', '[data-field-name="text_1"]');
    expect(await fieldNames(0)).toEqual(['checkbox_1', 'text_1', 'email_1']);

    await page.locator('[data-field-name="checkbox_1"]').focus();
    await page.keyboard.press('Alt+ArrowDown');
    await page.keyboard.press('Alt+ArrowDown');

    expect(await fieldNames(0)).toEqual(['text_1', 'email_1', 'checkbox_1']);
    await expect(page.locator('[data-field-name="checkbox_1"]').evaluate((item) => item === document.activeElement)).resolves.toBe(true);
  });

  it('saves the form', async () => {
    await page.getByRole('button', { name: 'Save form' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    const form = await call<{ pages: Array<{ fields: Array<{ name: string; showWhen?: unknown; required?: boolean; min?: number }> }> }>('GET', `/api/forms/${encodeURIComponent(formId)}`);
    expect(form.pages).toHaveLength(2);
    expect(form.pages[1]!.fields[0]).toMatchObject({ name: 'number_1', required: true, min: 2, showWhen: { field: 'checkbox_1', equals: true } });
    await screenshot('saved');
  });

  it('shows validation errors at the fields', async () => {
    await page.goto(`/forms/${encodeURIComponent(formId)}`);
    await page.getByRole('button', { name: 'Next' }).click();

    await expect(page.locator('#form-field-email_1-error').textContent()).resolves.toBe('Work email is required');

    await page.getByLabel('Work email *').fill('not-an-email');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.locator('#form-field-email_1-error').textContent()).resolves.toContain('must be an email address');
    await screenshot('errors');
  });

  it('shows the conditional field only when checked', async () => {
    await page.getByLabel('Work email *').fill('ada@example.com');
    await page.getByLabel('Bringing a team').check();
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Page 2' }).waitFor();
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page.locator('#form-field-number_1-error').textContent()).resolves.toBe('Team size is required');

    await page.getByLabel('Team size *').fill('1');
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page.locator('#form-field-number_1-error').textContent()).resolves.toBe('Team size must be at least 2');
  });

  it('submits and starts the bound graph', async () => {
    await page.getByLabel('Team size *').fill('3');
    await page.getByRole('button', { name: 'Submit' }).click();

    const runLink = page.getByRole('link', { name: /^run / });
    await runLink.waitFor();
    runId = ((await runLink.textContent()) ?? '').replace(/^run /, '');
    await screenshot('submitted');

    let status = '';
    for (let attempt = 0; attempt < 40 && !['succeeded', 'failed'].includes(status); attempt += 1) {
      status = (await call<{ status: string }>('GET', `/api/runs/${runId}`)).status;
      if (status !== 'succeeded') await page.waitForTimeout(250);
    }
    expect(status).toBe('succeeded');
    const submissions = await call<{ items: Array<{ answers: Record<string, unknown>; runId: string }> }>('GET', `/api/forms/${encodeURIComponent(formId)}/submissions`);
    expect(submissions.items[0]).toMatchObject({ runId, answers: { email_1: 'ada@example.com', checkbox_1: true, number_1: 3 } });
  });

  it('opens the run from the link', async () => {
    await page.getByRole('link', { name: /^run / }).click();

    await page.waitForURL(`**/runs/${runId}`);
  });
});
