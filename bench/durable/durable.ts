/**
 * Cost of durability per step: the same graph, run end to end through the run service on each
 * run back end in one process run.
 *
 *   cd kernel && node --no-node-snapshot --import tsx ../bench/durable/durable.ts
 *
 * Back ends: `memory` (no journal, no durability) and `embedded`, both on PGlite (the default
 * database). When DATABASE_URL is set, both also run on that PostgreSQL server. When
 * TEMPORAL_ADDRESS is set, `temporal` runs on PGlite too. The graph is a trigger and 20
 * pass-through nodes in the real isolate sandbox. Each back end gets warm-up runs, then
 * sequential runs, then runs 10 at a time (steps per second). Per-step latency is run wall
 * time / 21 steps, and the table gives its median and p99 over the sequential runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../kernel/src/config.js';
import { createKernel, type Kernel } from '../../kernel/src/kernel.js';
import { createLogger } from '../../kernel/src/logger.js';
import { ACME_TEST, executable, testEdge, testGraph, testNode } from '../../kernel/src/runtime/testing/acme-extension.js';
import { writeIsolateExtension } from '../../kernel/src/test-support/extensions.js';

const STEPS = 21;
const WARMUP = Number(process.env.BENCH_WARMUP_RUNS ?? 20);
const SEQUENTIAL = Number(process.env.BENCH_RUNS ?? 200);
const CONCURRENT_TOTAL = Number(process.env.BENCH_CONCURRENT_RUNS ?? 200);
const CONCURRENCY = 10;

interface Row {
  backend: string;
  medianStepMs: number;
  p99StepMs: number;
  sequentialStepsPerS: number;
  concurrentStepsPerS: number;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Creates a user and a workspace for the runs and returns the workspace id. */
async function setupWorkspace(kernel: Kernel): Promise<string> {
  const user = await kernel.services.userService.createUser({ email: `bench-${Date.now()}@example.com`, password: 'bench-password-1' });
  return (await kernel.services.userService.createWorkspace({ name: `Bench ${process.pid} ${Date.now()}`, ownerId: user.id })).id;
}

const graph = testGraph({
  nodes: [testNode('n0', 'trigger'), ...Array.from({ length: STEPS - 1 }, (_, index) => testNode(`n${index + 1}`, 'pass'))],
  edges: Array.from({ length: STEPS - 1 }, (_, index) => testEdge(`n${index}`, `n${index + 1}`)),
});

async function measure(label: string, env: Record<string, string>): Promise<Row> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-bench-durable-'));
  const extensions = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-bench-durable-ext-'));
  writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest, dir: path.join(extensions, 'acme-test') });
  const config = loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_EXTENSIONS_DIR: extensions, MIFY_LOG_LEVEL: 'silent', MIFY_RUN_MAX_CONCURRENT_PER_WORKSPACE: '100', ...env });
  let kernel: Kernel | null = null;
  try {
    kernel = await createKernel({ config, logger: createLogger({ level: 'silent' }) });
    const workspaceId = await setupWorkspace(kernel);
    const runs = kernel.services.runService;
    const runOnce = async () => {
      const run = await runs.start({ workspaceId, graph: executable(workspaceId, graph), input: [{ json: { n: 1 } }], mode: 'api', createdBy: null, waitForCompletion: true });
      if (run.status !== 'succeeded') throw new Error(`${label}: a run ended with status ${run.status} instead of succeeded: ${JSON.stringify(run.error)}`);
    };

    for (let index = 0; index < WARMUP; index++) await runOnce();
    const perStepMs: number[] = [];
    const sequentialStarted = performance.now();
    for (let index = 0; index < SEQUENTIAL; index++) {
      const started = performance.now();
      await runOnce();
      perStepMs.push((performance.now() - started) / STEPS);
    }
    const sequentialMs = performance.now() - sequentialStarted;

    const concurrentStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CONCURRENT_TOTAL) {
          next += 1;
          await runOnce();
        }
      }),
    );
    const concurrentMs = performance.now() - concurrentStarted;

    return {
      backend: label,
      medianStepMs: percentile(perStepMs, 0.5),
      p99StepMs: percentile(perStepMs, 0.99),
      sequentialStepsPerS: (SEQUENTIAL * STEPS) / (sequentialMs / 1000),
      concurrentStepsPerS: (CONCURRENT_TOTAL * STEPS) / (concurrentMs / 1000),
    };
  } finally {
    await kernel?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(extensions, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
rows.push(await measure('memory (no durability), PGlite', { MIFY_RUN_BACKEND: 'memory' }));
rows.push(await measure('embedded, PGlite', { MIFY_RUN_BACKEND: 'embedded' }));
if (process.env.DATABASE_URL) {
  rows.push(await measure('memory (no durability), PostgreSQL server', { MIFY_RUN_BACKEND: 'memory', DATABASE_URL: process.env.DATABASE_URL }));
  rows.push(await measure('embedded, PostgreSQL server', { MIFY_RUN_BACKEND: 'embedded', DATABASE_URL: process.env.DATABASE_URL }));
}
if (process.env.TEMPORAL_ADDRESS) {
  rows.push(await measure('temporal, PGlite', { MIFY_RUN_BACKEND: 'temporal', TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS }));
} else {
  console.log('temporal: skipped, TEMPORAL_ADDRESS is not set (start a server with scripts/services/temporal.sh start)');
}

const format = (value: number, digits = 2) => value.toFixed(digits);
console.log(`\n${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${STEPS} steps per run, ${SEQUENTIAL} sequential runs, ${CONCURRENT_TOTAL} runs ${CONCURRENCY} at a time\n`);
console.log('| back end | step latency, median | step latency, p99 | steps/s, one run at a time | steps/s, 10 runs at a time |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.backend} | ${format(row.medianStepMs)} ms | ${format(row.p99StepMs)} ms | ${format(row.sequentialStepsPerS, 0)} | ${format(row.concurrentStepsPerS, 0)} |`);
fs.mkdirSync(path.resolve(import.meta.dirname, '../results'), { recursive: true });
fs.writeFileSync(path.resolve(import.meta.dirname, '../results/durable.json'), JSON.stringify({ date: new Date().toISOString(), steps: STEPS, sequential: SEQUENTIAL, concurrent: CONCURRENT_TOTAL, rows }, null, 2));
