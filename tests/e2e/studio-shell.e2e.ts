// Walks the studio's first pages in headless Chromium against a real kernel:
// first-run setup, home, an API key shown once and revoked, a credential,
// a second workspace, the dark theme, sign-out and sign-in. Screenshots of
// every step go to test-results/studio-shell/.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, missingBuilds, ROOT, startKernel, type RunningKernel } from './studio-kernel.js';

// playwright-core is a devDependency of the studio package, so it is resolved from there.
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core') as typeof import('playwright-core');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'studio-shell');

const owner = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery staple' };
const WORKSPACE = 'Analytical Engines';
const SECRET_VALUE = 'sk-test-3f9a1c0d';

const chromiumPath = findChromium();
const describeWithChromium = chromiumPath ? describe : describe.skip;
const title = chromiumPath
  ? 'studio shell in Chromium'
  : 'studio shell in Chromium (skipped: no Chromium at MIFY_CHROMIUM_PATH or /usr/bin/chromium; install Debian chromium or set MIFY_CHROMIUM_PATH)';

describeWithChromium(title, () => {
  let kernel: RunningKernel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shot = 0;
  let apiKey = '';

  async function screenshot(name: string) {
    shot += 1;
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  async function apiStatusWithKey(key: string): Promise<number> {
    const response = await fetch(`${kernel.url}/api/workspace`, { headers: { authorization: `Bearer ${key}` } });
    return response.status;
  }

  beforeAll(async () => {
    const missing = missingBuilds();
    if (missing) throw new Error(`Cannot run the studio end to end: ${missing}.`);

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    kernel = await startKernel();
    browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
    context = await browser.newContext({ baseURL: kernel.url, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: kernel.url });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await kernel?.stop();
  });

  it('redirects to first-run setup', async () => {
    await page.goto('/settings/api-keys');

    await page.waitForURL('**/setup');
    await expect(page.getByRole('heading', { name: 'Set up MIFY' }).isVisible()).resolves.toBe(true);
  });

  it('setup lands on home', async () => {
    await page.getByLabel('Your name').fill(owner.name);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByLabel('Workspace name').fill(WORKSPACE);
    await screenshot('setup');

    await page.getByRole('button', { name: 'Create account and workspace' }).click();

    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('heading', { level: 1, name: WORKSPACE }).waitFor();
    await expect(page.getByText('all checks pass').isVisible()).resolves.toBe(true);
    const stored = await page.evaluate(() => localStorage.getItem('mify.workspace'));
    await expect(page.getByLabel('Workspace', { exact: true }).inputValue()).resolves.toBe(stored);
    await screenshot('home-light');
  });

  it('new API key shown and working', async () => {
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL('**/settings/api-keys');
    await page.getByLabel('Key name').fill('CI pipeline');
    await page.getByRole('button', { name: 'Create key' }).click();

    const keyInput = page.getByLabel('API key', { exact: true });
    await keyInput.waitFor();
    apiKey = await keyInput.inputValue();
    expect(apiKey.length).toBeGreaterThan(20);
    await expect(page.getByText('It is shown only once').isVisible()).resolves.toBe(true);

    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(apiKey);
    await screenshot('api-key-created');

    expect(await apiStatusWithKey(apiKey)).toBe(200);
  });

  it('key hidden after Done and reload', async () => {
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.content()).resolves.not.toContain(apiKey);

    await page.reload();
    await page.getByRole('cell', { name: 'CI pipeline', exact: true }).waitFor();
    await expect(page.content()).resolves.not.toContain(apiKey);
  });

  it('Escape closes dialog, restores focus', async () => {
    const revokeButton = page.getByRole('button', { name: 'Revoke API key CI pipeline' });
    await revokeButton.click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await dialog.waitFor();

    await page.keyboard.press('Escape');

    await dialog.waitFor({ state: 'hidden' });
    await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe('Revoke API key CI pipeline');
  });

  it('revokes the key', async () => {
    await page.getByRole('button', { name: 'Revoke API key CI pipeline' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await screenshot('api-key-revoke-dialog');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();

    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('revoked', { exact: true }).waitFor();
    expect(await apiStatusWithKey(apiKey)).toBe(401);
    await screenshot('api-key-revoked');
  });

  it('credential added, secret not shown', async () => {
    await page.getByRole('link', { name: 'Credentials' }).click();
    await page.waitForURL('**/settings/credentials');
    await page.getByRole('button', { name: 'New credential' }).click();
    const dialog = page.getByRole('dialog', { name: 'New credential' });
    await dialog.getByLabel('Name', { exact: true }).fill('OpenAI production');
    await dialog.getByLabel('Type').fill('openai');
    await dialog.getByLabel('Field name 1').fill('apiKey');
    await dialog.getByLabel('Value 1').fill(SECRET_VALUE);
    await dialog.getByRole('button', { name: 'Add field' }).click();
    await dialog.getByLabel('Field name 2').fill('organization');
    await dialog.getByLabel('Value 2').fill('org-42');
    await screenshot('credential-form');

    await dialog.getByRole('button', { name: 'Create credential' }).click();

    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByRole('row', { name: /OpenAI production/ });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('apiKey');
    await expect(row.textContent()).resolves.toContain('organization');
    await expect(page.content()).resolves.not.toContain(SECRET_VALUE);
    await screenshot('credentials');
  });

  it('duplicate credential shows problem', async () => {
    await page.getByRole('button', { name: 'New credential' }).click();
    const dialog = page.getByRole('dialog', { name: 'New credential' });
    await dialog.getByLabel('Name', { exact: true }).fill('OpenAI production');
    await dialog.getByLabel('Type').fill('openai');
    await dialog.getByLabel('Field name 1').fill('apiKey');
    await dialog.getByLabel('Value 1').fill('another');

    await dialog.getByRole('button', { name: 'Create credential' }).click();

    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain("A credential named 'OpenAI production' already exists");
    await screenshot('credential-conflict');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('creates and switches workspaces', async () => {
    await page.getByRole('button', { name: 'New workspace' }).click();
    const dialog = page.getByRole('dialog', { name: 'New workspace' });
    await dialog.getByLabel('Name', { exact: true }).fill('Research');
    await dialog.getByRole('button', { name: 'Create workspace' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const switcher = page.getByLabel('Workspace', { exact: true });
    await expect(switcher.locator('option:checked').textContent()).resolves.toContain('Research');
    await page.getByText('No credentials yet.').waitFor();

    await switcher.selectOption({ label: `${WORKSPACE} (owner)` });
    await page.getByRole('row', { name: /OpenAI production/ }).waitFor();
    const stored = await page.evaluate(() => localStorage.getItem('mify.workspace'));
    await expect(switcher.inputValue()).resolves.toBe(stored);
  });

  it('dark theme persists across pages', async () => {
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');

    await toggle.click();

    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await expect(page.evaluate(() => localStorage.getItem('mify.theme'))).resolves.toBe('dark');
    await screenshot('credentials-dark');

    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: WORKSPACE }).waitFor();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await expect(page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).resolves.toBe('true');
    await screenshot('home-dark');
  });

  it('signs out from the user menu', async () => {
    await page.getByRole('button', { name: owner.name }).click();
    await screenshot('user-menu');
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.waitForURL('**/login');
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    expect(me).toBe(401);
  });

  it('sign-in returns to requested page', async () => {
    await page.goto('/settings/members');
    await page.waitForURL('**/login?next=%2Fsettings%2Fmembers');

    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('Invalid email or password.');
    await screenshot('login-error-dark');

    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL('**/settings/members');
    const row = page.getByRole('row', { name: new RegExp(owner.email) });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('you');
    await screenshot('members-dark');
  });

  it('keeps the last owner', async () => {
    const roleSelect = page.getByLabel(`Role of ${owner.email}`);

    await roleSelect.selectOption('editor');

    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('last owner');
    await expect(roleSelect.inputValue()).resolves.toBe('owner');
    await screenshot('members-last-owner');
  });
});
