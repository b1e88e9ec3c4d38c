// Probe: start time, CPU and idle memory of two or more builds of the kernel, started in
// alternation so that both see the same state of a shared machine. Each build gets its own
// prepared data directory, because a build registers the bundled extensions by the path of
// its own folder. Per start: time from spawn to the first 200 from /api/health, CPU time of
// the serving process at that moment, and its VmRSS after 2 s of idle.
//
// Run: node bench/probes/startup-ab.mjs ROOT_A ROOT_B ...   (settings: PROBE_RUNS, default 6;
// PROBE_WAYS, default direct,launcher)
//
// A ROOT is a checkout with a built kernel. To build another commit beside this one:
//   git archive COMMIT kernel sdk prisma templates package.json tsconfig.base.json | tar -x -C /tmp/before
//   cd /tmp/before && for dir in node_modules kernel/node_modules sdk/node_modules extensions web; do ln -s "$REPO/$dir" "$dir"; done
//   cp -r "$REPO/kernel/src/generated" kernel/src/ && npx tsc -b sdk kernel
// where REPO is this repository; the generated Prisma client is not in git.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelEnv, prepareDataDir, removeDataDir, spawnServer, stopServer } from '../lib/kernel.mjs';
import { childPids, cpuSeconds, machineCpuSeconds, residentMiB, waitForQuietMachine } from '../lib/machine.mjs';
import { readSettings } from '../lib/settings.mjs';
import { markdownTable, round, summarize } from '../lib/stats.mjs';

const settings = readSettings({ runs: { variable: 'PROBE_RUNS', fallback: 6, min: 1, max: 50, unit: 'starts per build and way' } });
const ways = (process.env.PROBE_WAYS ?? 'direct,launcher').split(',');
/** Time allowed from the "is running at" line to the first 200 from /api/health, in milliseconds. */
const HEALTH_TIMEOUT_MS = 30_000;

const roots = process.argv.slice(2).map((root) => path.resolve(root));
if (roots.length < 2) {
  console.error('Give at least two repository roots with a built kernel. Usage: node bench/probes/startup-ab.mjs ROOT_A ROOT_B');
  process.exit(2);
}
for (const root of roots) {
  if (!existsSync(path.join(root, 'kernel/dist/cli/entry.js'))) throw new Error(`${root} has no built kernel (kernel/dist/cli/entry.js); run \`npx tsc -b sdk kernel\` there first.`);
}
for (const way of ways) {
  if (way !== 'direct' && way !== 'launcher') throw new Error(`PROBE_WAYS contains '${way}'; use direct, launcher or both, separated by a comma.`);
}

const dataDirs = new Map();
const samples = new Map();
try {
  for (const root of roots) dataDirs.set(root, (await prepareDataDir({ withApiKey: false })).dataDir);
  // Round 0 warms the page cache and is not recorded.
  for (let round = 0; round <= settings.runs; round++) {
    for (const way of ways) {
      for (const root of roots) {
        const sample = await measureStart(root, way);
        if (round === 0) continue;
        const key = `${way}, ${root}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.log(`${key} run ${round}: ready ${Math.round(sample.readyMs)} ms, CPU ${Math.round(sample.cpuMs)} ms, idle RSS ${round1(sample.rssMiB)} MiB, other processes ${Math.round(sample.otherCpuMs)} ms CPU`);
      }
    }
  }
} finally {
  for (const dataDir of dataDirs.values()) await removeDataDir(dataDir);
}

const median = (list, key) => summarize(list.map((sample) => sample[key])).median;
console.log(`\n${markdownTable(
  ['way, build', 'ready ms', 'CPU ms to ready', 'idle RSS MiB', 'other processes, CPU ms per start'],
  [...samples].map(([key, list]) => [key, Math.round(median(list, 'readyMs')), Math.round(median(list, 'cpuMs')), round(median(list, 'rssMiB'), 0), Math.round(median(list, 'otherCpuMs'))]),
)}`);
console.log(`Medians of ${settings.runs} starts per build and way, in alternation.`);

function round1(value) {
  return round(value, 1);
}

async function measureStart(root, way) {
  await waitForQuietMachine({ thresholdPercent: 20, maxWaitMs: 60_000 });
  const busyBefore = machineCpuSeconds().busy;
  const args = way === 'direct' ? ['--no-node-snapshot', path.join(root, 'kernel/dist/cli/entry.js')] : [path.join(root, 'kernel/bin/mify.js')];
  const server = await spawnServer([...args, 'start', '--host', '127.0.0.1', '--port', '0'], { env: kernelEnv(dataDirs.get(root)) });

  try {
    const readyMs = (await firstHealthyResponse(server.url)) - server.startedAt;
    // The launcher re-executes Node, and its only child serves.
    const pid = way === 'direct' ? server.child.pid : childPids(server.child.pid)[0];
    const cpuMs = cpuSeconds(pid) * 1000;
    const otherCpuMs = Math.max(0, (machineCpuSeconds().busy - busyBefore) * 1000 - cpuMs);
    await sleep(2_000);
    return { readyMs, cpuMs, rssMiB: residentMiB(pid), otherCpuMs };
  } finally {
    await stopServer(server.child);
  }
}

/** Polls GET /api/health every 5 ms and returns the performance.now() of the first 200. */
async function firstHealthyResponse(url) {
  const deadline = performance.now() + HEALTH_TIMEOUT_MS;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/health`);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // Not accepting connections yet.
    }
    await sleep(5);
  }
  throw new Error(`GET ${url}/api/health returned no 200 within ${HEALTH_TIMEOUT_MS} ms.`);
}
