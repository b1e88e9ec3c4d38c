// Runs the MIFY CLI and servers as child processes, the way a user starts them.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The `mify` launcher: it re-executes Node with --no-node-snapshot and forwards signals. */
export const KERNEL_LAUNCHER = path.join(REPO_ROOT, 'kernel/bin/mify.js');
/** The CLI entry the launcher re-executes; run it with --no-node-snapshot. */
export const KERNEL_ENTRY = path.join(REPO_ROOT, 'kernel/dist/cli/entry.js');

/** Line every server of these benches prints once it accepts connections; group 1 is its URL. */
export const READY_LINE = /is running at (http:\/\/127\.0\.0\.1:\d+)/;

const OWNER_EMAIL = 'bench@example.com';
const WORKSPACE_NAME = 'Bench';

/** Throws with the build command when the kernel has not been compiled. */
export function assertKernelBuilt() {
  if (!existsSync(KERNEL_ENTRY)) {
    throw new Error(`The kernel is not built: ${KERNEL_ENTRY} is missing. Run \`npx tsc -b sdk kernel\` from the repository root first.`);
  }
}

/**
 * Returns the environment for a kernel process: the caller's environment
 * without MIFY_*, DATABASE_URL, REDIS_URL and TEMPORAL_ADDRESS, plus
 * `overrides`. The kernel then uses its embedded database and in-memory shared
 * state whatever the developer's shell sets.
 */
export function kernelEnv(dataDir, overrides = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('MIFY_') || ['DATABASE_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS'].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, MIFY_DATA_DIR: dataDir, ...overrides };
}

async function runCli(args, env) {
  try {
    const { stdout } = await execFileAsync(process.execPath, [KERNEL_LAUNCHER, ...args], { cwd: REPO_ROOT, env, timeout: 120_000 });
    return stdout;
  } catch (error) {
    throw new Error(`\`mify ${args[0]}\` failed (exit code ${error.code}): ${error.stderr || error.message}`);
  }
}

/**
 * Creates a temporary data directory with the owner account and one workspace
 * (`mify setup`, which also applies the migrations), and optionally an API key
 * for that workspace. The caller removes the directory with `removeDataDir`.
 */
export async function prepareDataDir({ withApiKey }) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mify-perf-'));
  const env = kernelEnv(dataDir, { MIFY_LOG_LEVEL: 'warn' });

  try {
    const password = randomBytes(18).toString('base64url');
    const setupOutput = await runCli(['setup', '--email', OWNER_EMAIL, `--password=${password}`, '--workspace', WORKSPACE_NAME], env);
    const slug = /slug ([^,\s]+)/.exec(setupOutput)?.[1];
    if (!slug) throw new Error(`\`mify setup\` printed no workspace slug; its output was: ${setupOutput}`);
    if (!withApiKey) return { dataDir, workspaceSlug: slug, apiKey: null };

    const apiKey = (await runCli(['api-key', 'create', '--workspace', slug, '--name', 'bench', '--role', 'viewer'], env)).trim();
    if (!apiKey || /\s/.test(apiKey)) throw new Error(`\`mify api-key create\` printed no single key; its output was: ${apiKey}`);
    return { dataDir, workspaceSlug: slug, apiKey };
  } catch (error) {
    await removeDataDir(dataDir);
    throw error;
  }
}

export async function removeDataDir(dataDir) {
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * Spawns `node ...args` and resolves once it prints READY_LINE on stdout, with
 * the URL and the time from spawn to that line in milliseconds. Rejects when
 * the process exits first or `timeoutMs` passes; the process is then killed.
 */
export function spawnServer(args, { env, timeoutMs = 60_000, program = process.execPath } = {}) {
  const startedAt = performance.now();
  const child = spawn(program, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const remember = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stderr.on('data', remember);

  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => fail(new Error(`${describe(args)} printed no "is running at" line within ${timeoutMs} ms`)), timeoutMs);

    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\nlast output:\n${output.join('').slice(-4000)}`));
    }

    function onExit(code, signal) {
      fail(new Error(`${describe(args)} exited before it was ready (exit code ${code}, signal ${signal})`));
    }

    function onStdout(chunk) {
      remember(chunk);
      pending += chunk.toString();
      const match = READY_LINE.exec(pending);
      if (!match) {
        pending = pending.slice(-1000);
        return;
      }
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.off('data', onStdout);
      // Keep reading stdout, because a server blocks once the pipe buffer is full.
      child.stdout.on('data', remember);
      resolve({ child, url: match[1], readyLineMs: performance.now() - startedAt, startedAt, output });
    }

    child.stdout.on('data', onStdout);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error));
  });
}

/**
 * Sends SIGTERM and waits for the exit; after `timeoutMs` it sends SIGKILL.
 * Resolves with the exit code, the signal, the time to exit in milliseconds
 * and whether SIGKILL was needed.
 */
export function stopServer(child, { timeoutMs = 15_000 } = {}) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode, exitMs: 0, killed: false });
  }

  const startedAt = performance.now();
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, exitMs: performance.now() - startedAt, killed });
    });
    child.kill('SIGTERM');
  });
}

function describe(args) {
  return `node ${args.map((arg) => (path.isAbsolute(arg) ? path.relative(REPO_ROOT, arg) : arg)).join(' ')}`;
}

/**
 * Tracks the server and data directory a bench run owns, removes both on `cleanUp()`,
 * and does so on Ctrl-C too, so an interrupted bench leaves nothing running.
 */
export function trackBenchResources(what) {
  const state = {
    server: null,
    dataDir: null,
    async cleanUp() {
      if (state.server) await stopServer(state.server.child);
      state.server = null;
      if (state.dataDir) await removeDataDir(state.dataDir);
      state.dataDir = null;
    },
  };
  process.once('SIGINT', () => {
    console.error(`Interrupted. Stopping the ${what} and removing the data directory.`);
    state.cleanUp().finally(() => process.exit(130));
  });
  return state;
}
