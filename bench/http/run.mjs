// HTTP throughput and latency of the MIFY kernel against a bare Hono server.
//
// Three scenarios, each served by its own child process on 127.0.0.1 and
// loaded by autocannon from this process: a bare Hono app on
// @hono/node-server (GET /api/health), the kernel's GET /api/health, and the
// kernel's GET /api/workspace authenticated with an API key. Each gets a
// warm-up run, then a measured run of a fixed duration. A scenario with any
// non-2xx response, socket error or timeout makes the whole run invalid
// (exit code 1).
//
// Settings, as environment variables:
//   BENCH_DURATION_S     measured seconds per scenario (default 10)
//   BENCH_WARMUP_S       warm-up seconds before each measured run (default 3)
//   BENCH_CONNECTIONS    concurrent connections (default 20)
//   BENCH_RESULT_FILE    JSON result (default bench/results/http.json)
//   BENCH_CPU_PROF_DIR   when set, kernel servers run with --cpu-prof and write their profiles there
//   BENCH_QUIET_PERCENT  busy CPU of the machine, in percent of one CPU, below which a run starts (default 20)
//   BENCH_QUIET_WAIT_S   longest wait for that quiet before measuring anyway (default 120)
//   BENCH_MAX_ATTEMPTS   measured runs per scenario while other processes use over 10 % of a CPU (default 3)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import autocannon from 'autocannon';
import { KERNEL_ENTRY, REPO_ROOT, assertKernelBuilt, kernelEnv, prepareDataDir, spawnServer, stopServer, trackBenchResources } from '../lib/kernel.mjs';
import { cpuSeconds, describeMachine, machineCpuSeconds, peakResidentMiB, residentMiB, waitForQuietMachine } from '../lib/machine.mjs';
import { markdownTable, round } from '../lib/stats.mjs';
import { readSettings } from '../lib/settings.mjs';

/** Minimum ratio of authenticated-read throughput to bare-Hono throughput. */
const THROUGHPUT_RATIO_GOAL = 0.5;
/** Latency samples kept per run. Responses past it still count toward throughput. */
const MAX_LATENCY_SAMPLES = 10_000_000;
/** Share of one CPU used by other processes during a run above which the report warns, in percent. */
const OTHER_CPU_WARNING_PERCENT = 10;
/** Limits high enough that the kernel's rate limiter never rejects benchmark traffic (requests per minute). */
const UNLIMITED_PER_MINUTE = '100000000';

const settings = readSettings({
  durationS: { variable: 'BENCH_DURATION_S', fallback: 10, min: 1, max: 600, unit: 'seconds' },
  warmupS: { variable: 'BENCH_WARMUP_S', fallback: 3, min: 0, max: 120, unit: 'seconds' },
  connections: { variable: 'BENCH_CONNECTIONS', fallback: 20, min: 1, max: 1000, unit: 'connections' },
  quietPercent: { variable: 'BENCH_QUIET_PERCENT', fallback: 20, min: 1, max: 200, unit: 'percent of one CPU' },
  quietWaitS: { variable: 'BENCH_QUIET_WAIT_S', fallback: 120, min: 0, max: 3600, unit: 'seconds' },
  maxAttempts: { variable: 'BENCH_MAX_ATTEMPTS', fallback: 3, min: 1, max: 10, unit: 'attempts' },
});
const resultFile = path.resolve(process.env.BENCH_RESULT_FILE ?? path.join(REPO_ROOT, 'bench/results/http.json'));
const cpuProfileDir = process.env.BENCH_CPU_PROF_DIR ? path.resolve(process.env.BENCH_CPU_PROF_DIR) : null;

const resources = trackBenchResources('server');

async function main() {
  assertKernelBuilt();
  const machine = describeMachine();
  console.log(`Machine: ${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.memoryMiB} MiB, Node ${machine.node}`);
  console.log(`Load: ${settings.connections} connections, ${settings.warmupS} s warm-up, ${settings.durationS} s measured per scenario\n`);

  const prepared = await prepareDataDir({ withApiKey: true });
  resources.dataDir = prepared.dataDir;
  const authorization = { authorization: `Bearer ${prepared.apiKey}` };

  const kernelArgs = [...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []), '--no-node-snapshot', KERNEL_ENTRY, 'start', '--host', '127.0.0.1', '--port', '0'];
  const kernelProcessEnv = kernelEnv(resources.dataDir, { MIFY_LOG_LEVEL: 'warn', MIFY_RATE_LIMIT_IP_PER_MINUTE: UNLIMITED_PER_MINUTE, MIFY_RATE_LIMIT_KEY_PER_MINUTE: UNLIMITED_PER_MINUTE });
  const scenarios = [
    { name: 'bare-hono-health', label: 'bare Hono, GET /api/health', args: ['--no-node-snapshot', path.join(REPO_ROOT, 'bench/http/bare-hono-server.mjs')], env: process.env, path: '/api/health', headers: {} },
    { name: 'kernel-health', label: 'kernel, GET /api/health', args: kernelArgs, env: kernelProcessEnv, path: '/api/health', headers: {} },
    { name: 'kernel-workspace-read', label: 'kernel, GET /api/workspace (API key)', args: kernelArgs, env: kernelProcessEnv, path: '/api/workspace', headers: authorization, unauthenticatedStatus: 401 },
  ];

  const results = [];
  for (const scenario of scenarios) {
    console.log(`Running ${scenario.label} ...`);
    results.push(await runScenario(scenario));
  }
  await resources.cleanUp();

  await report(machine, results);
}

