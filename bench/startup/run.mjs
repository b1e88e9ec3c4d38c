// Startup time and idle memory of the MIFY kernel.
//
// Prepares one data directory (migrated, owner and workspace created), then
// starts the kernel on it repeatedly, three ways a user runs it:
//   program:  kernel/bin/mify.js start --port 0        (as npx runs it: its shell line execs Node with --no-node-snapshot)
//   launcher: node kernel/bin/mify.js start --port 0   (re-executes Node with --no-node-snapshot in a child process)
//   direct:   node --no-node-snapshot kernel/dist/cli/entry.js start --port 0   (as `npm start` runs it)
// Each start is timed from spawn to the first 200 from GET /api/health. The
// port comes from the "is running at" line on stdout, and /api/health is
// polled from then on. The resident memory (VmRSS) of the process that serves
// is read 2 s after ready, while the start-up work settles, and again after the
// whole idle pause. The goal is judged on the second reading. Then the kernel
// gets SIGTERM and the time to exit is recorded. One unrecorded start per way
// comes first, so the page cache is warm for every recorded one.
//
// Settings, as environment variables:
//   BENCH_STARTUP_RUNS   recorded starts per way (default 10)
//   BENCH_IDLE_MS        idle time after ready before reading the idle RSS (default 10000)
//   BENCH_POLL_MS        interval of the /api/health polls (default 5)
//   BENCH_RESULT_FILE    JSON result (default bench/results/startup.json)
//   BENCH_QUIET_PERCENT  busy CPU of the machine, in percent of one CPU, below which a start begins (default 20)
//   BENCH_QUIET_WAIT_S   longest wait for that quiet before starting anyway (default 30)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KERNEL_ENTRY, KERNEL_LAUNCHER, REPO_ROOT, assertKernelBuilt, kernelEnv, prepareDataDir, spawnServer, stopServer, trackBenchResources } from '../lib/kernel.mjs';
import { childPids, cpuSeconds, describeMachine, machineCpuSeconds, residentMiB, waitForQuietMachine } from '../lib/machine.mjs';
import { readSettings } from '../lib/settings.mjs';
import { markdownTable, round, summarize } from '../lib/stats.mjs';

const GOALS = { readyMs: 1_000, idleRssMiB: 200 };
/** Figures measured earlier on a machine of the same kind, by hand and not by this script. */
const COMPARISONS = [
  { name: 'n8n 1.123', readyMs: 3_800, idleRssMiB: 589 },
  { name: 'Node-RED 4.1', readyMs: 460, idleRssMiB: 110 },
];
/**
 * Time of the first RSS reading, in milliseconds after ready. It shows the memory before the
 * start-up work settles: the extensions load after the first /api/health response, and the
 * kernel returns memory to the system only once it is idle (kernel/src/cli/idle-memory.ts).
 */
const EARLY_RSS_MS = 2_000;
/** CPU time other processes may use during one start before the report warns, in milliseconds. */
const OTHER_CPU_WARNING_MS = 200;
/** Time allowed from the "is running at" line to the first 200 from /api/health, in milliseconds. */
const HEALTH_TIMEOUT_MS = 30_000;

const settings = readSettings({
  runs: { variable: 'BENCH_STARTUP_RUNS', fallback: 10, min: 1, max: 100, unit: 'starts' },
  idleMs: { variable: 'BENCH_IDLE_MS', fallback: 10_000, min: 0, max: 60_000, unit: 'milliseconds' },
  pollMs: { variable: 'BENCH_POLL_MS', fallback: 5, min: 1, max: 1_000, unit: 'milliseconds' },
  quietPercent: { variable: 'BENCH_QUIET_PERCENT', fallback: 20, min: 1, max: 200, unit: 'percent of one CPU' },
  quietWaitS: { variable: 'BENCH_QUIET_WAIT_S', fallback: 30, min: 0, max: 3600, unit: 'seconds' },
});
const resultFile = path.resolve(process.env.BENCH_RESULT_FILE ?? path.join(REPO_ROOT, 'bench/results/startup.json'));

const WAYS = [
  { name: 'program', command: 'kernel/bin/mify.js start --port 0', program: KERNEL_LAUNCHER, args: ['start', '--host', '127.0.0.1', '--port', '0'], servesInChild: false },
  { name: 'launcher', command: 'node kernel/bin/mify.js start --port 0', args: [KERNEL_LAUNCHER, 'start', '--host', '127.0.0.1', '--port', '0'], servesInChild: true },
  { name: 'direct', command: 'node --no-node-snapshot kernel/dist/cli/entry.js start --port 0', args: ['--no-node-snapshot', KERNEL_ENTRY, 'start', '--host', '127.0.0.1', '--port', '0'], servesInChild: false },
];

