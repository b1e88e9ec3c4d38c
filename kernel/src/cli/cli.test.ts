import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerDatabase, dropServerDatabase } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { runCli } from './main.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/mify.js');

/**
 * Spawns `mify start` on the embedded database in `dataDir` and waits up to 20 s for the URL it
 * prints. DATABASE_URL is left out: a server database shared with other suites may already have
 * users, and then the start prints no setup hint.
 */
async function startServerProcess(program: string, args: string[], dataDir: string) {
  const { spawn } = await import('node:child_process');
  const { DATABASE_URL: _serverUrl, ...env } = process.env;
  const child = spawn(program, args, { env: { ...env, MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitForOutput = async (pattern: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return pattern.exec(output);
  };

  const url = (await waitForOutput(/is running at (http:\/\/\S+)/))?.[1];
  return { child, url, exited, output: () => output, waitForOutput };
}

function capture(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env: { MIFY_LOG_LEVEL: 'silent', ...env } }, out, err };
}

describe('mify CLI', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-cli-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints help with every command', async () => {
    const { io, out } = capture({});
    const code = await runCli(['--help'], io);

    expect(code).toBe(0);
    for (const command of ['start', 'migrate', 'setup', 'user create', 'api-key create']) expect(out.join('\n')).toContain(command);
  });

  it('reports an unknown command with exit code 2', async () => {
    const { io, err } = capture({});

    expect(await runCli(['deploy'], io)).toBe(2);
    expect(err.join('\n')).toContain("Unknown command 'deploy'");
  });

  it('names a missing option and shows usage', async () => {
    const { io, err } = capture({ MIFY_DATA_DIR: tempDir() });

    expect(await runCli(['setup', '--email', 'a@b.co'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/Missing required option --password\.\nUsage: mify setup/);
  });

  it('reports an unknown option', async () => {
    const { io, err } = capture({});

    expect(await runCli(['migrate', '--fast'], io)).toBe(2);
    expect(err.join('\n')).toContain("Unknown option '--fast'");
  });

  it('reports invalid configuration with exit code 78', async () => {
    const { io, err } = capture({ DATABASE_URL: 'mysql://nope' });

    expect(await runCli(['migrate'], io)).toBe(78);
    expect(err.join('\n')).toContain('DATABASE_URL');
  });

  it('setup, user and API key on PGlite', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    const setup = capture(env);
    const user = capture(env);
    const key = capture(env);

    expect(await runCli(['setup', '--email', 'owner@example.com', '--password', 'long-password', '--workspace', 'Ops Team'], setup.io)).toBe(0);
    expect(await runCli(['user', 'create', '--email', 'ed@example.com', '--password', 'long-password', '--workspace', 'ops-team', '--role', 'viewer'], user.io)).toBe(0);
    expect(await runCli(['api-key', 'create', '--workspace', 'ops-team', '--name', 'ci'], key.io)).toBe(0);

    expect(setup.out.join('\n')).toContain("workspace 'Ops Team' (slug ops-team");
    expect(user.out.join('\n')).toContain("as viewer of 'ops-team'");
    expect(key.out[0]).toMatch(/^mify_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/);
    expect(fs.existsSync(path.join(env.MIFY_DATA_DIR, 'pgdata'))).toBe(true);
  });

  it('refuses a second setup', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    await runCli(['setup', '--email', 'owner@example.com', '--password', 'long-password', '--workspace', 'W'], capture(env).io);
    const second = capture(env);

    expect(await runCli(['setup', '--email', 'other@example.com', '--password', 'long-password', '--workspace', 'X'], second.io)).toBe(1);
    expect(second.err.join('\n')).toContain('Setup is already complete');
  });

  it('names an unknown workspace', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    const result = capture(env);

    expect(await runCli(['api-key', 'create', '--workspace', 'nope', '--name', 'x'], result.io)).toBe(2);
    expect(result.err.join('\n')).toContain("Workspace 'nope' was not found");
  });

  it.skipIf(!process.env.DATABASE_URL)(`honours DATABASE_URL${process.env.DATABASE_URL ? '' : ' (skipped: DATABASE_URL not set)'}`, async () => {
    const url = await createServerDatabase();
    try {
      const env = { DATABASE_URL: url, MIFY_DATA_DIR: tempDir() };
      expect(await runCli(['setup', '--email', 'pg@example.com', '--password', 'long-password', '--workspace', 'PG'], capture(env).io)).toBe(0);
      const key = capture(env);
      expect(await runCli(['api-key', 'create', '--workspace', 'pg', '--name', 'ci'], key.io)).toBe(0);
      expect(key.out[0]).toMatch(/^mify_/);
      expect(fs.existsSync(path.join(env.MIFY_DATA_DIR, 'pgdata'))).toBe(false);
    } finally {
      await dropServerDatabase(url);
    }
  });

  it.skipIf(!fs.existsSync(path.resolve(BIN, '../../dist/cli/entry.js')))('runs as a program through bin/mify.js', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--help']);

    expect(stdout).toContain('Usage: mify <command>');
  });

  it.skipIf(!fs.existsSync(path.resolve(BIN, '../../dist/cli/entry.js')))('start serves health and stops on SIGTERM', async () => {
    const { child, output, url, exited, waitForOutput } = await startServerProcess(process.execPath, [BIN, 'start', '--port', '0'], tempDir());
    const health = await fetch(`${url}/api/health`);
    // The setup hint follows the URL once the kernel has checked for users.
    await waitForOutput(/npx mify setup --email/);
    child.kill('SIGTERM');
    const code = await exited;

    expect(health.status).toBe(200);
    expect(output()).toContain('npx mify setup --email');
    expect(code).toBe(0);
  });

  it.skipIf(!fs.existsSync(path.resolve(BIN, '../../dist/cli/entry.js')))('stops cleanly while extensions load', async () => {
    // SIGINT right after the URL, while the extensions still load: the stop waits for them, so no query meets a closed database.
    const { child, output, url, exited } = await startServerProcess(process.execPath, [BIN, 'start', '--port', '0'], tempDir());
    child.kill('SIGINT');
    const code = await exited;

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(code).toBe(0);
    expect(output()).not.toContain('"level":50');
  });

  it.skipIf(!fs.existsSync(path.resolve(BIN, '../../dist/cli/entry.js')))('executable start needs no launcher', async () => {
    // Run as a program, as npx runs it: the shell line of bin/mify.js replaces itself with Node.
    const { child, url, exited } = await startServerProcess(BIN, ['start', '--port', '0'], tempDir());
    const health = await fetch(`${url}/api/health`);
    const commandLine = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    child.kill('SIGTERM');
    const code = await exited;

    expect(health.status).toBe(200);
    expect(commandLine).toContain('--no-node-snapshot');
    expect(children).toBe('');
    expect(code).toBe(0);
  });

  it.skipIf(!fs.existsSync(path.resolve(BIN, '../../dist/cli/entry.js')))('start reports a data directory in use', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'pgdata.lock'), String(process.pid));
    // Without DATABASE_URL, so the start uses the embedded database whose lock is taken.
    const { DATABASE_URL: _serverUrl, ...env } = process.env;
    const result = await promisify(execFile)(process.execPath, [BIN, 'start', '--port', '0'], { env: { ...env, MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent' }, timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is in use by another MIFY process (pid ${process.pid})`);
  });

  it('installs, lists, disables, enables and uninstalls an extension', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    const folder = writeIsolateExtension({ id: 'acme.cli' });
    const run = async (...args: string[]) => {
      const result = capture(env);
      const code = await runCli(args, result.io);
      return { code, out: result.out.join('\n'), err: result.err.join('\n') };
    };

    const installed = await run('ext', 'install', folder);
    const listed = await run('ext', 'list');
    const disabled = await run('ext', 'disable', 'acme.cli');
    const enabled = await run('ext', 'enable', 'acme.cli');
    const removed = await run('ext', 'uninstall', 'acme.cli');
    const missing = await run('ext', 'enable', 'acme.cli');

    expect(installed).toMatchObject({ code: 0, out: 'Installed acme.cli@1.0.0 (active).' });
    expect(listed.out).toMatch(/acme\.cli@1\.0\.0 {2}active {2}isolate {2}folder/);
    expect(listed.out).toMatch(/mify\.sample-wasm@1\.0\.0 {2}active {2}wasm {2}bundled/);
    expect(disabled.out).toBe('acme.cli is disabled.');
    expect(enabled.out).toBe('acme.cli is active.');
    expect(removed.out).toBe('Uninstalled acme.cli.');
    expect(missing).toMatchObject({ code: 1, err: "Error: Extension 'acme.cli' was not found." });
  });

  it('lists a bundle that cannot load as failed', async () => {
    const dataDir = tempDir();
    writeIsolateExtension({ id: 'acme.broken', dir: path.join(dataDir, 'extensions', 'broken'), code: 'export default { nodes: { ' });
    const result = capture({ MIFY_DATA_DIR: dataDir });

    const code = await runCli(['ext', 'list'], result.io);

    expect(code).toBe(0);
    expect(result.out.join('\n')).toMatch(/acme\.broken@1\.0\.0 {2}failed \(unhealthy\) {2}isolate {2}folder\n {4}last error: Extension 'acme\.broken'/);
  });

  it('names the missing install source', async () => {
    const result = capture({ MIFY_DATA_DIR: tempDir() });

    expect(await runCli(['ext', 'install'], result.io)).toBe(2);
    expect(result.err.join('\n')).toContain('Expected 1 argument(s), got 0');
  });
});
