/**
 * `mify-plugin dev` against a kernel served over real HTTP on 127.0.0.1: the first
 * install, a reload after a source change, and a failed rebuild that leaves the
 * running version in place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../kernel/src/test-support/kernel.js';
import { startDev } from '../sdk/src/cli/dev.js';
import { initExtension } from '../sdk/src/cli/init.js';
import { linkDevDependencies } from '../sdk/src/cli/test-support.js';

const ID = 'acme.dev-loop';

/** Waits until `predicate` holds, checking every 100 ms, for at most `limitMs`. */
async function waitFor(predicate: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('mify-plugin dev', () => {
  let t: TestKernel;
  let stop: (() => void) | undefined;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-dev-'));
  const folder = path.join(work, 'ext');
  const lines: string[] = [];

  const greet = async () => {
    const parameters = { field: 'name', greeting: 'Hello' };
    const input = {
      items: [{ json: { name: 'Ada' } }],
      parameters,
      node: { id: 'node_1', name: 'Greet', type: `${ID}.greet`, typeVersion: 1, parameters },
      run: { id: 'run_dev', workspaceId: null, stepId: 'step_1', idempotencyKey: 'run_dev:node_1:1', attempt: 1 },
    };
    const output = (await t.kernel.services.extensionHost.invoke(ID, { kind: 'node', name: `${ID}.greet`, input }, { workspaceId: null })) as { items: Array<{ json: { greeting: string } }> };
    return output.items[0]!.json.greeting;
  };

  beforeAll(async () => {
    initExtension({ folder, template: 'typescript', id: ID });
    linkDevDependencies(folder, ['esbuild', '@mify/sdk']);
    t = await startTestKernel('pglite');
    const { cookie } = await setupOwner(t);
    const created = await t.fetch('/api/api-keys', { method: 'POST', cookie, json: { name: 'dev', role: 'owner' } });
    const { key } = (await created.json()) as { key: string };
    stop = await startDev({ folder, kernelUrl: t.url, apiKey: key, log: (line) => lines.push(line), env: process.env });
  });

  afterAll(async () => {
    stop?.();
    await t?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('installs the extension', async () => {
    expect(lines[0]).toContain(`Installed ${ID}@0.1.0`);
    expect(await greet()).toBe('Hello, Ada!');
  });

  it('reloads after a source change', async () => {
    const source = path.join(folder, 'src', 'index.ts');
    fs.writeFileSync(source, fs.readFileSync(source, 'utf8').replace('`${greeting}, ${', '`${greeting} there, ${'));

    await waitFor(() => lines.some((line) => line.startsWith('Reloaded')), 'the reload');

    expect(await greet()).toBe('Hello there, Ada!');
  });

  it('keeps the running version when a rebuild fails', async () => {
    const source = path.join(folder, 'src', 'index.ts');
    fs.appendFileSync(source, '\nconst = ;\n');

    await waitFor(() => lines.some((line) => line.startsWith('Reload failed')), 'the failed reload');

    expect(lines.find((line) => line.startsWith('Reload failed'))).toMatch(/Bundling src\/index\.ts failed/);
    expect(await greet()).toBe('Hello there, Ada!');
  });
});
