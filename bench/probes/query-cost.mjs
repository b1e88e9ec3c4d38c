// Probe: CPU time of single queries on the kernel's embedded database
// (PGlite), raw and through the Prisma client, one at a time in a loop.
//
// Run: node --no-node-snapshot bench/probes/query-cost.mjs
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, assertKernelBuilt, prepareDataDir, removeDataDir } from '../lib/kernel.mjs';
import { markdownTable, round } from '../lib/stats.mjs';

const WARMUP_CALLS = 300;
const MEASURED_CALLS = 3_000;

assertKernelBuilt();
const { openDatabase } = await import(pathToFileURL(path.join(REPO_ROOT, 'kernel/dist/storage/database.js')).href);
const { dataDir, workspaceSlug } = await prepareDataDir({ withApiKey: false });
const db = await openDatabase({ dataDir, pgliteThread: process.env.MIFY_PGLITE_THREAD ?? 'worker' });
const rows = [];

try {
  const [{ id }] = await db.query('select id from workspaces where slug = $1', [workspaceSlug]);
  await time('PGlite query: select 1', () => db.query('select 1'));
  await time('Prisma $queryRaw: select 1', () => db.prisma.$queryRaw`select 1`);
  await time('Prisma workspace.findUnique by id', () => db.prisma.workspace.findUnique({ where: { id } }));
  await time('Prisma workspace.findFirst by id or slug (as GET /api/workspace)', () => db.prisma.workspace.findFirst({ where: { OR: [{ id }, { slug: id }] } }));
} finally {
  await db.close();
  await removeDataDir(dataDir);
}
console.log(markdownTable(['query', 'wall µs per call', 'CPU µs per call (all threads)'], rows));

async function time(name, call) {
  for (let i = 0; i < WARMUP_CALLS; i++) await call();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < MEASURED_CALLS; i++) await call();
  const wallUs = ((performance.now() - started) * 1000) / MEASURED_CALLS;
  const cpu = process.cpuUsage(cpuBefore);
  rows.push([name, round(wallUs, 0), round((cpu.user + cpu.system) / MEASURED_CALLS, 0)]);
}
