// Starts and stops a real kernel for end-to-end suites: a free port on
// 127.0.0.1, a throwaway MIFY_DATA_DIR, and the studio from web/build.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** How long the kernel may take to migrate a fresh database and respond on /api/health, in milliseconds. */
const START_TIMEOUT_MS = 90_000;
/** How long the kernel may take to drain and exit after SIGTERM before it is killed, in milliseconds. */
const STOP_TIMEOUT_MS = 15_000;

export interface RunningKernel {
  url: string;
  dataDir: string;
  /** Everything the kernel printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Returns what is missing to run the studio end to end, or null when the builds exist. */
export function missingBuilds(): string | null {
  const missing = [
    ['web/build/handler.js', 'pnpm --filter @mify/web build'],
    ['kernel/dist/cli/entry.js', 'npx tsc -b sdk kernel'],
  ].filter(([file]) => !fs.existsSync(path.join(ROOT, file!)));
  if (missing.length === 0) return null;
  return missing.map(([file, command]) => `${file} is missing; run \`${command}\` (npm test builds both)`).join('; ');
}

/** Returns the Chromium binary from MIFY_CHROMIUM_PATH or Debian's /usr/bin/chromium, or null when neither exists. */
export function findChromium(): string | null {
  const candidate = process.env.MIFY_CHROMIUM_PATH ?? '/usr/bin/chromium';
  return fs.existsSync(candidate) ? candidate : null;
}

/**
 * Environment of a kernel (or CLI run) of one suite: its own data directory and embedded
 * database. DATABASE_URL and REDIS_URL, which CI sets for the server suites, are left out:
 * suites would otherwise share one database, and each starts with first-run setup.
 */
export function kernelEnv(dataDir: string): NodeJS.ProcessEnv {
  const { DATABASE_URL: _database, REDIS_URL: _redis, ...rest } = process.env;
  return { ...rest, MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: process.env.MIFY_LOG_LEVEL ?? 'warn' };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `mify start` on a free port with an empty data directory, and
 * resolves once /api/health responds with 200. `prepare` runs first, with the
 * data directory, for set-up through the CLI (which needs the embedded
 * database to itself).
 *
 * @example
 * const kernel = await startKernel();
 * try { await fetch(`${kernel.url}/api/health`); } finally { await kernel.stop(); }
 */
export async function startKernel(options: { prepare?: (dataDir: string) => void } = {}): Promise<RunningKernel> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-e2e-'));
  options.prepare?.(dataDir);
  const url = `http://127.0.0.1:${port}`;
  let log = '';

  const child = spawn(process.execPath, [path.join(ROOT, 'kernel', 'bin', 'mify.js'), 'start', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env: kernelEnv(dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return { url, dataDir, output: () => log, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const exitCode = child.exitCode;
  await stop();
  const reason = exitCode === null ? `did not respond on ${url}/api/health within ${START_TIMEOUT_MS} ms` : `exited with code ${exitCode} before responding on ${url}/api/health`;
  throw new Error(`The kernel ${reason}. Its output:\n${log}`);
}