async function runScenario(scenario) {
  resources.server = await spawnServer(scenario.args, { env: scenario.env });
  const { child, url } = resources.server;
  const target = `${url}${scenario.path}`;
  await checkResponses(target, scenario);

  const attempts = [];
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    const busyBeforePercent = await waitForQuietMachine({ thresholdPercent: settings.quietPercent, maxWaitMs: settings.quietWaitS * 1000 });
    if (busyBeforePercent > settings.quietPercent) console.log(`  the machine stayed busy (${Math.round(busyBeforePercent)} % of one CPU) for ${settings.quietWaitS} s; measuring anyway.`);
    if (settings.warmupS > 0) await load(target, scenario.headers, settings.warmupS);

    const measured = await measure(target, scenario.headers, child.pid);
    attempts.push({ attempt, machineBusyBeforePercent: busyBeforePercent, ...measured });
    if (measured.otherProcessesCpuPercent <= OTHER_CPU_WARNING_PERCENT) break;
    console.log(`  attempt ${attempt}: other processes used ${Math.round(measured.otherProcessesCpuPercent)} % of a CPU${attempt < settings.maxAttempts ? '; measuring again' : ''}.`);
  }

  const stopped = await stopServer(child);
  resources.server = null;

  // Report the attempt least disturbed by other processes, but a failure in any attempt invalidates the run.
  const best = attempts.reduce((a, b) => (b.otherProcessesCpuPercent < a.otherProcessesCpuPercent ? b : a));
  return {
    name: scenario.name,
    label: scenario.label,
    path: scenario.path,
    authenticated: Object.keys(scenario.headers).length > 0,
    ...best,
    valid: attempts.every((a) => a.valid),
    attempts: attempts.map(({ attempt, requestsPerSecond, otherProcessesCpuPercent, failures }) => ({ attempt, requestsPerSecond, otherProcessesCpuPercent, failures })),
    serverExit: stopped,
  };
}

/** Runs one measured load and reads the CPU time of the server, of this process and of the whole machine around it. */
async function measure(target, headers, serverPid) {
  const cpuBefore = cpuSeconds(serverPid);
  const loaderCpuBefore = process.cpuUsage();
  const machineCpuBefore = machineCpuSeconds();
  const { result, latenciesMs } = await load(target, headers, settings.durationS);
  const serverCpuS = cpuSeconds(serverPid) - cpuBefore;
  const loaderCpu = process.cpuUsage(loaderCpuBefore);
  const loaderCpuS = (loaderCpu.user + loaderCpu.system) / 1e6;
  const machineCpuAfter = machineCpuSeconds();
  // Busy time that neither the server nor this process used went to other processes.
  const otherCpuS = Math.max(0, machineCpuAfter.busy - machineCpuBefore.busy - serverCpuS - loaderCpuS);

  latenciesMs.sort((a, b) => a - b);
  const okResponses = result['2xx'];
  const failures = { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, resets: result.resets };
  return {
    durationS: result.duration,
    responses2xx: okResponses,
    requestsPerSecond: okResponses / result.duration,
    latencyMs: { p50: percentile(latenciesMs, 0.5), p99: percentile(latenciesMs, 0.99), max: latenciesMs.at(-1) ?? null, samples: latenciesMs.length },
    failures,
    statusCodes: result.statusCodeStats,
    valid: Object.values(failures).every((count) => count === 0) && okResponses > 0,
    serverCpuPercent: (serverCpuS / result.duration) * 100,
    serverCpuUsPerRequest: okResponses > 0 ? (serverCpuS / okResponses) * 1e6 : null,
    loadGeneratorCpuUsPerRequest: okResponses > 0 ? (loaderCpuS / okResponses) * 1e6 : null,
    loadGeneratorCpuPercent: (loaderCpuS / result.duration) * 100,
    otherProcessesCpuPercent: (otherCpuS / result.duration) * 100,
    stealPercent: ((machineCpuAfter.steal - machineCpuBefore.steal) / result.duration) * 100,
    serverRssMiBAfterRun: residentMiB(serverPid),
    serverPeakRssMiB: peakResidentMiB(serverPid),
  };
}

