/**
 * Cost per item of the kernel's expression evaluator (`kernel/src/runtime/expressions/`,
 * isolated-vm 5.0.4) for a parameters object with three expressions, over 1,000 items, and
 * the cold start of a new evaluator.
 *
 * Run from the repository root (tsx is a dev dependency of the kernel; isolated-vm needs
 * --no-node-snapshot on Node 20):
 *   cd kernel && node --no-node-snapshot --import tsx ../bench/runtime/expressions.ts
 */
import { createExpressionEvaluator } from '../../kernel/src/runtime/expressions/index.js';
import type { ExpressionScope } from '../../kernel/src/runtime/types.js';
import { createLogger } from '../../kernel/src/logger.js';
import { describeMachine } from '../lib/machine.mjs';

const ITEM_COUNT = 1_000;
const WARMUP_ROUNDS = 3;
const MEASURED_ROUNDS = 20;
const COLD_STARTS = 10;

const logger = createLogger({ level: 'silent' });

/** Three expressions: a template in a URL, a method call and arithmetic; the other values are literals. */
const PARAMETERS = {
  method: 'POST',
  url: '=https://api.example.com/users/{{ $json.id }}/orders',
  body: {
    name: '{{ $json.name.toUpperCase() }}',
    total: '={{ $json.price * $json.quantity }}',
    currency: 'EUR',
  },
};

function makeScopes(): ExpressionScope[] {
  const inputItems = Array.from({ length: ITEM_COUNT }, (_, index) => ({
    json: { id: index, name: `customer ${index}`, price: 9.5 + index, quantity: (index % 7) + 1, tags: ['a', 'b'] },
  }));
  const shared = {
    inputItems,
    nodeOutputs: { Start: [{ json: { startedBy: 'bench' } }] },
    vars: { region: 'eu' },
    run: { id: 'run-1', graphId: 'graph-1', workspaceId: 'ws-1', startedAt: '2026-01-01T00:00:00.000Z' },
    now: '2026-01-01T00:00:00.000Z',
  };
  return inputItems.map((item, itemIndex) => ({ ...shared, json: item.json, itemIndex }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** Measures one `resolveParameters` call per item, as an executor without the batch API makes them. */
async function measurePerItemCalls(scopes: ExpressionScope[]): Promise<{ callMedianUs: number; callP99Us: number; roundMedianUsPerItem: number }> {
  const evaluator = createExpressionEvaluator({ logger });
  const callsNs: number[] = [];
  const roundsUsPerItem: number[] = [];

  for (let round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
    const roundStartedAt = process.hrtime.bigint();
    for (const scope of scopes) {
      const startedAt = process.hrtime.bigint();
      await evaluator.resolveParameters(PARAMETERS, scope, { nodeName: 'Bench' });
      if (round >= WARMUP_ROUNDS) callsNs.push(Number(process.hrtime.bigint() - startedAt));
    }
    if (round >= WARMUP_ROUNDS) roundsUsPerItem.push(Number(process.hrtime.bigint() - roundStartedAt) / 1_000 / scopes.length);
  }

  await evaluator.dispose();
  return { callMedianUs: median(callsNs) / 1_000, callP99Us: quantile(callsNs, 0.99) / 1_000, roundMedianUsPerItem: median(roundsUsPerItem) };
}

/** Measures one `resolveParametersForItems` call for all items. */
async function measureBatch(scopes: ExpressionScope[]): Promise<{ medianUsPerItem: number; minUsPerItem: number; maxUsPerItem: number; sandboxCalls: number }> {
  const evaluator = createExpressionEvaluator({ logger });
  const roundsUsPerItem: number[] = [];

  for (let round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
    const startedAt = process.hrtime.bigint();
    const results = await evaluator.resolveParametersForItems(PARAMETERS, scopes, { nodeName: 'Bench' });
    const elapsedUs = Number(process.hrtime.bigint() - startedAt) / 1_000;
    const failed = results.find((result) => !result.ok);
    if (failed !== undefined && !failed.ok) throw new Error(`An item failed to resolve: ${failed.error.message}`);
    if (round >= WARMUP_ROUNDS) roundsUsPerItem.push(elapsedUs / scopes.length);
  }

  const sandboxCalls = evaluator.stats().calls / (WARMUP_ROUNDS + MEASURED_ROUNDS);
  await evaluator.dispose();
  return { medianUsPerItem: median(roundsUsPerItem), minUsPerItem: Math.min(...roundsUsPerItem), maxUsPerItem: Math.max(...roundsUsPerItem), sandboxCalls };
}

/** Measures a new evaluator and its first `resolveParameters`: isolate, bootstrap, compiling the three expressions. */
async function measureColdStarts(scope: ExpressionScope): Promise<{ medianMs: number; minMs: number; maxMs: number }> {
  const timesMs: number[] = [];
  for (let index = 0; index < COLD_STARTS; index++) {
    const startedAt = performance.now();
    const evaluator = createExpressionEvaluator({ logger });
    await evaluator.resolveParameters(PARAMETERS, scope, { nodeName: 'Bench' });
    timesMs.push(performance.now() - startedAt);
    await evaluator.dispose();
  }
  return { medianMs: median(timesMs), minMs: Math.min(...timesMs), maxMs: Math.max(...timesMs) };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  console.log(`${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, ${machine.os}`);
  console.log(`parameters with 3 expressions, ${ITEM_COUNT} items; ${WARMUP_ROUNDS} warm-up rounds, then ${MEASURED_ROUNDS} measured rounds\n`);

  const scopes = makeScopes();
  const cold = await measureColdStarts(scopes[0]!);
  const perItem = await measurePerItemCalls(scopes);
  const batch = await measureBatch(scopes);

  console.log('| case | median µs per item | notes |');
  console.log('|---|---:|---|');
  console.log(`| \`resolveParameters\`, one call per item | ${perItem.roundMedianUsPerItem.toFixed(1)} | single call median ${perItem.callMedianUs.toFixed(1)} µs, p99 ${perItem.callP99Us.toFixed(1)} µs |`);
  console.log(`| \`resolveParametersForItems\`, all items at once | ${batch.medianUsPerItem.toFixed(2)} | min ${batch.minUsPerItem.toFixed(2)}, max ${batch.maxUsPerItem.toFixed(2)}; ${batch.sandboxCalls} sandbox call(s) per round |`);
  console.log(`\ncold start (new evaluator + first resolveParameters), ${COLD_STARTS} runs: median ${cold.medianMs.toFixed(1)} ms, min ${cold.minMs.toFixed(1)} ms, max ${cold.maxMs.toFixed(1)} ms`);
}

await main();
