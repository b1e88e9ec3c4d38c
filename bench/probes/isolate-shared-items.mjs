// Probe: wall time of one isolate call of a pass node with 1,000 items, in two cases. In the
// first, the node input's `items` is the same array as `ports.main`, so the kernel sends it
// once. In the second, it is a separate array, sent twice as every call did before. Medians of
// 200 calls after 50 warm-up calls, two rounds each.
//
// Run: node --no-node-snapshot bench/probes/isolate-shared-items.mjs   (needs `npx tsc -b sdk kernel` first)
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const kernelDist = (file) => pathToFileURL(path.resolve(import.meta.dirname, '../../kernel/dist', file)).href;
const { createIsolateRuntime } = await import(kernelDist('extensions/runtime/isolate/index.js'));
const { createLogger } = await import(kernelDist('logger.js'));

const CODE = 'export default { nodes: { pass: { execute(ctx, input) { return { items: input.items }; } } } };';
const WARM_UP_CALLS = 50;
const MEASURED_CALLS = 200;

const runtime = await createIsolateRuntime({
  extensionId: 'probe.pass',
  code: CODE,
  limits: { memoryLimitMb: 128, timeoutMs: 5_000 },
  hostMethods: [],
  logger: createLogger({ level: 'silent' }),
  onFailure: () => {},
});
const bridge = { call: async () => null };
const items = Array.from({ length: 1_000 }, (_, index) => ({ json: { index, name: `item ${index}`, tags: ['a', 'b'] } }));
const separate = structuredClone(items);

async function medianMicros(makeInput) {
  for (let call = 0; call < WARM_UP_CALLS; call++) await runtime.invoke({ kind: 'node', name: 'pass', input: makeInput() }, bridge);
  const samples = [];
  for (let call = 0; call < MEASURED_CALLS; call++) {
    const startedAt = process.hrtime.bigint();
    await runtime.invoke({ kind: 'node', name: 'pass', input: makeInput() }, bridge);
    samples.push(Number(process.hrtime.bigint() - startedAt) / 1_000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

for (let round = 1; round <= 2; round++) {
  const shared = await medianMicros(() => ({ items, ports: { main: items }, parameters: {} }));
  const apart = await medianMicros(() => ({ items: separate, ports: { main: items }, parameters: {} }));
  console.log(`round ${round}: items shared with ports.main ${shared.toFixed(0)} µs, items sent separately ${apart.toFixed(0)} µs`);
}
await runtime.dispose();
