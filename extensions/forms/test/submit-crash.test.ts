/**
 * Fault test: a kernel process is killed with SIGKILL while form submissions are in flight.
 * After a restart every submission is either stored with exactly one run, or was never
 * stored; a submission the crash left without a run is finished by the next listing, and a
 * client retry with the same submission id starts no second run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FOLDER = fileURLToPath(new URL('..', import.meta.url));
const KERNEL_DIR = path.resolve(FOLDER, '../../kernel');
const ENTRY = path.join(KERNEL_DIR, 'src/cli/entry.ts');
const SUBMISSIONS = 40;

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

describe('form submissions survive kill -9', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-forms-crash-'));
  const env: Record<string, string> = { MIFY_DATA_DIR: dataDir, DATABASE_URL: '', TEMPORAL_ADDRESS: '', MIFY_RUN_BACKEND: 'embedded', MIFY_LOG_LEVEL: 'warn', MIFY_RATE_LIMIT_KEY_PER_MINUTE: '100000', MIFY_RUN_POLL_MS: '100' };
  const kernels: KernelProcess[] = [];
  let apiKey = '';

  beforeAll(async () => {
    await build({ entryPoints: [`${FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${FOLDER}/dist/index.js`, logLevel: 'warning' });
    cli(['setup', '--email', 'forms@example.com', '--password', 'forms-password-1', '--workspace', 'Forms'], env);
    apiKey = cli(['api-key', 'create', '--workspace', 'forms', '--name', 'forms'], env).trim().split('\n').pop()!.trim();
  }, 180_000);

  afterAll(() => {
    for (const kernel of kernels) if (kernel.child.exitCode === null) kernel.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (kernel: KernelProcess, pathname: string, init: { method?: string; json?: unknown } = {}) => {
    const response = await fetch(kernel.url + pathname, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${apiKey}`, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as any };
  };

  /** Resolves once mify.forms serves its routes (extensions load after the server listens). */
  const formsLoaded = async (kernel: KernelProcess) => {
    const deadline = Date.now() + 60_000;
    while ((await call(kernel, '/api/forms/probe')).body?.code !== 'not_found') {
      if (Date.now() > deadline) throw new Error(`mify.forms did not load:\n${kernel.output().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it(`${SUBMISSIONS} submissions are all or nothing`, { timeout: 240_000 }, async () => {
    const first = await startKernel(env);
    kernels.push(first);
    await formsLoaded(first);
    const graph = await call(first, '/api/graphs', {
      method: 'POST',
      json: { name: 'Intake', definition: { nodes: [{ id: 'start', type: 'mify.control.manual-trigger', typeVersion: 1, name: 'Start', position: { x: 0, y: 0 } }, { id: 'pass', type: 'mify.control.no-op', typeVersion: 1, name: 'Pass', position: { x: 200, y: 0 } }], edges: [{ from: { node: 'start', port: 'main' }, to: { node: 'pass', port: 'main' } }] } },
    });
    await call(first, `/api/graphs/${graph.body.id}/publish`, { method: 'POST' });
    const form = await call(first, '/api/forms', { method: 'POST', json: { name: 'Crash', graphId: graph.body.id, pages: [{ title: 'One', fields: [{ name: 'n', label: 'N', type: 'number', required: true }] }] } });
    expect(form.status).toBe(201);
    const formId = form.body.id as string;

    // Submissions go out in a steady stream; the kill lands once a few have been answered.
    const ids = Array.from({ length: SUBMISSIONS }, (_, index) => `sub-crash-${String(index).padStart(4, '0')}`);
    const outcomes = new Map<string, number | 'error'>();
    const sending = ids.map(async (id, index) => {
      await new Promise((resolve) => setTimeout(resolve, index * 50));
      const result = await call(first, `/api/forms/${formId}/submit`, { method: 'POST', json: { answers: { n: index }, submissionId: id } }).catch(() => null);
      outcomes.set(id, result ? result.status : 'error');
    });
    while ([...outcomes.values()].filter((status) => status === 201).length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    first.child.kill('SIGKILL');
    await Promise.all(sending);
    const acknowledged = ids.filter((id) => outcomes.get(id) === 201);
    const lost = ids.filter((id) => outcomes.get(id) === 'error');
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThan(0);

    const second = await startKernel(env);
    kernels.push(second);
    await formsLoaded(second);
    // A submission stored without a run is finished by a listing once it is 20 s old.
    await new Promise((resolve) => setTimeout(resolve, 21_000));
    const listed = (await call(second, `/api/forms/${formId}/submissions?limit=200`)).body.items as Array<{ id: string; status: string; runId?: string }>;
    const runs = (await call(second, `/api/runs?graphId=${graph.body.id}&limit=200`)).body.items as Array<{ id: string }>;
    const runIds = new Set(runs.map((run) => run.id));

    expect(listed.filter((submission) => submission.status !== 'started')).toEqual([]);
    for (const id of acknowledged) expect(listed.some((submission) => submission.id === id)).toBe(true);
    for (const submission of listed) expect(runIds.has(submission.runId!)).toBe(true);
    expect(runs.length).toBe(listed.length);

    // The client retries what it saw fail; each retry finds or starts exactly one run.
    for (const id of lost) {
      const retried = await call(second, `/api/forms/${formId}/submit`, { method: 'POST', json: { answers: { n: ids.indexOf(id) }, submissionId: id } });
      expect([200, 201]).toContain(retried.status);
    }
    const finalRuns = (await call(second, `/api/runs?graphId=${graph.body.id}&limit=200`)).body.items as Array<{ id: string }>;
    const finalListed = (await call(second, `/api/forms/${formId}/submissions?limit=200`)).body.items as Array<{ id: string; runId: string }>;
    expect(finalListed).toHaveLength(SUBMISSIONS);
    expect(new Set(finalListed.map((submission) => submission.runId)).size).toBe(SUBMISSIONS);
    expect(finalRuns).toHaveLength(SUBMISSIONS);
  });
});
