/**
 * Per-call overhead and cold start of the kernel's WASM runtime (Extism in a
 * worker thread), beside a direct function call and a bare Extism call on the
 * same thread.
 *
 * Run from the repository root (tsx is a dev dependency of the kernel):
 *   cd kernel && node --disable-warning=ExperimentalWarning --import tsx ../bench/sandbox/wasm.ts
 * The sample extension must be built first (`pnpm --dir extensions/sample-wasm run build`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

import { createWasmRuntime, type WasmExtensionRuntime } from '../../kernel/src/extensions/runtime/wasm/index.js';
import { createLogger } from '../../kernel/src/logger.js';
import type { HostBridge } from '../../kernel/src/extensions/runtime/types.js';

const WARMUP_CALLS = 2_000;
const MEASURED_CALLS = 20_000;
const COLD_STARTS = 10;

const kernelRequire = createRequire(new URL('../../kernel/package.json', import.meta.url));
const wabtInit = kernelRequire('wabt') as () => Promise<{
  parseWat(name: string, text: string): { toBinary(options: object): { buffer: Uint8Array }; destroy(): void };
}>;

/** The parts of @extism/extism 1.0.3 this benchmark calls directly (the package is a kernel dependency). */
interface CallContext {
  store(text: string): bigint;
}
interface ExtismPlugin {
  call(target: [string, string], input: string): Promise<{ text(): string } | null>;
  reset(): Promise<boolean>;
  close(): Promise<void>;
}
const { createPlugin } = kernelRequire('@extism/extism') as {
  createPlugin(
    manifest: { wasm: Array<{ name: string; data: Uint8Array }> },
    options: { functions: Record<string, Record<string, (context: CallContext) => bigint>> },
  ): Promise<ExtismPlugin>;
};

const GUEST_WAT = fileURLToPath(new URL('../../kernel/src/extensions/runtime/wasm/fixtures/guest.wat', import.meta.url));
const SAMPLE_WASM = fileURLToPath(new URL('../../extensions/sample-wasm/dist/plugin.wasm', import.meta.url));

const logger = createLogger({ level: 'silent' });
const bridge: HostBridge = { call: async () => null };

interface Summary {
  name: string;
  medianUs: number;
  p99Us: number;
}

function summarize(name: string, samplesNs: bigint[]): Summary {
  const sorted = samplesNs.map(Number).sort((a, b) => a - b);
  const at = (fraction: number) => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0) / 1_000;
  return { name, medianUs: at(0.5), p99Us: at(0.99) };
}

async function measure(name: string, call: () => Promise<unknown>, calls = MEASURED_CALLS): Promise<Summary> {
  for (let index = 0; index < WARMUP_CALLS; index += 1) await call();

  const samples: bigint[] = new Array(calls);
  for (let index = 0; index < calls; index += 1) {
    const startedAt = process.hrtime.bigint();
    await call();
    samples[index] = process.hrtime.bigint() - startedAt;
  }
  return summarize(name, samples);
}

async function main(): Promise<void> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat('guest.wat', readFileSync(GUEST_WAT, 'utf8'));
  const guest = parsed.toBinary({}).buffer;
  parsed.destroy();

  const limits = { memoryLimitMb: 16, timeoutMs: 5_000 };
  const results: Summary[] = [];

  const noopFunction = async (input: unknown): Promise<unknown> => JSON.parse(JSON.stringify(input ?? null)) as unknown;
  results.push(await measure('direct async function (JSON round trip of the input)', () => noopFunction(null)));

  const hostCallStub = { 'extism:host/user': { mify_host_call: (context: CallContext) => context.store('{"ok":true,"result":null}') } };
  const plugin = await createPlugin({ wasm: [{ name: 'main', data: guest }] }, { functions: hostCallStub });
  results.push(
    await measure('Extism plugin.call noop + reset, same thread, no worker', async () => {
      const output = await plugin.call(['main', 'noop'], 'null');
      await plugin.reset();
      return output?.text();
    }),
  );
  await plugin.close();

  const samplePlugin = await createPlugin({ wasm: [{ name: 'main', data: readFileSync(SAMPLE_WASM) }] }, { functions: hostCallStub });
  const sampleInput = { parameters: { transform: 'uppercase' }, items: [{ json: { text: 'The quick brown fox jumps over the lazy dog.' } }] };
  results.push(
    await measure(
      'Extism plugin.call sample text-stats + reset, same thread, no worker, stub host call',
      async () => {
        const output = await samplePlugin.call(['main', 'text_stats'], JSON.stringify(sampleInput));
        await samplePlugin.reset();
        return output?.text();
      },
      5_000,
    ),
  );
  await samplePlugin.close();

  const runtimes: WasmExtensionRuntime[] = [];
  const everyCall = await createWasmRuntime({ extensionId: 'bench.noop', wasm: guest, limits, logger });
  runtimes.push(everyCall);
  results.push(await measure('runtime.invoke noop, resetEvery 1 (default)', () => everyCall.invoke({ kind: 'node', name: 'noop', input: null }, bridge)));

  const everyThousand = await createWasmRuntime({ extensionId: 'bench.noop', wasm: guest, limits, logger, resetEvery: 1_000 });
  runtimes.push(everyThousand);
  results.push(await measure('runtime.invoke noop, resetEvery 1000', () => everyThousand.invoke({ kind: 'node', name: 'noop', input: null }, bridge)));

  results.push(
    await measure('runtime.invoke host_echo: one mify_host_call round trip to the main thread', () =>
      everyCall.invoke({ kind: 'node', name: 'host_echo', input: { method: 'noop', args: [] } }, bridge),
    ),
  );

  const sample = await createWasmRuntime({ extensionId: 'mify.sample-wasm', wasm: SAMPLE_WASM, limits, logger });
  runtimes.push(sample);
  results.push(
    await measure(
      'runtime.invoke sample text-stats, 1 item of 44 characters, 1 host call',
      () => sample.invoke({ kind: 'node', name: 'mify.sample-wasm.text-stats', input: sampleInput }, bridge),
      5_000,
    ),
  );

  await Promise.all(runtimes.map((runtime) => runtime.dispose()));

  const coldStartsMs: number[] = [];
  for (let index = 0; index < COLD_STARTS; index += 1) {
    const startedAt = performance.now();
    const runtime = await createWasmRuntime({ extensionId: 'bench.cold', wasm: guest, limits, logger });
    await runtime.invoke({ kind: 'node', name: 'noop', input: null }, bridge);
    coldStartsMs.push(performance.now() - startedAt);
    await runtime.dispose();
  }
  coldStartsMs.sort((a, b) => a - b);

  console.log(`node ${process.version}, ${availableParallelism()} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}`);
  console.log(`${WARMUP_CALLS} warm-up calls, then ${MEASURED_CALLS} measured calls per row (5000 for the sample)\n`);
  console.log('| case | median µs | p99 µs |');
  console.log('|---|---:|---:|');
  for (const result of results) console.log(`| ${result.name} | ${result.medianUs.toFixed(1)} | ${result.p99Us.toFixed(1)} |`);
  console.log(
    `\ncold start (createWasmRuntime + first noop call), ${COLD_STARTS} runs: median ${coldStartsMs[Math.floor(COLD_STARTS / 2)]?.toFixed(1)} ms, ` +
      `min ${coldStartsMs[0]?.toFixed(1)} ms, max ${coldStartsMs.at(-1)?.toFixed(1)} ms`,
  );
}

await main();
