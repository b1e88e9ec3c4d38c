/**
 * Fault test: two real kernel processes (the `mify start` CLI) share one PostgreSQL database
 * for three minutes with a schedule due every 10 seconds. Every due time in that span must
 * start exactly one run, whichever process claims it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, createServerDatabase, databaseBackends, dropServerDatabase } from '../test-support/databases.js';

const KERNEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = path.join(KERNEL_DIR, 'src/cli/entry.ts');
const INTERVAL_MS = 10_000;
const DURATION_MS = 180_000;
const postgres = databaseBackends.find((backend) => backend.name === 'postgres')!;

interface KernelProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function cli(args: string[], env: Record<string, string>): string {
  const result = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', ENTRY, ...args], { cwd: KERNEL_DIR, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`mify ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function startKernel(env: Record<string, string>): Promise<KernelProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', ENTRY, 'start', '--host', '127.0.0.1', '--port', '0'], { cwd: KERNEL_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the kernel did not start within 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the kernel exited with ${code} before it started:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

describe.skipIf(postgres.skipReason !== null)(`a 10-second schedule on two kernel processes sharing ${backendTitle(postgres)}`, () => {
  const dataDirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'mify-two-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'mify-two-b-'))];
  const kernels: KernelProcess[] = [];
  let databaseUrl = '';
  let apiKey = '';
  const envFor = (index: number): Record<string, string> => ({ DATABASE_URL: databaseUrl, MIFY_DATA_DIR: dataDirs[index]!, MIFY_SECRET_KEY: 'a'.repeat(64), TEMPORAL_ADDRESS: '', MIFY_RUN_BACKEND: 'embedded', MIFY_LOG_LEVEL: 'warn', MIFY_SCHEDULE_POLL_MS: '500', MIFY_RATE_LIMIT_KEY_PER_MINUTE: '100000' });

  beforeAll(async () => {
    databaseUrl = await createServerDatabase();
    cli(['setup', '--email', 'two@example.com', '--password', 'two-password-1', '--workspace', 'Two'], envFor(0));
    apiKey = cli(['api-key', 'create', '--workspace', 'two', '--name', 'two'], envFor(0)).trim().split('\n').pop()!.trim();
  }, 120_000);

  afterAll(async () => {
    for (const kernel of kernels) if (kernel.child.exitCode === null) kernel.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (databaseUrl) await dropServerDatabase(databaseUrl).catch(() => {});
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = async (kernel: KernelProcess, pathname: string, init: { method?: string; json?: unknown } = {}) => {
    const response = await fetch(kernel.url + pathname, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${apiKey}`, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as any };
  };

  it('fires every due time exactly once for three minutes', { timeout: DURATION_MS + 60_000 }, async () => {
    kernels.push(await startKernel(envFor(0)), await startKernel(envFor(1)));
    const [first, second] = kernels as [KernelProcess, KernelProcess];
    for (const kernel of kernels) {
      const deadline = Date.now() + 60_000;
      while (!JSON.stringify((await call(kernel, '/api/extensions/contributions')).body).includes('"mify.control.no-op"')) {
        if (Date.now() > deadline) throw new Error(`mify.control did not load:\n${kernel.output().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    const graph = await call(first, '/api/graphs', {
      method: 'POST',
      json: { name: 'Tick', definition: { nodes: [{ id: 'start', type: 'mify.control.manual-trigger', typeVersion: 1, name: 'Start', position: { x: 0, y: 0 } }, { id: 'pass', type: 'mify.control.no-op', typeVersion: 1, name: 'Pass', position: { x: 200, y: 0 } }], edges: [{ from: { node: 'start', port: 'main' }, to: { node: 'pass', port: 'main' } }] } },
    });
    const schedule = await call(second, `/api/graphs/${graph.body.id}/schedules`, { method: 'POST', json: { name: 'Every 10 s', kind: 'interval', intervalMs: INTERVAL_MS, version: 'draft' } });
    expect(schedule.status).toBe(201);

    await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
    await call(first, `/api/graphs/${graph.body.id}/schedules/${schedule.body.id}`, { method: 'PATCH', json: { enabled: false } });
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const executions = (await call(second, `/api/home/schedules/${schedule.body.id}/executions?limit=200`)).body.items as Array<{ runId: string; dueAt: string; status: string }>;
    const runs = ((await call(first, `/api/runs?graphId=${graph.body.id}&limit=200`)).body.items as Array<{ id: string; mode: string }>).filter((run) => run.mode === 'schedule');
    const dueTimes = executions.map((execution) => Date.parse(execution.dueAt)).sort((a, b) => a - b);
    const firstDue = dueTimes[0]!;
    const expectedTicks = Array.from({ length: dueTimes.length }, (_, index) => firstDue + index * INTERVAL_MS);

    // 180 s at one due time per 10 s, give or take the first and last tick.
    expect(dueTimes.length).toBeGreaterThanOrEqual(DURATION_MS / INTERVAL_MS - 1);
    expect(dueTimes.length).toBeLessThanOrEqual(DURATION_MS / INTERVAL_MS + 1);
    expect(dueTimes).toEqual(expectedTicks);
    expect(runs.map((run) => run.id).sort()).toEqual(executions.map((execution) => execution.runId).sort());
    expect(executions.every((execution) => execution.status === 'succeeded')).toBe(true);
  });
});
