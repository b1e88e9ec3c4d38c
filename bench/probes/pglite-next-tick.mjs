// Probe: server CPU per request of the bare Hono app of bench/http, without and with an
// embedded database (PGlite) opened in the same process, and with the database opened
// after a warm-up of process.nextTick. Same load as bench/http (20 connections).
//
// With the database opened first, `perf record` on Node 20.20 shows every request spending
// time in V8's Runtime_DefineKeyedOwnPropertyInLiteral and JSObject::MigrateToMap under
// process.nextTick, which creates its tick objects through a slow path. A warm-up of
// nextTick before the database opens avoided it in the runs behind bench/README.md.
//
// Run: node bench/probes/pglite-next-tick.mjs   (needs `npx tsc -b sdk kernel` first)
import path from 'node:path';
import autocannon from 'autocannon';
import { REPO_ROOT, assertKernelBuilt, spawnServer, stopServer } from '../lib/kernel.mjs';
import { cpuSeconds } from '../lib/machine.mjs';
import { markdownTable, round } from '../lib/stats.mjs';

const DURATION_S = 8;
const WARMUP_S = 3;
const CONNECTIONS = 20;
const MODES = ['none', 'pglite', 'pglite-warm'];

assertKernelBuilt();
const rows = [];
for (const mode of MODES) {
  const server = await spawnServer(['--no-node-snapshot', path.join(REPO_ROOT, 'bench/probes/pglite-next-tick-server.mjs')], { env: { ...process.env, PROBE_MODE: mode } });
  try {
    const options = { url: `${server.url}/api/health`, connections: CONNECTIONS };
    await runLoad({ ...options, duration: WARMUP_S });
    const cpuBefore = cpuSeconds(server.child.pid);
    const result = await runLoad({ ...options, duration: DURATION_S });
    const cpuS = cpuSeconds(server.child.pid) - cpuBefore;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode}: ${result.non2xx} non-2xx responses and ${result.errors} errors, so the probe is invalid.`);

    const responses = result['2xx'];
    rows.push([mode, Math.round(responses / result.duration), round((cpuS / responses) * 1e6, 1)]);
  } finally {
    await stopServer(server.child);
  }
}

console.log(markdownTable(['server', 'req/s', 'server CPU µs per request'], rows));

function runLoad(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