/** Fails fast when the target does not return 200, or when it accepts a request that lacks the API key. */
async function checkResponses(target, scenario) {
  const response = await fetch(target, { headers: scenario.headers });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${target} returned ${response.status}, expected 200: ${body.slice(0, 500)}`);
  if (!scenario.unauthenticatedStatus) return;

  const anonymous = await fetch(target);
  await anonymous.arrayBuffer();
  if (anonymous.status !== scenario.unauthenticatedStatus) {
    throw new Error(`GET ${target} without an API key returned ${anonymous.status}, expected ${scenario.unauthenticatedStatus}. The scenario measures authenticated reads, so its route must reject anonymous requests.`);
  }
}

/** Runs autocannon for `durationS` seconds and collects response latencies in milliseconds, up to MAX_LATENCY_SAMPLES. */
function load(target, headers, durationS) {
  const latenciesMs = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url: target, headers, connections: settings.connections, duration: durationS, timeout: 10 }, (error, result) => {
      if (error) reject(error);
      else resolve({ result, latenciesMs });
    });
    instance.on('response', (_client, _statusCode, _bytes, responseTimeMs) => {
      if (latenciesMs.length < MAX_LATENCY_SAMPLES) latenciesMs.push(responseTimeMs);
    });
  });
}

/** Returns the nearest-rank percentile `q` (0..1) of an ascending array. */
function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function report(machine, results) {
  const bare = results.find((r) => r.name === 'bare-hono-health');
  const authenticated = results.find((r) => r.name === 'kernel-workspace-read');
  const ratio = authenticated.requestsPerSecond / bare.requestsPerSecond;
  // Throughput depends on how the server and autocannon share the CPUs; CPU time per request does less so.
  const cpuRatio = authenticated.serverCpuUsPerRequest / bare.serverCpuUsPerRequest;
  const valid = results.every((r) => r.valid);

  const rows = results.map((r) => [
    r.label,
    Math.round(r.requestsPerSecond),
    round(r.latencyMs.p50, 2),
    round(r.latencyMs.p99, 2),
    `${r.failures.non2xx} / ${r.failures.errors + r.failures.timeouts + r.failures.resets}`,
    round(r.serverCpuUsPerRequest, 1),
    Math.round(r.serverCpuPercent),
    round(r.loadGeneratorCpuUsPerRequest, 1),
    Math.round(r.loadGeneratorCpuPercent),
    Math.round(r.otherProcessesCpuPercent),
    round(r.serverRssMiBAfterRun, 0),
  ]);
  console.log(`\n${markdownTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx / errors', 'server CPU µs per request', 'server CPU %', 'autocannon CPU µs per request', 'autocannon CPU %', 'other processes CPU %', 'server RSS MiB'], rows)}\n`);
  console.log(`CPU % is of one CPU, and this machine has ${machine.cpus}. CPU per request is CPU time (user + system, all threads) divided by the 2xx responses.`);
  const busiest = Math.max(...results.map((r) => r.otherProcessesCpuPercent));
  if (busiest > OTHER_CPU_WARNING_PERCENT) console.log(`WARNING: other processes used up to ${Math.round(busiest)} % of a CPU during a measured run, so the figures are lower than on an idle machine.`);
  console.log(`Authenticated read / bare Hono throughput: ${round(ratio, 3)} (goal: at least ${THROUGHPUT_RATIO_GOAL}) — ${ratio >= THROUGHPUT_RATIO_GOAL ? 'met' : 'missed'}`);
  console.log(`Server CPU per request, authenticated read / bare Hono: ${round(cpuRatio, 2)}`);
  if (!valid) console.log('INVALID RUN: some responses were not 2xx or failed. See the non-2xx / errors column above.');

  const record = {
    benchmark: 'http',
    date: new Date().toISOString(),
    command: 'pnpm --filter @mify/bench run bench:http',
    machine,
    settings: { ...settings, pipelining: 1, loadGenerator: 'autocannon 9.0.0, in the bench process' },
    scenarios: results,
    throughputRatio: ratio,
    serverCpuPerRequestRatio: cpuRatio,
    goal: { throughputRatioAtLeast: THROUGHPUT_RATIO_GOAL, met: ratio >= THROUGHPUT_RATIO_GOAL },
    valid,
  };
  await mkdir(path.dirname(resultFile), { recursive: true });
  await writeFile(resultFile, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`Result written to ${path.relative(process.cwd(), resultFile) || resultFile}`);
  process.exitCode = valid ? 0 : 1;
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await resources.cleanUp();
  process.exit(1);
});
