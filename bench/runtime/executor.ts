/**
 * Overhead of the graph executor per node, outside the node call, and runs per second of a
 * small graph through the real isolate runner.
 *
 * Run from the repository root (tsx is a dev dependency of the kernel; isolated-vm needs
 * --no-node-snapshot on Node 20):
 *   cd kernel && node --no-node-snapshot --import tsx ../bench/runtime/executor.ts
 *
 * Overhead rows run a chain of 100 pass-through nodes. The runner is in-process and
 * instrumented: it returns its input items, either as the same array or as a copy made the
 * way a sandbox boundary makes one, and sums the time spent inside `execute`. Overhead per
 * node = (run time − time inside `execute`) / 100.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../kernel/src/config.js';
import { createKernel, type Kernel } from '../../kernel/src/kernel.js';
import { createLogger } from '../../kernel/src/logger.js';
import { decodeDispatchResult } from '../../kernel/src/extensions/runtime/isolate/envelope.js';
import { Envelope } from '../../kernel/src/extensions/runtime/isolate/sandbox-source.js';
import { NodeTypeTable } from '../../kernel/src/graphs/node-types.js';
import type { Item, MifyGraph } from '../../kernel/src/graphs/model.js';
import { directJournal, noWaits, type RunContext, type StepRecord, type StepRecorder } from '../../kernel/src/runtime/executor/context.js';
import { GraphExecutor } from '../../kernel/src/runtime/executor/executor.js';
import { ExtensionNodeRunner } from '../../kernel/src/runtime/extension-node-runner.js';
import { RunService } from '../../kernel/src/runtime/run-service.js';
import { ACME_TEST, executable, testEdge, testGraph, testNode } from '../../kernel/src/runtime/testing/acme-extension.js';
import type { NodeRunner, NodeRunRequest, NodeRunResult, NodeTypeInfo } from '../../kernel/src/runtime/types.js';
import { openDatabase } from '../../kernel/src/storage/database.js';
import { writeIsolateExtension } from '../../kernel/src/test-support/extensions.js';

const CHAIN_LENGTH = 100;
/** `BENCH_EXECUTOR_ONLY=1` runs only the executor-only rows, which take about a minute, and skips the run service rows and the throughput runs. */
const EXECUTOR_ONLY = process.env.BENCH_EXECUTOR_ONLY === '1';
/** Runs per overhead row: warm-up runs, then measured runs, for 1 and 1,000 items. */
const OVERHEAD_RUNS = { 1: { warmup: 50, measured: 200 }, 1_000: { warmup: 10, measured: 50 } } as const;
/** Sequential runs of the 3-node graph, after warm-up runs; and concurrent runs in flight for the batch row. */
const THROUGHPUT = { warmup: 50, measured: 500, concurrency: 10 };

const logger = createLogger({ level: 'silent' });
const LIMITS = { maxItemsPerStep: 100_000, maxStepInputBytes: 256 * 1024 * 1024, maxSubworkflowDepth: 10 };

const passType: NodeTypeInfo = { type: 'acme.test.pass', typeVersion: 1, extensionId: 'acme.test', inputs: ['main'], outputs: ['main'], executionClass: 'deterministic', control: null, parameters: { type: 'object' } };
const triggerType: NodeTypeInfo = { ...passType, type: 'acme.test.trigger', inputs: [], control: 'trigger' };
const types = new NodeTypeTable([passType, triggerType]);

/**
 * Output mode of the pass-through runner. `passed` returns the same array, as a node that
 * passes its input on in the kernel would. `copied` runs the kernel's `ExtensionNodeRunner`
 * against a sandbox stand-in that serialises `{ items }` to JSON and hands it back through
 * the isolate runtime's own decoding (`decodeDispatchResult`). So the output is new arrays
 * and objects, as every sandboxed node's output is after it crosses the isolate or WASM
 * boundary. The runner does its real work on it: it normalises the ports, records the
 * output's JSON length as the size of its items and, in audited runs, hands the executor the
 * items' text. The rows marked "real isolate sandbox" run the nodes in a kernel's isolate
 * sandbox instead, where the serialisation runs on the isolate's thread and in its heap.
 */
type RunnerOutput = 'passed' | 'copied';

/** Sandbox stand-in: what the isolate runtime returns for a node that returns its input items. */
const sandboxStandIn = {
  invoke: async (_extensionId: string, request: { input?: unknown }) => {
    const output = JSON.stringify({ items: (request.input as { items: Item[] }).items });
    const decoded = decodeDispatchResult(Envelope.result + output, 'mify-extension:///acme.test', Number.MAX_SAFE_INTEGER);
    if (!decoded.ok) throw new Error(decoded.failure.detail);
    return decoded.value;
  },
};

