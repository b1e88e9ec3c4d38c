// Loads one workflow URL with autocannon (POST, JSON body) and measures throughput, exact
// latency percentiles and the CPU used by the server, by autocannon and by other processes.
import os from 'node:os';
import autocannon from 'autocannon';
import { machineCpuSeconds, residentMiB } from '../lib/machine.mjs';
import { treeCpuSeconds } from './processes.mjs';
import { REQUEST_BODY } from './workflow.mjs';

/** Latency samples kept per run. Responses past it still count toward throughput. */
const MAX_LATENCY_SAMPLES = 10_000_000;
/** Seconds autocannon waits for one response before it counts a timeout. */
const REQUEST_TIMEOUT_S = 30;

/**
 * Runs a warm-up load of `warmupS` seconds, then a measured one of `durationS` seconds, against
 * `url`. Returns requests/s of 2xx responses, latency percentiles in ms, failures, CPU shares in
 * percent of one CPU, the server's RSS and the load averages around the run.
 */
export async function measureEndpoint({ url, headers, serverPid, connections, durationS, warmupS }) {
  if (warmupS > 0) await load({ url, headers, connections, durationS: warmupS });

  const loadAverageBefore = os.loadavg();
  const serverCpuBefore = treeCpuSeconds(serverPid);
  const loaderCpuBefore = process.cpuUsage();
  const machineCpuBefore = machineCpuSeconds();
  const { result, latenciesMs } = await load({ url, headers, connections, durationS });
  const serverCpuS = treeCpuSeconds(serverPid) - serverCpuBefore;
  const loaderCpu = process.cpuUsage(loaderCpuBefore);
  const loaderCpuS = (loaderCpu.user + loaderCpu.system) / 1e6;
  const machineCpuAfter = machineCpuSeconds();
  // Busy time that neither the server nor this process used went to other processes.
  const otherCpuS = Math.max(0, machineCpuAfter.busy - machineCpuBefore.busy - serverCpuS - loaderCpuS);

  latenciesMs.sort((a, b) => a - b);
  const failures = { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, resets: result.resets };
  return {
    durationS: result.duration,
    responses2xx: result['2xx'],
    requestsPerSecond: result['2xx'] / result.duration,
    latencyMs: { p50: percentile(latenciesMs, 0.5), p99: percentile(latenciesMs, 0.99), max: latenciesMs.at(-1) ?? null, samples: latenciesMs.length },
    failures,
    statusCodes: result.statusCodeStats,
    valid: Object.values(failures).every((count) => count === 0) && result['2xx'] > 0,
    serverCpuPercent: (serverCpuS / result.duration) * 100,
    loadGeneratorCpuPercent: (loaderCpuS / result.duration) * 100,
    otherProcessesCpuPercent: (otherCpuS / result.duration) * 100,
    stealPercent: ((machineCpuAfter.steal - machineCpuBefore.steal) / result.duration) * 100,
    serverRssMiBAfterRun: residentMiB(serverPid),
    loadAverage: { before: loadAverageBefore.map(roundLoad), after: os.loadavg().map(roundLoad) },
  };
}

function load({ url, headers, connections, durationS }) {
  const latenciesMs = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: REQUEST_BODY, connections, duration: durationS, timeout: REQUEST_TIMEOUT_S },
      (error, result) => {
        if (error) reject(error);
        else resolve({ result, latenciesMs });
      },
    );
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

function roundLoad(value) {
  return Math.round(value * 100) / 100;
}
