// Probe: idle memory, start time and request cost of the kernel under several sets of
// Node/V8 flags. For each set, and in rounds that alternate the sets, it starts
// `node --no-node-snapshot FLAGS kernel/dist/cli/entry.js start` on one prepared data
// directory, reads VmRSS after an idle pause, then loads GET /api/workspace (API key) with
// autocannon and reads the server's CPU time per request.
//
// Run: node bench/probes/node-flags.mjs ['--flag-a --flag-b' ...]
// Each argument is one set of flags; '' is the kernel as it runs by default. Without
// arguments it compares the default with --max-semi-space-size=2.
//
// Settings, as environment variables:
//   PROBE_ROUNDS      starts per flag set (default 3)
//   PROBE_IDLE_MS     idle time before reading RSS (default 2000)
//   PROBE_LOAD_S      seconds of load per start, after 2 s of warm-up (default 5)
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { KERNEL_ENTRY, REPO_ROOT, assertKernelBuilt, kernelEnv, prepareDataDir, removeDataDir, spawnServer, stopServer } from '../lib/kernel.mjs';
import { cpuSeconds, residentMiB, waitForQuietMachine } from '../lib/machine.mjs';
import { readSettings } from '../lib/settings.mjs';
import { markdownTable, round, summarize } from '../lib/stats.mjs';

const autocannon = createRequire(path.join(REPO_ROOT, 'bench/package.json'))('autocannon');

const settings = readSettings({
  rounds: { variable: 'PROBE_ROUNDS', fallback: 3, min: 1, max: 50, unit: 'starts' },
  idleMs: { variable: 'PROBE_IDLE_MS', fallback: 2_000, min: 0, max: 60_000, unit: 'milliseconds' },
  loadS: { variable: 'PROBE_LOAD_S', fallback: 5, min: 1, max: 120, unit: 'seconds' },
});
/** Warm-up load before each measured load, in seconds. */
const WARMUP_S = 2;
const CONNECTIONS = 20;
/** Limits high enough that the kernel's rate limiter never rejects probe traffic (requests per minute). */
const UNLIMITED_PER_MINUTE = '100000000';

const flagSets = process.argv.length > 2 ? process.argv.slice(2) : ['', '--max-semi-space-size=2'];

assertKernelBuilt();
const { dataDir, apiKey } = await prepareDataDir({ withApiKey: true });
const env = kernelEnv(dataDir, { MIFY_LOG_LEVEL: 'warn', MIFY_RATE_LIMIT_IP_PER_MINUTE: UNLIMITED_PER_MINUTE, MIFY_RATE_LIMIT_KEY_PER_MINUTE: UNLIMITED_PER_MINUTE });
const samples = new Map(flagSets.map((flags) => [flags, []]));

try {
  for (let round = 1; round <= settings.rounds; round++) {
    for (const flags of flagSets) {
      const sample = await measure(flags);
      samples.get(flags).push(sample);
      console.log(`round ${round} ${flags || '(default)'}: line ${Math.round(sample.readyLineMs)} ms, idle RSS ${round1(sample.idleRssMiB)} MiB, ${Math.round(sample.requestsPerSecond)} req/s, ${round1(sample.cpuUsPerRequest)} µs CPU per request, RSS after load ${round1(sample.loadedRssMiB)} MiB`);
    }
  }
} finally {
  await removeDataDir(dataDir);
}

const median = (flags, key) => summarize(samples.get(flags).map((sample) => sample[key])).median;
console.log(`\n${markdownTable(
  ['flags', '"is running at" line, ms', 'idle RSS, MiB', 'req/s', 'server CPU µs per request', 'RSS after load, MiB'],
  flagSets.map((flags) => [flags || '(default)', Math.round(median(flags, 'readyLineMs')), round(median(flags, 'idleRssMiB'), 0), Math.round(median(flags, 'requestsPerSecond')), round(median(flags, 'cpuUsPerRequest'), 1), round(median(flags, 'loadedRssMiB'), 0)]),
)}`);
console.log(`Medians of ${settings.rounds} starts per flag set; GET /api/workspace with ${CONNECTIONS} connections for ${settings.loadS} s after ${WARMUP_S} s of warm-up.`);

function round1(value) {
  return round(value, 1);
}

async function measure(flags) {
  await waitForQuietMachine({ thresholdPercent: 20, maxWaitMs: 60_000 });
  const args = ['--no-node-snapshot', ...flags.split(' ').filter(Boolean), KERNEL_ENTRY, 'start', '--host', '127.0.0.1', '--port', '0'];
  const server = await spawnServer(args, { env });
  try {
    await sleep(settings.idleMs);
    const idleRssMiB = residentMiB(server.child.pid);

    const target = `${server.url}/api/workspace`;
    await load(target, WARMUP_S);
    const cpuBefore = cpuSeconds(server.child.pid);
    const result = await load(target, settings.loadS);
    const cpuS = cpuSeconds(server.child.pid) - cpuBefore;
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0 || result['2xx'] === 0) throw new Error(`GET ${target} failed under load with flags '${flags}': ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts.`);

    return { readyLineMs: server.readyLineMs, idleRssMiB, requestsPerSecond: result['2xx'] / result.duration, cpuUsPerRequest: (cpuS / result['2xx']) * 1e6, loadedRssMiB: residentMiB(server.child.pid) };
  } finally {
    await stopServer(server.child);
  }
}

function load(url, durationS) {
  return autocannon({ url, connections: CONNECTIONS, duration: durationS, headers: { authorization: `Bearer ${apiKey}` } });
}
