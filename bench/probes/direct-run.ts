/**
 * Time and CPU of one direct run (RunService.runDirect, records not saved) of trigger → pass →
 * pass through the real isolate runner, one run at a time; with PROBE_GRAPH=endpoint, of the
 * bench/endpoints graph (webhook → edit fields → respond to webhook) instead. With --cpu-prof it
 * shows where a run's time goes outside the database. PROBE_CONCURRENCY runs that many at a
 * time (default 1), as an endpoint under load does.
 *
 *   cd kernel && node --no-node-snapshot --import tsx ../bench/probes/direct-run.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../kernel/src/config.js';
import { mifyGraphSchema, type MifyGraph } from '../../kernel/src/graphs/model.js';
import { createKernel } from '../../kernel/src/kernel.js';
import { createLogger } from '../../kernel/src/logger.js';
import { ACME_TEST, executable, testEdge, testGraph, testNode } from '../../kernel/src/runtime/testing/acme-extension.js';
import { openDatabase } from '../../kernel/src/storage/database.js';
import { writeIsolateExtension } from '../../kernel/src/test-support/extensions.js';

/** Builds the bench/endpoints graph, which uses the bundled io and data extensions. */
function endpointGraph(rigor: 'audited' | 'experimental'): MifyGraph {
  return mifyGraphSchema.parse({
    nodes: [
      { id: 'hook', name: 'Webhook', type: 'mify.io.webhook', typeVersion: 1, parameters: { path: 'greet', methods: ['POST'], responseMode: 'responseNode' }, position: { x: 0, y: 0 } },
      { id: 'shape', name: 'Shape', type: 'mify.data.edit-fields', typeVersion: 1, parameters: { operations: [{ op: 'set', path: 'greeting', value: 'Hello, {{ $json.body.name }}!' }, { op: 'keepOnly', paths: ['greeting'] }] }, position: { x: 200, y: 0 } },
      { id: 'respond', name: 'Respond', type: 'mify.io.respond-to-webhook', typeVersion: 1, parameters: { body: 'firstItemJson' }, position: { x: 400, y: 0 } },
    ],
    edges: [
      { from: { node: 'hook' }, to: { node: 'shape' } },
      { from: { node: 'shape' }, to: { node: 'respond' } },
    ],
    settings: { rigor },
  });
}

const RUNS = Number(process.env.PROBE_RUNS ?? 3_000);

/** CPU time of each thread of this process so far, in clock ticks (1/100 s), by thread id, with the thread's name. */
function threadTimes(): Map<string, { name: string; ticks: number }> {
  const times = new Map<string, { name: string; ticks: number }>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}
/** Runs in flight at once (PROBE_CONCURRENCY, default 1). */
const CONCURRENCY = Math.max(1, Number(process.env.PROBE_CONCURRENCY ?? 1));
const logger = createLogger({ level: 'silent' });
const db = await openDatabase({ dataDir: 'memory://' });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-probe-'));
const kernel = await createKernel({ config: loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent' }), logger, overrides: { db } });
try {
  await kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
  const user = await kernel.services.userService.createUser({ email: 'probe@example.com', password: 'probe-password-1' });
  const workspaceId = (await kernel.services.userService.createWorkspace({ name: 'Probe', ownerId: user.id })).id;
  const rigor = (process.env.PROBE_RIGOR ?? 'audited') as 'audited' | 'experimental';
  const graph = process.env.PROBE_GRAPH === 'endpoint' ? executable(workspaceId, endpointGraph(rigor)) : executable(workspaceId, testGraph({ nodes: [testNode('t', 'trigger'), testNode('a', 'pass'), testNode('b', 'pass')], edges: [testEdge('t', 'a'), testEdge('a', 'b')], settings: { rigor } }));
  const runOnce = async () => {
    const { run } = await kernel.services.runService.runDirect({ workspaceId, graph, input: [{ json: { method: 'POST', path: 'greet', headers: { 'content-type': 'application/json' }, query: {}, body: { name: 'Ada' }, receivedAt: new Date().toISOString() } }], mode: 'api', createdBy: null, saving: 'none' });
    if (run.status !== 'succeeded') throw new Error(`probe run ${run.id} ended ${run.status}: ${JSON.stringify(run.error)}`);
  };
  for (let index = 0; index < 200; index++) await runOnce();
  const threadsBefore = threadTimes();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  let started = 0;
  const worker = async () => {
    while (started < RUNS) {
      started++;
      await runOnce();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const threadsAfter = threadTimes();
  console.log(`${RUNS} direct runs of the ${process.env.PROBE_GRAPH === 'endpoint' ? 'endpoint' : 'pass-through'} graph (${rigor}), ${CONCURRENCY} at a time: ${((elapsedMs * 1000) / RUNS).toFixed(0)} µs per run, process CPU ${((cpu.user + cpu.system) / RUNS).toFixed(0)} µs per run`);
  const byName = new Map<string, number>();
  for (const [tid, { name, ticks }] of threadsAfter) {
    // The main thread's id is the process id; the others are all named after the executable.
    const label = tid === String(process.pid) ? 'main thread' : `${name} (other threads)`;
    byName.set(label, (byName.get(label) ?? 0) + ticks - (threadsBefore.get(tid)?.ticks ?? 0));
  }
  const perRun = [...byName].filter(([, ticks]) => ticks > 0).sort((a, b) => b[1] - a[1]).map(([name, ticks]) => `${name} ${Math.round((ticks * 10_000) / RUNS)}`);
  console.log(`CPU per run by thread name, µs (from /proc, 10 ms ticks): ${perRun.join(', ')}`);
  if (process.env.PROBE_THREADS) {
    const busiest = [...threadsAfter].map(([tid, { ticks }]) => [tid, ticks - (threadsBefore.get(tid)?.ticks ?? 0)] as const).filter(([, ticks]) => ticks > 0).sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`busiest threads (id: µs per run): ${busiest.map(([tid, ticks]) => `${tid}: ${Math.round((ticks * 10_000) / RUNS)}`).join(', ')}; new threads: ${[...threadsAfter.keys()].filter((tid) => !threadsBefore.has(tid)).length}`);
  }
} finally {
  await kernel.close();
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
