import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, createServerDatabase, databaseBackends, dropServerDatabase } from '../../test-support/databases.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';

const KERNEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ENTRY = path.join(KERNEL_DIR, 'src/cli/entry.ts');
const RUNS = 50;
const STEPS = 10;
/**
 * Time after the kill within which a call that the killed process sent may still arrive, in
 * milliseconds. It is well below the 2 s lease, so a rerun by the survivor comes later.
 */
const KILL_DELIVERY_ALLOWANCE_MS = 500;

/** Arrival times in ms of the calls that the effect server received, by idempotency key. */
type CallLog = Map<string, number[]>;

/**
 * Starts a local "external API" that nodes call with their step's idempotency key. It responds
 * after 15 ms, so steps take a little time, and logs every call, so the test can tell which
 * steps executed more than once.
 */
async function startEffectServer(): Promise<{ url: string; calls: CallLog; total: () => number; close: () => Promise<void> }> {
  const calls: CallLog = new Map();
  let total = 0;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const { key } = JSON.parse(body) as { key: string };
      const seen = calls.get(key) ?? [];
      seen.push(Date.now());
      calls.set(key, seen);
      total += 1;
      setTimeout(() => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ calls: seen.length }));
      }, 15);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/effect`, calls, total: () => total, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Writes an extension whose node posts its idempotency key to the effect server. */
function writeEffectExtension(dir: string, port: number): void {
  writeIsolateExtension({
    id: 'acme.effects',
    dir,
    manifest: {
      name: 'Acme effects',
      permissions: [`http:fetch:127.0.0.1:${port}`],
      limits: { memoryLimitMb: 64, timeoutMs: 10_000 },
      contributes: {
        nodes: [
          { type: 'acme.effects.trigger', typeVersion: 1, name: 'Trigger', description: 'Starts a run.', category: 'Test', inputs: [], outputs: ['main'], executionClass: 'deterministic', control: 'trigger' },
          { type: 'acme.effects.call', typeVersion: 1, name: 'Call', description: 'Calls the effect server with the idempotency key.', category: 'Test', inputs: ['main'], outputs: ['main'], executionClass: 'opaque' },
        ],
      },
    },
    code: `export default {
  nodes: {
    'acme.effects.trigger': { execute(ctx, input) { return { items: input.items }; } },
    'acme.effects.call': {
      async execute(ctx, input) {
        const response = await ctx.host.http.fetch(input.parameters.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: input.run.idempotencyKey }) });
        if (response.status !== 200) throw new Error('effect server call failed with status ' + response.status);
        return { items: input.items.map((item) => ({ json: { ...item.json, steps: (item.json.steps || 0) + 1 } })) };
      },
    },
  },
};`,
  });
}

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
    const check = () => {
      const match = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the kernel exited with ${code} before it started:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

function kill(kernel: KernelProcess | null): void {
  if (kernel && kernel.child.exitCode === null) kernel.child.kill('SIGKILL');
}

/**
 * Fault test of the durable back end, which kills kernels with SIGKILL while runs are in flight.
 * Every run must complete after a restart (PGlite) or on the surviving process (PostgreSQL
 * server). No step whose result was journaled may execute again, but a step in flight at the
 * kill may run again with the same idempotency key.
 */
describe.each(databaseBackends)('durable runs survive kill -9 on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let effects: Awaited<ReturnType<typeof startEffectServer>>;
    let dataDir: string;
    let databaseUrl: string | null = null;
    const kernels: KernelProcess[] = [];
    let env: Record<string, string>;
    let apiKey: string;

    beforeAll(async () => {
      effects = await startEffectServer();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-crash-'));
      const extensions = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-crash-ext-'));
      writeEffectExtension(path.join(extensions, 'effects'), Number(new URL(effects.url).port));
      if (backend.name === 'postgres') databaseUrl = await createServerDatabase();
      env = {
        MIFY_DATA_DIR: dataDir,
        MIFY_EXTENSIONS_DIR: extensions,
        MIFY_ALLOW_PRIVATE_NETWORK: 'true',
        MIFY_ALLOW_UNSIGNED_EXTENSIONS: 'true',
        MIFY_LOG_LEVEL: 'warn',
        MIFY_RUN_POLL_MS: '100',
        MIFY_RUN_LEASE_MS: '2000',
        MIFY_RUN_INLINE_WAIT_MS: '500',
        MIFY_RATE_LIMIT_KEY_PER_MINUTE: '100000',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '' }),
        TEMPORAL_ADDRESS: '',
        MIFY_RUN_BACKEND: 'embedded',
      };
      cli(['setup', '--email', 'crash@example.com', '--password', 'crash-password-1', '--workspace', 'Crash'], env);
      apiKey = cli(['api-key', 'create', '--workspace', 'crash', '--name', 'crash'], env).trim().split('\n').pop()!.trim();
    }, 180_000);

    afterAll(async () => {
      for (const kernel of kernels) kill(kernel);
      await effects?.close();
      if (databaseUrl) await dropServerDatabase(databaseUrl).catch(() => {});
    });

    const api = async <T>(kernel: KernelProcess, pathname: string, init: { method?: string; json?: unknown } = {}): Promise<T> => {
      const response = await fetch(kernel.url + pathname, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${apiKey}`, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      });
      if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${pathname} failed with status ${response.status}: ${(await response.text()).slice(0, 300)}\n${kernel.output().slice(-2000)}`);
      return (await response.json()) as T;
    };

    /** Resolves once the kernel has loaded the extensions providing `types` (extensions load after the server listens). */
    const extensionsLoaded = async (kernel: KernelProcess, types = ['acme.effects.call', 'mify.human.review-gate', 'mify.control.wait']) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const contributions = JSON.stringify(await api<unknown>(kernel, '/api/extensions/contributions'));
        if (types.every((type) => contributions.includes(`"${type}"`))) return;
        if (Date.now() > deadline) throw new Error(`the extensions providing ${types.join(', ')} did not load:\n${kernel.output().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    it(`${RUNS} runs of ${STEPS} steps finish without journaled reruns`, async () => {
      const graph = {
        nodes: [
          { id: 't', type: 'acme.effects.trigger', typeVersion: 1, name: 'Start', position: { x: 0, y: 0 } },
          ...Array.from({ length: STEPS }, (_, index) => ({ id: `s${index}`, type: 'acme.effects.call', typeVersion: 1, name: `Step ${index}`, position: { x: index * 100, y: 0 }, parameters: { url: effects.url } })),
        ],
        edges: Array.from({ length: STEPS }, (_, index) => ({ from: { node: index === 0 ? 't' : `s${index - 1}`, port: 'main' }, to: { node: `s${index}`, port: 'main' } })),
      };

      const first = await startKernel(env);
      kernels.push(first);
      // With a database server, a second process shares the runs from the start and takes over those of the killed process.
      const second = databaseUrl ? await startKernel(env) : null;
      if (second) kernels.push(second);
      await extensionsLoaded(first);
      if (second) await extensionsLoaded(second);

      const runIds: string[] = [];
      for (let index = 0; index < RUNS; index++) {
        const target = second && index % 2 === 1 ? second : first;
        runIds.push((await api<{ id: string }>(target, '/api/runs', { method: 'POST', json: { graph, input: [{ json: { run: index } }] } })).id);
      }

      const killAfter = (RUNS * STEPS) / 3;
      const deadline = Date.now() + 60_000;
      while (effects.total() < killAfter && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      first.child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((resolve) => first.child.once('exit', resolve));
      const callsAtKill = effects.total();
      expect(callsAtKill).toBeGreaterThanOrEqual(killAfter);
      expect(callsAtKill).toBeLessThan(RUNS * STEPS);

      const survivor = second ?? (await startKernel(env));
      if (!second) kernels.push(survivor);

      const finishBy = Date.now() + 120_000;
      let runs: Array<{ id: string; status: string }> = [];
      for (;;) {
        runs = (await api<{ items: Array<{ id: string; status: string }> }>(survivor, '/api/runs?limit=200')).items.filter((run) => runIds.includes(run.id));
        if (runs.length === RUNS && runs.every((run) => ['succeeded', 'failed', 'cancelled'].includes(run.status))) break;
        if (Date.now() > finishBy) throw new Error(`runs did not finish after the kill: ${JSON.stringify(runs.filter((run) => run.status !== 'succeeded'))}\n${survivor.output().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(runs.map((run) => run.status)).toEqual(runIds.map(() => 'succeeded'));

      let resumedRuns = 0;
      let journaledBeforeKill = 0;
      for (const runId of runIds) {
        const history = await api<{ run: { output: { items: Array<{ json: { steps: number; run: number } }> } }; journal: Array<{ stepKey: string; createdAt: string }>; events: Array<{ type: string }> }>(survivor, `/api/temporal-time-travel/history/${runId}`);
        expect(history.run.output.items).toHaveLength(1);
        expect(history.run.output.items[0]!.json.steps).toBe(STEPS);
        if (history.events.some((event) => event.type === 'run.resumed')) resumedRuns += 1;

        for (let index = 0; index < STEPS; index++) {
          const key = `${runId}:s${index}:1`;
          const calls = effects.calls.get(key) ?? [];
          // Every step executed once or twice, and twice only when the step was in flight at the
          // kill: its second call is the rerun after the kill. The effect server notes a call when
          // the request has arrived, so a call that the killed process sent just before its end can
          // be noted a moment after the kill, hence the allowance on the first call.
          expect(calls.length, key).toBeGreaterThanOrEqual(1);
          expect(calls.length, key).toBeLessThanOrEqual(2);
          if (calls.length === 2) {
            expect(calls[0]!, key).toBeLessThanOrEqual(killedAt + KILL_DELIVERY_ALLOWANCE_MS);
            expect(calls[1]!, key).toBeGreaterThanOrEqual(killedAt);
          }
        }
        for (const entry of history.journal) {
          if (new Date(entry.createdAt).getTime() >= killedAt || entry.stepKey === 't:1') continue;
          journaledBeforeKill += 1;
          expect(effects.calls.get(`${runId}:${entry.stepKey}`), `journaled step ${entry.stepKey} of ${runId}`).toHaveLength(1);
        }
      }
      // The kill hit runs in the middle, so some runs resumed and some steps had been journaled before it.
      expect(resumedRuns).toBeGreaterThan(0);
      expect(journaledBeforeKill).toBeGreaterThan(0);
      const duplicates = [...effects.calls.values()].filter((calls) => calls.length > 1).length;
      expect(duplicates).toBeLessThanOrEqual(RUNS);
    }, 300_000);

    it('waits survive kill -9 without reruns', async () => {
      for (const kernel of kernels.splice(0)) {
        kill(kernel);
        if (kernel.child.exitCode === null && kernel.child.signalCode === null) await new Promise((resolve) => kernel.child.once('exit', resolve));
      }
      const before = await startKernel(env);
      kernels.push(before);
      await extensionsLoaded(before);

      const effect = (id: string, x: number) => ({ id, type: 'acme.effects.call', typeVersion: 1, name: id, position: { x, y: 0 }, parameters: { url: effects.url } });
      const link = (from: string, to: string, port = 'main') => ({ from: { node: from, port }, to: { node: to, port: 'main' } });
      const trigger = { id: 't', type: 'acme.effects.trigger', typeVersion: 1, name: 'Start', position: { x: 0, y: 0 } };
      const reviewed = { nodes: [trigger, effect('before', 100), { id: 'gate', type: 'mify.human.review-gate', typeVersion: 1, name: 'Gate', position: { x: 200, y: 0 } }, effect('after', 300)], edges: [link('t', 'before'), link('before', 'gate'), link('gate', 'after', 'approved')] };
      const timed = { nodes: [trigger, effect('before', 100), { id: 'nap', type: 'mify.control.wait', typeVersion: 1, name: 'Nap', position: { x: 200, y: 0 }, parameters: { amount: 4, unit: 'seconds' } }, effect('after', 300)], edges: [link('t', 'before'), link('before', 'nap'), link('nap', 'after')] };
      const reviewRun = (await api<{ id: string }>(before, '/api/runs', { method: 'POST', json: { graph: reviewed, input: [{ json: { order: 1 } }] } })).id;
      const timerRun = (await api<{ id: string }>(before, '/api/runs', { method: 'POST', json: { graph: timed, input: [{ json: { order: 2 } }] } })).id;

      const parkedBy = Date.now() + 30_000;
      while ((await Promise.all([reviewRun, timerRun].map((id) => api<{ status: string }>(before, `/api/runs/${id}`)))).some((run) => run.status !== 'waiting')) {
        if (Date.now() > parkedBy) throw new Error('the runs did not park at their waits');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      before.child.kill('SIGKILL');
      await new Promise((resolve) => before.child.once('exit', resolve));

      const after = await startKernel(env);
      kernels.push(after);
      await extensionsLoaded(after);
      const [wait] = (await api<{ items: Array<{ id: string }> }>(after, `/api/waits?status=pending&runId=${reviewRun}`)).items;
      await api(after, `/api/waits/${wait!.id}/decision`, { method: 'POST', json: { decision: 'approve', comment: 'after the restart' } });

      const doneBy = Date.now() + 60_000;
      let runs: Array<{ id: string; status: string; output: { items: Array<{ json: Record<string, unknown> }> } | null }> = [];
      for (;;) {
        runs = await Promise.all([reviewRun, timerRun].map((id) => api<(typeof runs)[number]>(after, `/api/runs/${id}`)));
        if (runs.every((run) => ['succeeded', 'failed', 'cancelled'].includes(run.status))) break;
        if (Date.now() > doneBy) throw new Error(`the waiting runs did not finish after the restart: ${JSON.stringify(runs.map((run) => run.status))}\n${after.output().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
      expect(runs[0]!.output!.items[0]!.json).toMatchObject({ order: 1, steps: 2, review: { outcome: 'approved', comment: 'after the restart' } });
      expect(runs[1]!.output!.items[0]!.json).toMatchObject({ order: 2, steps: 2 });
      // The steps before each wait ran once, before the kill, so the runs continued instead of starting over.
      for (const runId of [reviewRun, timerRun]) {
        expect(effects.calls.get(`${runId}:before:1`), runId).toHaveLength(1);
        expect(effects.calls.get(`${runId}:after:1`), runId).toHaveLength(1);
      }
    }, 180_000);
  });
});