/** Pass-through runner that sums the nanoseconds spent inside `execute`, the copy included. */
class InstrumentedRunner implements NodeRunner {
  insideNs = 0n;

  /** `sandboxed` runs the nodes in the `copied` mode: the stand-in, or a kernel's isolate runner. */
  constructor(
    private readonly output: RunnerOutput = 'passed',
    private readonly sandboxed: NodeRunner = new ExtensionNodeRunner(sandboxStandIn),
  ) {}

  async execute(request: NodeRunRequest): Promise<NodeRunResult> {
    const startedAt = process.hrtime.bigint();
    const result = this.output === 'copied' ? await this.sandboxed.execute(request) : { ports: { main: request.input.items } };
    this.insideNs += process.hrtime.bigint() - startedAt;
    return result;
  }
}

/** An isolate extension whose nodes return their input items unchanged, for the rows that run the real sandbox. */
const BENCH_PASS = {
  id: 'bench.pass',
  manifest: {
    name: 'Bench pass-through nodes',
    limits: { memoryLimitMb: 128, timeoutMs: 5_000 },
    contributes: {
      nodes: ['trigger', 'pass'].map((name) => ({
        type: `bench.pass.${name}`,
        typeVersion: 1,
        name,
        description: `Returns its input items (${name}).`,
        category: 'Bench',
        inputs: name === 'trigger' ? [] : ['main'],
        outputs: ['main'],
        parameters: { type: 'object', properties: {} },
        executionClass: 'deterministic',
        ...(name === 'trigger' ? { control: 'trigger' } : {}),
      })),
    },
  },
  code: `export default { nodes: { 'bench.pass.trigger': { execute(ctx, input) { return { items: input.items }; } }, 'bench.pass.pass': { execute(ctx, input) { return { items: input.items }; } } } };`,
};
const benchTypes = new NodeTypeTable([
  { ...passType, type: 'bench.pass.pass', extensionId: BENCH_PASS.id },
  { ...triggerType, type: 'bench.pass.trigger', extensionId: BENCH_PASS.id },
]);

