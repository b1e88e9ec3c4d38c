// Splits one kernel start into phases and times each, with the resident memory after it.
//
// Runs in one fresh process (node --no-node-snapshot, as the kernel runs) on a prepared data
// directory. The phases follow `mify start`: the V8 flags, the modules, opening PGlite,
// assembling the kernel (migrations check included), listening and the first /api/health.
// Then come the first Prisma query (the setup check) and the registration of the extensions,
// whose sandboxes start on first call. `mify start` overlaps the import of the rest of the
// kernel with opening PGlite. Here they run one after the other, so that each can be timed,
// and the sum is about 60 ms more than a start. The last phases show the memory after 2 s of
// idle, and what starting every extension's sandbox costs, as every start did before.
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

  await import(kernelDist('cli/v8-flags.js'));
  const { loadConfig } = await import(kernelDist('config.js'));
  const { openDatabase } = await import(kernelDist('storage/database.js'));
  mark('import V8 flags, config and storage (zod, PGlite, Prisma client)');
  await import(kernelDist('cli/main.js'));
  const { createKernel } = await import(kernelDist('kernel.js'));
  const { startServer } = await import(kernelDist('server.js'));
  const { createLogger } = await import(kernelDist('logger.js'));
  mark('import the rest of the kernel (Hono, routes, isolated-vm, CLI)');

  const config = loadConfig(env);
  const logger = createLogger({ level: 'warn' });
  const db = await openDatabase({ dataDir: config.dataDir });
  mark('open PGlite');
  const kernel = await createKernel({ config, logger, loadExtensions: false, database: Promise.resolve(db) });
  mark('createKernel: migrations check, services, routes');
  const running = await startServer(kernel);
  mark('startServer: studio handler import, listen');
  const health = await fetch(`${running.url}/api/health`);
  await health.arrayBuffer();
  mark(`first GET /api/health (${health.status})`);

  await kernel.services.userService.needsSetup();
  mark("first Prisma query (setup check; loads Prisma's query compiler)");
  await kernel.services.extensionHost.start();
  const extensions = await kernel.services.extensionHost.list();
  mark(`register and load ${extensions.length} extensions (sandboxes on first call)`);

  await new Promise((resolve) => setTimeout(resolve, 2_000));
  mark('idle 2 s');
  await kernel.services.extensionHost.startSandboxes();
  mark('start every sandbox (what each start did before)');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  mark('idle 2 s');
  await running.close();
  mark('close server and kernel');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