const resources = trackBenchResources('kernel');

async function main() {
  assertKernelBuilt();
  const machine = describeMachine();
  console.log(`Machine: ${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.memoryMiB} MiB, Node ${machine.node}`);
  console.log(`${settings.runs} recorded starts per way (after one unrecorded start), RSS read ${EARLY_RSS_MS} ms and ${settings.idleMs} ms after ready, /api/health polled every ${settings.pollMs} ms\n`);

  resources.dataDir = (await prepareDataDir({ withApiKey: false })).dataDir;
  // The default log level (info), as a user runs it.
  const env = kernelEnv(resources.dataDir);

  const samples = Object.fromEntries(WAYS.map((way) => [way.name, []]));
  for (let run = 0; run <= settings.runs; run++) {
    // Alternating the ways spreads any drift of the machine over both.
    for (const way of WAYS) {
      const sample = await measureStart(way, env);
      if (run === 0) continue;
      samples[way.name].push(sample);
      console.log(`${way.name.padEnd(8)} run ${String(run).padStart(2)}: ready ${Math.round(sample.readyMs)} ms (kernel CPU ${Math.round(sample.kernelCpuMs)} ms, other processes CPU ${Math.round(sample.otherCpuMs)} ms), serving process RSS ${round(sample.earlyRssMiB, 1)} MiB at ${EARLY_RSS_MS / 1000} s, ${round(sample.serverRssMiB, 1)} MiB idle${sample.launcherRssMiB === null ? '' : ` (+ launcher ${round(sample.launcherRssMiB, 1)} MiB)`}, exit ${Math.round(sample.exitMs)} ms`);
    }
  }
  await resources.cleanUp();

  await report(machine, samples);
}

async function measureStart(way, env) {
  const busyBeforePercent = await waitForQuietMachine({ thresholdPercent: settings.quietPercent, maxWaitMs: settings.quietWaitS * 1000 });
  const machineCpuBefore = machineCpuSeconds();
  const benchCpuBefore = process.cpuUsage();
  resources.server = await spawnServer(way.args, { env, ...(way.program ? { program: way.program } : {}) });
  const { child, url, startedAt, readyLineMs } = resources.server;

  const readyMs = (await pollHealth(`${url}/api/health`)) - startedAt;
  const serverPid = way.servesInChild ? servingChildPid(child.pid) : child.pid;
  const kernelCpuS = cpuSeconds(serverPid) + (way.servesInChild ? cpuSeconds(child.pid) : 0);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  // CPU time the machine spent during the start on anything but the kernel and this process.
  const otherCpuMs = Math.max(0, (machineCpuSeconds().busy - machineCpuBefore.busy - kernelCpuS - (benchCpu.user + benchCpu.system) / 1e6) * 1000);

  await sleep(Math.min(EARLY_RSS_MS, settings.idleMs));
  const earlyRssMiB = residentMiB(serverPid);
  await sleep(Math.max(0, settings.idleMs - EARLY_RSS_MS));
  const serverRssMiB = residentMiB(serverPid);
  const launcherRssMiB = way.servesInChild ? residentMiB(child.pid) : null;

  const stopped = await stopServer(child);
  resources.server = null;
  if (stopped.killed || stopped.code !== 0) {
    throw new Error(`${way.command} did not exit cleanly after SIGTERM (exit code ${stopped.code}, signal ${stopped.signal}, SIGKILL sent: ${stopped.killed}).`);
  }

  return { busyBeforePercent, readyMs, readyLineMs, kernelCpuMs: kernelCpuS * 1000, otherCpuMs, earlyRssMiB, serverRssMiB, launcherRssMiB, exitMs: stopped.exitMs };
}

/** Polls until GET returns 200 and returns the performance.now() of that response. */
async function pollHealth(target) {
  const deadline = performance.now() + HEALTH_TIMEOUT_MS;
  let last = 'no response';
  while (performance.now() < deadline) {
    try {
      const response = await fetch(target);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
      last = `status ${response.status}`;
    } catch (error) {
      last = error.message;
    }
    await sleep(settings.pollMs);
  }
  throw new Error(`GET ${target} returned no 200 within ${HEALTH_TIMEOUT_MS} ms (last: ${last}).`);
}