/** Creates a kernel on PGlite in memory with `bench.pass` installed in its isolate sandbox. */
async function isolateKernel(): Promise<{ kernel: Kernel; close: () => Promise<void> }> {
  const db = await openDatabase({ dataDir: 'memory://', pgliteThread: loadConfig(process.env).pgliteThread });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-bench-'));
  const kernel = await createKernel({ config: loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent' }), logger, overrides: { db } });
  await kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: BENCH_PASS.id, code: BENCH_PASS.code, manifest: BENCH_PASS.manifest }) });
  return {
    kernel,
    close: async () => {
      await kernel.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Keeps no records; isolates the executor's own work. */
const discardingRecorder: StepRecorder = {
  stepStarted: async (_record: StepRecord) => {},
  stepLinked: async (_record: StepRecord) => {},
  stepFinished: async (_record: StepRecord) => {},
};

function chainGraph(extensionId = 'acme.test'): MifyGraph {
  const node = (id: string, type: string) => ({ ...testNode(id, type), type: `${extensionId}.${type}` });
  const nodes = [node('n0', 'trigger'), ...Array.from({ length: CHAIN_LENGTH - 1 }, (_, index) => node(`n${index + 1}`, 'pass'))];
  const edges = nodes.slice(1).map((_, index) => testEdge(`n${index}`, `n${index + 1}`));
  return testGraph({ nodes, edges });
}

function itemsOf(count: number): Item[] {
  return Array.from({ length: count }, (_, index) => ({ json: { index, name: `item ${index}`, tags: ['a', 'b'] } }));
}

/** Medians over the measured runs, per node: wall time outside `execute`, and CPU time of the whole process. */
interface Overhead {
  overheadUs: number;
  /** Process CPU time (user + system, all threads) per node, the runner's work included. Other load affects it less than wall time. */
  cpuUs: number;
}

/** Collects per-run samples of both measures. */
class OverheadSamples {
  private readonly wall: number[] = [];
  private readonly cpu: number[] = [];

  add(totalNs: bigint, insideNs: bigint, cpu: NodeJS.CpuUsage): void {
    this.wall.push(Number(totalNs - insideNs) / 1_000 / CHAIN_LENGTH);
    this.cpu.push((cpu.user + cpu.system) / CHAIN_LENGTH);
  }

  medians(): Overhead {
    return { overheadUs: median(this.wall), cpuUs: median(this.cpu) };
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Overhead per node of the executor alone: no database, records discarded. Only audited runs
 * hash step inputs. With `isolate`, the `copied` nodes run in the real isolate sandbox of a
 * kernel, as `bench.pass` nodes that return their input items.
 */
async function executorOverhead(itemCount: 1 | 1_000, rigor: 'audited' | 'experimental', output: RunnerOutput, isolate?: Kernel): Promise<Overhead> {
  const runner = isolate ? new InstrumentedRunner(output, new ExtensionNodeRunner(isolate.services.extensionHost)) : new InstrumentedRunner(output);
  const executor = new GraphExecutor({ resolver: isolate ? benchTypes : types, runner, evaluator: null, subworkflows: null, limits: LIMITS, logger });
  const graph = chainGraph(isolate ? BENCH_PASS.id : undefined);
  graph.settings.rigor = rigor;
  const plan = executor.plan(graph);
  const input = itemsOf(itemCount);
  const settings = OVERHEAD_RUNS[itemCount];

  const samples = new OverheadSamples();
  for (let index = 0; index < settings.warmup + settings.measured; index++) {
    const context: RunContext = {
      runId: `run_${index}`,
      workspaceId: 'ws_bench',
      graph: executable('ws_bench', graph),
      plan,
      input,
      signal: new AbortController().signal,
      startedAt: new Date(),
      settings: graph.settings,
      depth: 0,
      chain: ['bench'],
      recorder: discardingRecorder,
      journal: directJournal,
      waits: noWaits,
    };
    runner.insideNs = 0n;
    const cpuBefore = process.cpuUsage();
    const startedAt = process.hrtime.bigint();
    const outcome = await executor.execute(context);
    const totalNs = process.hrtime.bigint() - startedAt;
    const cpu = process.cpuUsage(cpuBefore);
    if (outcome.status !== 'succeeded') throw new Error(`bench run failed: ${outcome.error?.message}`);
    if (index >= settings.warmup) samples.add(totalNs, runner.insideNs, cpu);
  }
  return samples.medians();
}

/** Overhead per node of a whole run through the run service: records, events and the run journal written to embedded PostgreSQL (PGlite in memory). */
async function recordedOverhead(itemCount: 1 | 1_000, rigor: 'audited' | 'experimental'): Promise<Overhead> {
  const db = await openDatabase({ dataDir: 'memory://', pgliteThread: loadConfig(process.env).pgliteThread });
  const kernel = await createKernel({ config: loadConfig({ MIFY_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'mify-bench-')), MIFY_LOG_LEVEL: 'silent' }), logger, overrides: { db }, loadExtensions: false });
  const runner = new InstrumentedRunner();
  const service = await RunService.create({
    db,
    sharedState: kernel.services.sharedState,
    logger,
    nodeTypes: () => types,
    runner,
    evaluator: () => null,
    subgraphLoader: () => null,
    limits: { ...LIMITS, maxConcurrentPerWorkspace: 20, maxRecordBytes: 16 * 1024 * 1024 },
  });
  const workspaceId = await createWorkspace(kernel);
  const graph = chainGraph();
  graph.settings.rigor = rigor;
  const input = itemsOf(itemCount);
  const settings = itemCount === 1 ? { warmup: 10, measured: 40 } : { warmup: 3, measured: 10 };

  const samples = new OverheadSamples();
  try {
    for (let index = 0; index < settings.warmup + settings.measured; index++) {
      runner.insideNs = 0n;
      const cpuBefore = process.cpuUsage();
      const startedAt = process.hrtime.bigint();
      const run = await service.start({ workspaceId, graph: executable(workspaceId, graph), input, mode: 'api', createdBy: null, waitForCompletion: true });
      const totalNs = process.hrtime.bigint() - startedAt;
      const cpu = process.cpuUsage(cpuBefore);
      if (run.status !== 'succeeded') throw new Error(`bench run ${run.id} ended ${run.status}`);
      if (index >= settings.warmup) samples.add(totalNs, runner.insideNs, cpu);
    }
  } finally {
    await service.dispose();
    await kernel.close();
    await db.close();
  }
  return samples.medians();
}

async function createWorkspace(kernel: Kernel): Promise<string> {
  const user = await kernel.services.userService.createUser({ email: `bench-${Date.now()}@example.com`, password: 'bench-password-1' });
  return (await kernel.services.userService.createWorkspace({ name: 'Bench', ownerId: user.id })).id;
}

/** Runs per second of trigger → pass → pass with the real isolate runner and the real run service on PGlite in memory. */
async function isolateThroughput(): Promise<{ sequential: number; concurrent: number; medianRunMs: number }> {
  const db = await openDatabase({ dataDir: 'memory://', pgliteThread: loadConfig(process.env).pgliteThread });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-bench-'));
  const kernel = await createKernel({ config: loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent' }), logger, overrides: { db } });
  try {
    await kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    const workspaceId = await createWorkspace(kernel);
    const graph = testGraph({ nodes: [testNode('t', 'trigger'), testNode('a', 'pass'), testNode('b', 'pass')], edges: [testEdge('t', 'a'), testEdge('a', 'b')], settings: { rigor: 'experimental' } });
    const runOnce = async () => {
      const run = await kernel.services.runService.start({ workspaceId, graph: executable(workspaceId, graph), input: [{ json: { n: 1 } }], mode: 'api', createdBy: null, waitForCompletion: true });
      if (run.status !== 'succeeded') throw new Error(`bench run ${run.id} ended ${run.status}`);
    };

    for (let index = 0; index < THROUGHPUT.warmup; index++) await runOnce();
    const durationsMs: number[] = [];
    const sequentialStart = performance.now();
    for (let index = 0; index < THROUGHPUT.measured; index++) {
      const startedAt = performance.now();
      await runOnce();
      durationsMs.push(performance.now() - startedAt);
    }
    const sequential = THROUGHPUT.measured / ((performance.now() - sequentialStart) / 1_000);

    const concurrentStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: THROUGHPUT.concurrency }, async () => {
        while (next < THROUGHPUT.measured) {
          next++;
          await runOnce();
        }
      }),
    );
    const concurrent = THROUGHPUT.measured / ((performance.now() - concurrentStart) / 1_000);
    return { sequential, concurrent, medianRunMs: median(durationsMs) };
  } finally {
    await kernel.close();
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown model'})`);
  console.log(`chain of ${CHAIN_LENGTH} pass-through nodes; overhead = (run time - time inside NodeRunner.execute) / ${CHAIN_LENGTH}; process CPU = CPU time of the run / ${CHAIN_LENGTH}, runner included; medians of the measured runs\n`);

  const rows: Array<[string, Overhead, Overhead]> = [];
  for (const rigor of ['experimental', 'audited'] as const) {
    for (const output of ['passed', 'copied'] as const) {
      const name = `executor only, records discarded, ${rigor} rigor, output ${output === 'passed' ? 'array passed on' : 'copied as by a sandbox'}`;
      rows.push([name, await executorOverhead(1, rigor, output), await executorOverhead(1_000, rigor, output)]);
    }
  }
  const sandbox = await isolateKernel();
  try {
    for (const rigor of ['experimental', 'audited'] as const) {
      rows.push([`executor only, records discarded, ${rigor} rigor, nodes in the real isolate sandbox`, await executorOverhead(1, rigor, 'copied', sandbox.kernel), await executorOverhead(1_000, rigor, 'copied', sandbox.kernel)]);
    }
  } finally {
    await sandbox.close();
  }
  if (!EXECUTOR_ONLY) rows.push(['run service, PGlite records, experimental rigor', await recordedOverhead(1, 'experimental'), await recordedOverhead(1_000, 'experimental')]);
  if (!EXECUTOR_ONLY) rows.push(['run service, PGlite records, audited rigor', await recordedOverhead(1, 'audited'), await recordedOverhead(1_000, 'audited')]);

  console.log('| case | µs per node, 1 item | µs per node, 1,000 items | process CPU µs per node, 1 item | process CPU µs per node, 1,000 items |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, one, thousand] of rows) {
    console.log(`| ${name} | ${one.overheadUs.toFixed(1)} | ${thousand.overheadUs.toFixed(1)} | ${one.cpuUs.toFixed(1)} | ${thousand.cpuUs.toFixed(1)} |`);
  }

  if (EXECUTOR_ONLY) return;
  const throughput = await isolateThroughput();
  console.log(`\n3-node graph (trigger -> pass -> pass), real isolate runner, run service on PGlite in memory, experimental rigor, ${THROUGHPUT.measured} runs:`);
  console.log(`sequential: ${throughput.sequential.toFixed(1)} runs/s (median run ${throughput.medianRunMs.toFixed(2)} ms)`);
  console.log(`${THROUGHPUT.concurrency} in flight: ${throughput.concurrent.toFixed(1)} runs/s`);
}

await main();
