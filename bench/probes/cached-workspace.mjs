// Probe: throughput of the authenticated workspace read (GET /api/workspace
// with an API key) with and without a cached workspace lookup, to size what
// the database round trip costs per request. Same load as bench/http.
// With PROBE_CPU_PROF_DIR set, the probe servers run with --cpu-prof and write
// their profiles there.
//
// Run: node bench/probes/cached-workspace.mjs
import path from 'node:path';
import autocannon from 'autocannon';
import { REPO_ROOT, assertKernelBuilt, kernelEnv, prepareDataDir, removeDataDir, spawnServer, stopServer } from '../lib/kernel.mjs';
import { cpuSeconds } from '../lib/machine.mjs';
import { markdownTable, round } from '../lib/stats.mjs';

const DURATION_S = 10;
const WARMUP_S = 3;
const CONNECTIONS = 20;
const profileArgs = process.env.PROBE_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.PROBE_CPU_PROF_DIR)}`] : [];

assertKernelBuilt();
const { dataDir, apiKey } = await prepareDataDir({ withApiKey: true });
const rows = [];

try {
  for (const cached of [false, true]) {
    const env = kernelEnv(dataDir, {
      MIFY_LOG_LEVEL: 'warn',
      MIFY_HOST: '127.0.0.1',
      MIFY_PORT: '0',
      MIFY_RATE_LIMIT_IP_PER_MINUTE: '100000000',
      MIFY_RATE_LIMIT_KEY_PER_MINUTE: '100000000',
      PROBE_CACHE_WORKSPACE: cached ? '1' : '0',
    });
    const server = await spawnServer([...profileArgs, '--no-node-snapshot', path.join(REPO_ROOT, 'bench/probes/cached-workspace-server.mjs')], { env });
    try {
      const options = { url: `${server.url}/api/workspace`, headers: { authorization: `Bearer ${apiKey}` }, connections: CONNECTIONS };
      await runLoad({ ...options, duration: WARMUP_S });
      const cpuBefore = cpuSeconds(server.child.pid);
      const result = await runLoad({ ...options, duration: DURATION_S });
      const cpuS = cpuSeconds(server.child.pid) - cpuBefore;
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} errors, so the probe is invalid. Check the server output above.`);
      rows.push([cached ? 'cached in process' : 'PGlite via Prisma (as shipped)', Math.round(result['2xx'] / result.duration), round((cpuS * 1e6) / result['2xx'], 0)]);
    } finally {
      await stopServer(server.child);
    }
  }
} finally {
  await removeDataDir(dataDir);
}
console.log(markdownTable(['workspace lookup', 'req/s', 'server CPU µs per request'], rows));

function runLoad(options) {
  return new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));
}
