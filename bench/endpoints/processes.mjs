// Starts and stops the servers of the endpoint bench (n8n, Node-RED) as child processes, and
// waits until their workflow responds over HTTP.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { childPids, cpuSeconds } from '../lib/machine.mjs';
import { stopServer } from '../lib/kernel.mjs';

/** Lines of output kept per process, for error messages. */
const KEPT_OUTPUT_CHUNKS = 200;

/**
 * Spawns `command ...args` with stdout and stderr captured in a ring of recent chunks.
 * Returns `{ name, child, output, lastOutput() }`, where `lastOutput()` returns the last 4,000 characters.
 */
export function startProcess(name, command, args, { env, cwd }) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const remember = (chunk) => {
    output.push(chunk.toString());
    if (output.length > KEPT_OUTPUT_CHUNKS) output.shift();
  };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  child.on('error', (error) => remember(`spawn error: ${error.message}\n`));
  return { name, child, output, lastOutput: () => output.join('').slice(-4000) };
}

/**
 * Calls `probe()` every `intervalMs` until it returns true, the process exits, or `timeoutMs`
 * passes; the last two throw with the process's recent output.
 */
export async function waitUntilReady(processHandle, probe, { timeoutMs, intervalMs = 250 }) {
  const deadline = performance.now() + timeoutMs;
  let lastError = null;
  while (performance.now() < deadline) {
    const { child } = processHandle;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${processHandle.name} exited before it was ready (exit code ${child.exitCode}, signal ${child.signalCode}).\nlast output:\n${processHandle.lastOutput()}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${processHandle.name} did not respond within ${timeoutMs} ms${lastError ? ` (last error: ${lastError.message})` : ''}.\nlast output:\n${processHandle.lastOutput()}`);
}

/** Stops a process started by `startProcess` or `spawnServer`: SIGTERM, then SIGKILL after `timeoutMs`. */
export function stopProcess(processHandle, options) {
  return stopServer(processHandle.child, options);
}

/** CPU seconds used so far by a process and all its descendants (n8n starts a task-runner child). */
export function treeCpuSeconds(pid) {
  let total = cpuSeconds(pid) ?? 0;
  for (const child of childPids(pid)) total += treeCpuSeconds(child);
  return total;
}

/** Returns a free TCP port on 127.0.0.1, chosen by the operating system. */
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