/** Returns the pid of the launcher's only child, the Node process that serves. */
function servingChildPid(launcherPid) {
  const children = childPids(launcherPid);
  if (children.length !== 1) throw new Error(`Expected the launcher (pid ${launcherPid}) to have one child process, found ${children.length}.`);
  return children[0];
}

async function report(machine, samples) {
  const summaries = {};
  for (const way of WAYS) {
    const list = samples[way.name];
    const quiet = list.filter((s) => s.otherCpuMs <= OTHER_CPU_WARNING_MS);
    summaries[way.name] = {
      command: way.command,
      readyMs: summarize(list.map((s) => s.readyMs)),
      // Starts during which other processes used at most OTHER_CPU_WARNING_MS of CPU, or null when there were none.
      quietReadyMs: quiet.length > 0 ? summarize(quiet.map((s) => s.readyMs)) : null,
      readyLineMs: summarize(list.map((s) => s.readyLineMs)),
      kernelCpuMs: summarize(list.map((s) => s.kernelCpuMs)),
      otherCpuMs: summarize(list.map((s) => s.otherCpuMs)),
      earlyRssMiB: summarize(list.map((s) => s.earlyRssMiB)),
      serverRssMiB: summarize(list.map((s) => s.serverRssMiB)),
      launcherRssMiB: way.servesInChild ? summarize(list.map((s) => s.launcherRssMiB)) : null,
      exitMs: summarize(list.map((s) => s.exitMs)),
    };
  }

  const range = (s, digits = 0) => `${round(s.median, digits)} (${round(s.min, digits)}–${round(s.max, digits)})`;
  const rows = WAYS.map((way) => {
    const s = summaries[way.name];
    return [`MIFY, ${way.command}`, range(s.readyMs), s.quietReadyMs ? `${range(s.quietReadyMs)}, ${s.quietReadyMs.runs} runs` : 'none', range(s.kernelCpuMs), range(s.earlyRssMiB), range(s.serverRssMiB), s.launcherRssMiB ? range(s.launcherRssMiB) : '—', range(s.exitMs)];
  });
  for (const other of COMPARISONS) rows.push([`${other.name} (measured earlier, not by this script)`, other.readyMs, '—', '—', '—', other.idleRssMiB, '—', '—']);
  console.log(`\n${markdownTable(['server', 'ready ms, median (min–max)', `ready ms, starts with ≤ ${OTHER_CPU_WARNING_MS} ms CPU of other processes`, 'kernel CPU ms to ready', `RSS MiB ${EARLY_RSS_MS / 1000} s after ready`, `idle RSS MiB of serving process, ${settings.idleMs / 1000} s after ready`, 'launcher RSS MiB', 'exit after SIGTERM ms'], rows)}\n`);
  const otherCpu = Math.max(...WAYS.map((way) => summaries[way.name].otherCpuMs.median));
  if (otherCpu > OTHER_CPU_WARNING_MS) console.log(`WARNING: other processes used a median ${Math.round(otherCpu)} ms of CPU during a start, so the start times are longer than on an idle machine.`);

  const goals = {};
  for (const way of WAYS) {
    const s = summaries[way.name];
    goals[way.name] = { readyMet: s.readyMs.median <= GOALS.readyMs, idleRssMet: s.serverRssMiB.median <= GOALS.idleRssMiB };
    console.log(`${way.name}: ready ${Math.round(s.readyMs.median)} ms (goal ≤ ${GOALS.readyMs} ms) — ${goals[way.name].readyMet ? 'met' : 'missed'}; idle RSS ${round(s.serverRssMiB.median, 1)} MiB (goal ≤ ${GOALS.idleRssMiB} MiB) — ${goals[way.name].idleRssMet ? 'met' : 'missed'}`);
  }

  const record = {
    benchmark: 'startup',
    date: new Date().toISOString(),
    command: 'pnpm --filter @mify/bench run bench:startup',
    machine,
    settings,
    summaries,
    samples,
    goals: { ...GOALS, met: goals },
    comparisons: COMPARISONS,
  };
  await mkdir(path.dirname(resultFile), { recursive: true });
  await writeFile(resultFile, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`Result written to ${path.relative(process.cwd(), resultFile) || resultFile}`);
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await resources.cleanUp();
  process.exit(1);
});
