// Splits one kernel start into phases and times each, with the resident memory after it.
//
// Runs in one fresh process (node --no-node-snapshot, as the kernel runs) on
// a prepared data directory. The phases follow the order of `mify start`:
// module imports, opening PGlite, the migrations check, assembling the kernel,
// and starting the HTTP server, which imports the studio handler.
// The kernel is assembled twice, without and then with extensions, because
// its extension loading cannot be timed from outside. So the cost of loading
// extensions is the difference of the two assemblies, an estimate. Both
// assemblies reopen PGlite, which an earlier phase opened and closed once.
//
// Run: node --no-node-snapshot bench/startup/phases.mjs
// (or `pnpm --filter @mify/bench run bench:startup:phases`).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, assertKernelBuilt, prepareDataDir, removeDataDir } from '../lib/kernel.mjs';
import { waitForQuietMachine } from '../lib/machine.mjs';
import { markdownTable, round } from '../lib/stats.mjs';

/** Busy CPU of the machine, in percent of one CPU, below which the measurement starts. */
const QUIET_PERCENT = 20;
/** Longest wait for that quiet before measuring anyway, in milliseconds. */
const QUIET_WAIT_MS = 60_000;

const kernelDist = (file) => pathToFileURL(path.join(REPO_ROOT, 'kernel/dist', file)).href;

const phases = [];
let previous = performance.now();

function mark(name) {
  const now = performance.now();
  phases.push({ phase: name, ms: now - previous, rssMiB: process.memoryUsage().rss / 1024 / 1024 });
  previous = now;
}

async function main() {
  if (!process.execArgv.includes('--no-node-snapshot')) {
    throw new Error('Run this script with `node --no-node-snapshot`, as the kernel runs; isolated-vm needs the flag.');
  }
  assertKernelBuilt();
  const { dataDir } = await prepareDataDir({ withApiKey: false });

  try {
    const busyPercent = await waitForQuietMachine({ thresholdPercent: QUIET_PERCENT, maxWaitMs: QUIET_WAIT_MS });
    if (busyPercent > QUIET_PERCENT) console.log(`The machine stayed busy (${Math.round(busyPercent)} % of one CPU), so the phases take longer than on an idle machine.`);
    await measure(dataDir);
  } finally {
    await removeDataDir(dataDir);
  }

  console.log(markdownTable(['phase', 'ms', 'RSS after, MiB'], phases.map((p) => [p.phase, round(p.ms, 0), round(p.rssMiB, 0)])));
}

async function measure(dataDir) {
  const env = { MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'warn', MIFY_HOST: '127.0.0.1', MIFY_PORT: '0' };
  previous = performance.now();
  mark('baseline (Node started, bench helpers loaded)');

  const { loadConfig } = await import(kernelDist('config.js'));
  mark('import config (zod)');
  const { openDatabase } = await import(kernelDist('storage/database.js'));
  mark('import storage (PGlite, Prisma client, pg)');
  const { migrate } = await import(kernelDist('storage/migrator.js'));
  const { createLogger } = await import(kernelDist('logger.js'));
  mark('import migrator and logger (pino)');
  const { createKernel } = await import(kernelDist('kernel.js'));
  mark('import the rest of the kernel (Hono, isolated-vm, Extism, routes)');
  const { startServer } = await import(kernelDist('server.js'));
  mark('import server (@hono/node-server)');

  const config = loadConfig(env);
  const logger = createLogger({ level: 'warn' });
  const db = await openDatabase({ dataDir: config.dataDir });
  mark('open PGlite (first open: compiles its WebAssembly)');
  await migrate(db, { logger });
  mark('migrations check (all applied)');
  await db.query('select 1');
  mark('first query');
  await db.close();
  mark('close PGlite');

  const withoutExtensions = await createKernel({ config, logger, loadExtensions: false });
  mark('createKernel without extensions (reopens PGlite)');
  await withoutExtensions.close();
  mark('close kernel');

  const kernel = await createKernel({ config, logger });
  mark('createKernel with extensions (reopens PGlite)');
  const running = await startServer(kernel);
  mark('startServer (imports the studio handler, listens)');
  const health = await fetch(`${running.url}/api/health`);
  await health.arrayBuffer();
  mark(`first GET /api/health (${health.status})`);

  await new Promise((resolve) => setTimeout(resolve, 2_000));
  mark('idle 2 s');
  await running.close();
  mark('close server and kernel');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
