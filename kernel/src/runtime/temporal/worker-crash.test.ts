import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import type { Item } from '../../graphs/model.js';
import { createKernel, type Kernel } from '../../kernel.js';
import { createLogger } from '../../logger.js';
import { openDatabase, type Database } from '../../storage/database.js';
import { createServerDatabase, dropServerDatabase } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { startTestTemporal, temporalSkipReason, type TestTemporal } from '../../test-support/temporal.js';
import { ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';
import { ACME_TEMPORAL } from './testing.js';

const KERNEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNS = 12;
const STEPS = ['s1', 's2', 's3', 's4', 's5'];

const skipReason = temporalSkipReason ?? (process.env.DATABASE_URL ? null : 'DATABASE_URL not set; worker processes share the kernel database, which the embedded one cannot');

interface Report {
  key: string;
  attempt: number;
  node: string;
}

/** Starts `mify worker` from the sources in a child process and resolves once it polls. */
async function startWorker(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', 'src/cli/entry.ts', 'worker'], { cwd: KERNEL_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mify worker did not start within 90 s:\n${output}`)), 90_000);
    child.stdout!.on('data', () => {
      if (output.includes('MIFY worker polling')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mify worker exited (${code ?? signal}) before it polled:\n${output}`));
    });
  });
  return { child, output: () => output };
}

async function stopWorker(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** Worker processes killed mid-run: every run completes, and no finished step runs again. */
describe.skipIf(skipReason !== null)(skipReason ? `worker crash on the Temporal back end (skipped: ${skipReason})` : 'worker crash on the Temporal back end', () => {
  let temporal: TestTemporal;
  let databaseUrl: string;
  let db: Database;
  let kernel: Kernel;
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let workerEnv: Record<string, string>;
  const workers: ChildProcess[] = [];
  const reports: Report[] = [];

  beforeAll(async () => {
    temporal = await startTestTemporal();
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        reports.push(JSON.parse(Buffer.concat(chunks).toString()) as Report);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-temporal-crash-'));
    databaseUrl = await createServerDatabase();
    const env = {
      DATABASE_URL: databaseUrl,
      MIFY_DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: temporal.address,
      MIFY_RUN_BACKEND: 'temporal',
      MIFY_TEMPORAL_TASK_QUEUE: `mify-crash-${process.pid}-${Date.now()}`,
      MIFY_TEMPORAL_HEARTBEAT_TIMEOUT_MS: '2000',
      MIFY_ALLOW_PRIVATE_NETWORK: 'true',
      MIFY_LOG_LEVEL: 'warn',
    };
    workerEnv = env;
    db = await openDatabase({ databaseUrl, dataDir });
    // This kernel only starts runs: MIFY_TEMPORAL_WORKER=off leaves every step to the worker processes.
    kernel = await createKernel({ config: loadConfig({ ...env, MIFY_TEMPORAL_WORKER: 'off', MIFY_LOG_LEVEL: 'silent' }), logger: createLogger({ level: 'silent' }), overrides: { db } });
    await kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    await kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEMPORAL.id, code: ACME_TEMPORAL.code, manifest: ACME_TEMPORAL.manifest }) });
  }, 120_000);

  afterAll(async () => {
    for (const child of workers) await stopWorker(child, 'SIGKILL');
    await kernel?.close();
    await db?.close();
    if (databaseUrl) await dropServerDatabase(databaseUrl);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await temporal?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('completes every run after a SIGKILL of the worker without repeating finished steps', async () => {
    const { workspace } = await kernel.services.userService.setup({ email: 'owner@example.com', password: 'correct-horse-1', workspace: 'Crash' });
    const document = graph({
      nodes: [node('t', 'trigger'), ...STEPS.map((id) => node(id, 'acme.temporal.report', { parameters: { url: `${base}/report`, ms: 150 } }))],
      edges: [edge('t', 's1'), ...STEPS.slice(1).map((id, index) => edge(STEPS[index]!, id))],
    });
    const first = await startWorker(workerEnv);
    workers.push(first.child);

    const runs = kernel.services.runService;
    const started = [];
    for (let index = 0; index < RUNS; index++) {
      started.push(await runs.start({ workspaceId: workspace.id, graph: executable(workspace.id, document, 'g-crash'), input: [{ json: { index } }], mode: 'api', createdBy: null }));
    }
    const deadline = Date.now() + 60_000;
    while (reports.length < RUNS * 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    await stopWorker(first.child, 'SIGKILL');
    // A step has finished once its result is in the run journal: from then on no attempt runs it again. A step
    // recorded as succeeded whose journal entry was not written yet was still in flight, as on the embedded back end.
    const finishedAtKill = new Set(
      (await db.query<{ run_id: string; step_key: string }>(`select run_id, step_key from run_journal where step_key like 's%'`)).map((row) => `${row.run_id}:${row.step_key}`),
    );
    const unfinishedAtKill = (await db.query<{ id: string }>(`select id from runs where status not in ('succeeded', 'failed', 'cancelled')`)).length;
    const second = await startWorker(workerEnv);
    workers.push(second.child);

    const finished = await Promise.all(started.map((run) => Promise.race([
      runs.waitFor(workspace.id, run.id),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`run ${run.id} did not finish within 120 s; worker output:\n${second.output()}`)), 120_000)),
    ])));
    const callsByKey = new Map<string, Report[]>();
    for (const report of reports) callsByKey.set(report.key, [...(callsByKey.get(report.key) ?? []), report]);
    const repeated = [...callsByKey.entries()].filter(([, calls]) => calls.length > 1);

    expect(finishedAtKill.size).toBeGreaterThan(0);
    expect(unfinishedAtKill).toBeGreaterThan(0);
    expect(finished.map((run) => run.status)).toEqual(Array.from({ length: RUNS }, () => 'succeeded'));
    for (const run of finished) expect((run.output as { items: Item[] }).items[0]!.json.path).toEqual(['t', ...STEPS]);
    expect(callsByKey.size).toBe(RUNS * STEPS.length);
    for (const key of finishedAtKill) expect(callsByKey.get(key)?.length, `finished step ${key} ran again`).toBe(1);
    for (const [key, calls] of repeated) {
      // Only a step in flight at the kill runs again, under the same idempotency key, as a later attempt.
      expect(finishedAtKill.has(key), `step ${key} ran again after it had finished`).toBe(false);
      expect(calls.map((call) => call.attempt)).toEqual([...calls.map((call) => call.attempt)].sort((a, b) => a - b));
      expect(new Set(calls.map((call) => call.attempt)).size).toBe(calls.length);
    }
  }, 240_000);
});
