/**
 * Per-call overhead and cold start of the kernel's isolate runtime (isolated-vm 5.0.4),
 * beside a direct function call and a bare isolated-vm `apply` without the runtime.
 *
 * Run from the repository root (tsx is a dev dependency of the kernel; isolated-vm needs
 * --no-node-snapshot on Node 20):
 *   cd kernel && node --no-node-snapshot --import tsx ../bench/sandbox/isolate.ts
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

import type { HostBridge } from '../../kernel/src/extensions/runtime/types.js';
import { createIsolateRuntime, type IsolateRuntime, KERNEL_THREAD_SLICE_MS } from '../../kernel/src/extensions/runtime/isolate/index.js';
import { createLogger } from '../../kernel/src/logger.js';

const WARMUP_CALLS = 2_000;
const MEASURED_CALLS = 20_000;
const COLD_STARTS = 10;

/** The parts of isolated-vm 5.0.4 this benchmark calls directly (the package is a kernel dependency). */
interface IvmReference {
  apply(receiver: undefined, args: unknown[], options: object): Promise<unknown>;
}
interface IvmModule {
  Isolate: new (options: { memoryLimit: number }) => {
    createContext(): Promise<{ eval(code: string, options: object): Promise<unknown> }>;
    dispose(): void;
  };
}
const ivm = createRequire(new URL('../../kernel/package.json', import.meta.url))('isolated-vm') as IvmModule;

const logger = createLogger({ level: 'silent' });
const LIMITS = { memoryLimitMb: 64, timeoutMs: 1_000 };
const INPUT = { value: 1 };

const BUNDLE = `export default {
  nodes: {
    noop: { execute(ctx, input) { return null; } },
    echo: { async execute(ctx, input) { return await ctx.host.call('echo', [input]); } },
  },
};
`;

const echoBridge: HostBridge = { call: async (_method, args) => args[0] };

interface Summary {
  name: string;
  medianUs: number;
  p99Us: number;
}

function summarize(name: string, samplesNs: number[]): Summary {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const at = (fraction: number) => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0) / 1_000;
  return { name, medianUs: at(0.5), p99Us: at(0.99) };
}

/** Runs `call` WARMUP_CALLS times, then MEASURED_CALLS times one after another, timing each. */
async function measure(name: string, call: () => Promise<unknown>, measuredCalls = MEASURED_CALLS): Promise<Summary> {
  for (let index = 0; index < WARMUP_CALLS; index++) await call();

  const samples: number[] = new Array(measuredCalls);
  for (let index = 0; index < measuredCalls; index++) {
    const startedAt = process.hrtime.bigint();
    await call();
    samples[index] = Number(process.hrtime.bigint() - startedAt);
  }
  return summarize(name, samples);
}

async function measureDirect(): Promise<Summary> {
  const extension = { nodes: { noop: { execute: async (_ctx: unknown, _input: unknown) => null } } };
  const ctx = {};
  // Same JSON round trip of input and output as the runtime does, without the isolate.
  return measure('direct async function (JSON round trip of input and output)', async () => {
    const input: unknown = JSON.parse(JSON.stringify(INPUT));
    return JSON.parse(JSON.stringify(await extension.nodes.noop.execute(ctx, input)) ?? 'null');
  });
}

async function measureBareApply(): Promise<Summary> {
  const isolate = new ivm.Isolate({ memoryLimit: LIMITS.memoryLimitMb });
  const context = await isolate.createContext();
  const noop = (await context.eval('(async function (kind, name, input) { JSON.parse(input); return "R" + JSON.stringify(null); })', {
    reference: true,
  })) as IvmReference;
  try {
    return await measure('isolated-vm `apply` of an async no-op, no runtime', () =>
      noop.apply(undefined, ['node', 'noop', JSON.stringify(INPUT)], { timeout: LIMITS.timeoutMs, result: { promise: true } }),
    );
  } finally {
    isolate.dispose();
  }
}

async function measureRuntime(runtime: IsolateRuntime, where: string): Promise<Summary[]> {
  const noop = await measure(`\`runtime.invoke\` noop node, ${where}`, () => runtime.invoke({ kind: 'node', name: 'noop', input: INPUT }, echoBridge));
  const echo = await measure(`\`runtime.invoke\` node with one awaited host call, ${where}`, () => runtime.invoke({ kind: 'node', name: 'echo', input: INPUT }, echoBridge), 5_000);
  return [noop, echo];
}

async function measureColdStarts(): Promise<{ medianMs: number; minMs: number; maxMs: number }> {
  const timesMs: number[] = [];
  for (let index = 0; index < COLD_STARTS; index++) {
    const startedAt = performance.now();
    const runtime = await createIsolateRuntime({ extensionId: `bench.cold${index}`, code: BUNDLE, limits: LIMITS, logger });
    await runtime.invoke({ kind: 'node', name: 'noop', input: INPUT }, echoBridge);
    timesMs.push(performance.now() - startedAt);
    await runtime.dispose();
  }

  timesMs.sort((a, b) => a - b);
  return { medianMs: timesMs[Math.floor(timesMs.length / 2)] ?? 0, minMs: timesMs[0] ?? 0, maxMs: timesMs.at(-1) ?? 0 };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown model'})`);
  console.log(`${WARMUP_CALLS} warm-up calls, then ${MEASURED_CALLS} measured calls one at a time (5000 for the host-call row)\n`);

  const rows = [await measureDirect(), await measureBareApply()];
  // Installed extensions start every call on an isolate thread. Shipped ones start on the
  // kernel's thread, for at most KERNEL_THREAD_SLICE_MS.
  for (const [where, kernelThreadSliceMs] of [['isolate thread', 0], ['kernel thread', KERNEL_THREAD_SLICE_MS]] as const) {
    const runtime = await createIsolateRuntime({ extensionId: 'bench.isolate', code: BUNDLE, limits: LIMITS, logger, kernelThreadSliceMs });
    rows.push(...(await measureRuntime(runtime, `started on the ${where}`)));
    await runtime.dispose();
  }

  console.log('| case | median µs | p99 µs |');
  console.log('|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.name} | ${row.medianUs.toFixed(1)} | ${row.p99Us.toFixed(1)} |`);

  const cold = await measureColdStarts();
  console.log(`\ncold start (createIsolateRuntime + first noop call), ${COLD_STARTS} runs:`);
  console.log(`median ${cold.medianMs.toFixed(1)} ms, min ${cold.minMs.toFixed(1)} ms, max ${cold.maxMs.toFixed(1)} ms`);
}

await main();
