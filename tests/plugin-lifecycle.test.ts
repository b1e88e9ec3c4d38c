/**
 * An extension's whole life, with real processes and real HTTP on 127.0.0.1. The test
 * runs `mify-plugin init` from the TypeScript template, adds a second node by hand, and
 * runs `mify-plugin test`, `build`, `login` and `publish` against a registry process.
 * Then it installs the extension from that registry into a running kernel process and
 * runs a graph that uses the new node.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_BIN = path.join(ROOT, 'sdk', 'bin', 'mify-plugin.js');
const KERNEL_BIN = path.join(ROOT, 'kernel', 'bin', 'mify.js');
const REGISTRY_CLI = path.join(ROOT, 'registry', 'dist', 'cli.js');
const ADMIN_TOKEN = 'lifecycle-admin-token-0123456789';
const ID = 'acme.lifecycle';

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts a long-running process and waits for the line that carries its URL. */
function startProcess(args: string[], env: Record<string, string>, urlPattern: RegExp): Promise<Started> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = urlPattern.exec(output);
      if (match) resolve({ child, url: match[1]!, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it started:\n${output}`)));
  });
}

function stopProcess(started: Started | undefined): Promise<void> {
  if (!started || started.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });
}

/** Runs `mify-plugin` as a user would and returns its exit code and output. */
function plugin(args: string[], cwd: string, env: Record<string, string>): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [PLUGIN_BIN, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('plugin lifecycle', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-lifecycle-'));
  const home = path.join(work, 'home');
  const folder = path.join(work, 'lifecycle');
  // HOME points at a temporary folder, so `login` writes its credentials there.
  const env = { HOME: home, XDG_CONFIG_HOME: '', MIFY_CONFIG_DIR: '', MIFY_REGISTRY_URL: '', MIFY_REGISTRY_TOKEN: '' };
  let registry: Started | undefined;
  let kernel: Started | undefined;

  beforeAll(async () => {
    // Builds the SDK (mify-plugin), the kernel and the registry when their sources changed.
    const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'registry'], { cwd: ROOT, encoding: 'utf8' });
    if (!fs.existsSync(REGISTRY_CLI)) throw new Error(`building the registry failed:\n${build.stdout}${build.stderr}`);
    fs.mkdirSync(home, { recursive: true });

    registry = await startProcess([REGISTRY_CLI, '--port', '0', '--data-dir', path.join(work, 'registry')], { MIFY_REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, MIFY_LOG_LEVEL: 'warn', DATABASE_URL: '' }, /listening at (http:\/\/127\.0\.0\.1:\d+)/);
    kernel = await startProcess([KERNEL_BIN, 'start', '--host', '127.0.0.1', '--port', '0'], { MIFY_DATA_DIR: path.join(work, 'kernel'), MIFY_LOG_LEVEL: 'warn', DATABASE_URL: '', MIFY_REGISTRY_URL: '', MIFY_REGISTRY_MOUNT: 'true' }, /running at (http:\/\/127\.0\.0\.1:\d+)/);
  }, 240_000);

  afterAll(async () => {
    await stopProcess(kernel);
    await stopProcess(registry);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('creates the extension from the template', () => {
    const result = plugin(['init', folder, '--template', 'typescript', '--id', ID], work, env);

    expect(result.code, result.output).toBe(0);
    expect(fs.existsSync(path.join(folder, 'mify.extension.json'))).toBe(true);
    // What `npm install` would do: link the template's dev dependencies from this checkout.
    fs.mkdirSync(path.join(folder, 'node_modules', '@mify'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'sdk'), path.join(folder, 'node_modules', '@mify', 'sdk'));
    fs.symlinkSync(path.join(ROOT, 'kernel'), path.join(folder, 'node_modules', '@mify', 'kernel'));
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'extensions', 'io', 'node_modules', 'esbuild')), path.join(folder, 'node_modules', 'esbuild'));
  });

  it('adds a node and passes its tests', () => {
    const manifestPath = path.join(folder, 'mify.extension.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    manifest.contributes.nodes.push({
      type: `${ID}.shout`,
      typeVersion: 1,
      name: 'Shout',
      description: 'Upper-cases a text field of each item.',
      category: 'Transform',
      inputs: ['main'],
      outputs: ['main'],
      parameters: { type: 'object', properties: { field: { type: 'string', default: 'text' } }, additionalProperties: false },
      executionClass: 'deterministic',
    });
    fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const source = path.join(folder, 'src', 'index.ts');
    fs.writeFileSync(
      source,
      fs.readFileSync(source, 'utf8').replace(
        `    '${ID}.greet': greet,`,
        `    '${ID}.greet': greet,\n    '${ID}.shout': defineNode({\n      execute(ctx, input) {\n        const field = String(ctx.node.parameters.field ?? 'text');\n        return { items: input.items.map((item) => ({ json: { ...item.json, [field]: String(item.json[field]).toUpperCase() } })) };\n      },\n    }),`,
      ),
    );
    fs.writeFileSync(
      path.join(folder, 'test', 'shout.test.ts'),
      `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestHarness } from '@mify/sdk/testing';

test('shout upper-cases the field', async () => {
  const harness = await createTestHarness({ folder: process.env.MIFY_EXTENSION_DIR! });
  try {
    const out = await harness.runNode('${ID}.shout', { items: [{ json: { text: 'hey' } }], parameters: { field: 'text' } });
    assert.equal(out.main?.[0]?.json.text, 'HEY');
  } finally {
    await harness.close();
  }
});
`,
    );

    const result = plugin(['test'], folder, env);

    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('# pass 2');
    expect(result.output).toContain('# fail 0');
  }, 180_000);

  it('builds a package', () => {
    const result = plugin(['build'], folder, env);

    expect(result.code, result.output).toBe(0);
    expect(fs.existsSync(path.join(folder, '.mify', `${ID}-0.1.0.tgz`))).toBe(true);
  });

  it('logs in and publishes to the registry', async () => {
    const created = await fetch(`${registry!.url}/api/registry/tokens`, { method: 'POST', headers: { 'x-mify-registry-token': ADMIN_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ publisher: 'acme' }) });
    const { token } = (await created.json()) as { token: string };

    const login = plugin(['login', '--registry', registry!.url, '--token', token], folder, env);
    const published = plugin(['publish'], folder, env);
    const again = plugin(['publish'], folder, env);

    expect(login.code, login.output).toBe(0);
    expect(fs.statSync(path.join(home, '.config', 'mify', 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(published.code, published.output).toBe(0);
    expect(published.output).toContain(`Published ${ID}@0.1.0`);
    expect(again.code).toBe(1);
    expect(again.output).toContain('409');
    expect(again.output).toContain('0.1.1');
  });

  it('installs from the registry and runs the node in a graph', async () => {
    const setup = await fetch(`${kernel!.url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@example.com', password: 'correct-horse-1', workspace: 'Lifecycle' }) });
    expect(setup.status).toBe(201);
    const cookie = setup.headers.getSetCookie().find((c) => c.startsWith('mify_session='))!.split(';')[0]!;
    const headers = { cookie, 'content-type': 'application/json' };

    const installed = await fetch(`${kernel!.url}/api/extensions`, { method: 'POST', headers, body: JSON.stringify({ registry: { id: ID, range: '^0.1.0', url: registry!.url } }) });
    const status = (await installed.json()) as { version: string; source: string; state: string };
    expect(installed.status, JSON.stringify(status)).toBe(201);
    expect(status).toMatchObject({ version: '0.1.0', source: 'registry', state: 'active' });

    const definition = {
      nodes: [
        { id: 'greet', name: 'Greet', type: `${ID}.greet`, typeVersion: 1, parameters: { field: 'name', greeting: 'Hello' } },
        { id: 'shout', name: 'Shout', type: `${ID}.shout`, typeVersion: 1, parameters: { field: 'greeting' } },
      ],
      edges: [{ from: { node: 'greet', port: 'main' }, to: { node: 'shout', port: 'main' } }],
    };
    const graph = (await (await fetch(`${kernel!.url}/api/graphs`, { method: 'POST', headers, body: JSON.stringify({ name: 'Lifecycle', definition }) })).json()) as { id: string };
    const run = (await (await fetch(`${kernel!.url}/api/graphs/${graph.id}/runs`, { method: 'POST', headers, body: JSON.stringify({ version: 'draft', wait: true, input: [{ json: { name: 'Ada' } }] }) })).json()) as {
      status: string;
      output: { items: Array<{ json: Record<string, unknown> }> } | null;
      error?: unknown;
    };

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output!.items[0]!.json.greeting).toBe('HELLO, ADA!');
  }, 60_000);

  it('serves a registry mounted in the kernel', async () => {
    const response = await fetch(`${kernel!.url}/api/registry/keys`);
    const body = (await response.json()) as { keys: Array<{ fingerprint: string }> };

    expect(response.status).toBe(200);
    expect(body.keys).toHaveLength(1);
    expect(fs.existsSync(path.join(work, 'kernel', 'registry', 'registry-signing-key.pem'))).toBe(true);
  });
});
