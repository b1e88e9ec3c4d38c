// Probe: what V8's WebAssembly tiering costs a kernel start, and what a higher tiering budget
// costs queries afterwards. Each case runs in a fresh process:
//   default    Node's defaults (tiering budget 1,800,000 in Node 20)
//   flag       --wasm-tiering-budget=<kernel value> on the command line
//   kernel     the kernel's own setting: kernel/dist/cli/v8-flags.js, imported first, as the CLI does
//   liftoff    --liftoff-only (no TurboFan for WebAssembly at all)
// A process opens the embedded database of a prepared data directory (PGlite, as the kernel
// opens it), runs the first Prisma query, then reads its CPU time and RSS after 1 s. Then it
// runs an aggregate over 5,000 rows of a scratch table 60 times and reports the times of run 1,
// runs 2–10, 11–30 and 31–60, which show how soon the query reaches its tiered-up speed.
//
// Run: node bench/probes/wasm-tiering.mjs   (settings: PROBE_ROUNDS, default 3)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT, assertKernelBuilt, prepareDataDir, removeDataDir } from '../lib/kernel.mjs';
import { waitForQuietMachine } from '../lib/machine.mjs';
import { readSettings } from '../lib/settings.mjs';
import { markdownTable, round, summarize } from '../lib/stats.mjs';

const settings = readSettings({ rounds: { variable: 'PROBE_ROUNDS', fallback: 3, min: 1, max: 50, unit: 'processes per case' } });
const kernelDist = (file) => pathToFileURL(path.join(REPO_ROOT, 'kernel/dist', file)).href;
/** Runs of the aggregate query per process. */
const QUERY_RUNS = 60;

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4] === 'kernel');
} else {
  await compare();
}

async function compare() {
  assertKernelBuilt();
  const { WASM_TIERING_BUDGET } = await import(kernelDist('cli/v8-flags.js'));
  const cases = [
    { name: 'default', flags: [] },
    { name: `--wasm-tiering-budget=${WASM_TIERING_BUDGET} on the command line`, flags: [`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`] },
    { name: 'kernel setting (v8-flags.js at run time)', flags: [], kernel: true },
    { name: '--liftoff-only', flags: ['--liftoff-only'] },
  ];

  const { dataDir } = await prepareDataDir({ withApiKey: false });
  const samples = new Map(cases.map((c) => [c.name, []]));
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const c of cases) {
        await waitForQuietMachine({ thresholdPercent: 20, maxWaitMs: 60_000 });
        const output = execFileSync(process.execPath, ['--no-node-snapshot', ...c.flags, fileURLToPath(import.meta.url), '--child', dataDir, c.kernel ? 'kernel' : 'plain'], { encoding: 'utf8' });
        samples.get(c.name).push(JSON.parse(output));
      }
    }
  } finally {
    await removeDataDir(dataDir);
  }

  const median = (name, key) => summarize(samples.get(name).map((s) => s[key])).median;
  console.log(markdownTable(
    ['case', 'open + first Prisma query, ms', 'process CPU after 1 s, ms', 'RSS after 1 s, MiB', 'query run 1, ms', 'runs 2–10', 'runs 11–30', 'runs 31–60'],
    cases.map((c) => [c.name, ...['openMs', 'cpuMs', 'rssMiB', 'firstMs', 'runs2to10Ms', 'runs11to30Ms', 'runs31to60Ms'].map((key) => round(median(c.name, key), key.endsWith('Ms') && key.startsWith('runs') ? 1 : 0))]),
  ));
  console.log(`Medians of ${settings.rounds} processes per case; query times are means per run within each process.`);
}

async function child(dataDir, withKernelFlags) {
  if (withKernelFlags) await import(kernelDist('cli/v8-flags.js'));
  const { openDatabase } = await import(kernelDist('storage/database.js'));

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const db = await openDatabase({ dataDir });
  await db.prisma.user.count();
  const openMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const cpu = process.cpuUsage(cpuBefore);
  const rssMiB = process.memoryUsage().rss / 1024 / 1024;

  const times = [];
  try {
    await db.exec(`create temporary table probe_rows as select 'w' || (g % 10) as ws, jsonb_build_object('i', g, 'text', repeat('x', 200)) as data from generate_series(1, 5000) g`);
    for (let i = 0; i < QUERY_RUNS; i++) {
      const queryStarted = performance.now();
      await db.query(`select ws, count(*), sum((data->>'i')::int), max(length(data::text)) from probe_rows group by ws`);
      times.push(performance.now() - queryStarted);
    }
  } finally {
    await db.close();
  }

  const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
  process.stdout.write(JSON.stringify({ openMs, cpuMs: (cpu.user + cpu.system) / 1000, rssMiB, firstMs: times[0], runs2to10Ms: mean(times.slice(1, 10)), runs11to30Ms: mean(times.slice(10, 30)), runs31to60Ms: mean(times.slice(30, 60)) }));
}
