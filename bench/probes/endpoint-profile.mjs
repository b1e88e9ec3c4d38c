// Writes a --cpu-prof profile of a kernel serving the bench/endpoints graph under load, for one
// value of settings.endpoint.runSaving (first argument, default none). The profile goes to
// PROBE_CPU_PROF_DIR (default a new temporary folder), and its path is printed. With
// PROBE_DATABASE_URL (an empty PostgreSQL database), the kernel stores its records there
// instead of in embedded PGlite. PROBE_CONNECTIONS sets the concurrent connections (default 20).
//
//   node bench/probes/endpoint-profile.mjs none
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { prepareMify } from '../endpoints/mify.mjs';
import { REQUEST_BODY } from '../endpoints/workflow.mjs';

const runSaving = process.argv[2] ?? 'none';
const profileDir = process.env.PROBE_CPU_PROF_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'endpoint-profile-'));

const prepared = await prepareMify({ kernel: process.env.BENCH_KERNEL ?? 'source', databaseUrl: process.env.PROBE_DATABASE_URL ?? null, serverNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
const server = await prepared.start('embedded');
try {
  await server.setRunSaving(runSaving);
  const result = await autocannon({ url: server.url, method: 'POST', headers: { ...server.headers, 'content-type': 'application/json' }, body: REQUEST_BODY, connections: Number(process.env.PROBE_CONNECTIONS ?? 20), duration: Number(process.env.PROBE_DURATION_S ?? 8) });
  console.log(`${runSaving}: ${Math.round(result.requests.average)} requests/s, non-2xx ${result.non2xx}`);
} finally {
  await server.close();
  await prepared.dispose();
}
const profiles = readdirSync(profileDir).map((name) => path.join(profileDir, name)).sort((a, b) => statSync(b).size - statSync(a).size);
console.log(`largest profile (the kernel's): ${profiles[0]}`);
