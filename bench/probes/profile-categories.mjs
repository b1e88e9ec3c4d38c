// Sums the samples of a V8 CPU profile (.cpuprofile, as written by
// `node --cpu-prof`) by category of code, within a time window that ends
// shortly before the profile ends. With BENCH_CPU_PROF_DIR set, bench/http
// stops each kernel right after its measured run, so the default window of the
// last 10 s is that run.
//
// Run: node bench/probes/profile-categories.mjs PROFILE [WINDOW_S=10] [SKIP_END_MS=150]
//
// The profiler samples the main thread on a wall-clock interval. A sample taken
// while the thread waits in a system call, or while the operating system runs
// another process, lands in the frame that was running. So on a machine where
// the load generator shares the CPUs, system calls such as socket writes get a
// larger share than their CPU time.
import { readFileSync } from 'node:fs';
import { markdownTable, round } from '../lib/stats.mjs';

/** Categories in match order: the first whose test passes gets the sample. */
const CATEGORIES = [
  ['PGlite, WebAssembly (Postgres itself)', (url, name) => url.startsWith('wasm://') || name === 'GenericJSToWasmWrapper'],
  ['PGlite, JavaScript (protocol, file system calls)', (url) => url.includes('@electric-sql/pglite')],
  ['Prisma client and PGlite adapter', (url) => url.includes('@prisma/') || url.includes('pglite-prisma-adapter')],
  ['kernel code', (url) => url.includes('/kernel/dist/')],
  ['Hono', (url) => url.includes('/hono/dist/')],
  ['@hono/node-server', (url) => url.includes('@hono/node-server')],
  ['Fetch API objects (undici Request, AbortSignal)', (url) => url.includes('internal/deps/undici') || url.includes('internal/abort_controller') || url.includes('internal/event_target')],
  ['Node HTTP and socket writes', (url) => /^node:(_http|net|stream|internal\/stream|internal\/http)/.test(url)],
  ['zod', (url) => url.includes('/zod/')],
  ['pino', (url) => url.includes('/pino')],
  ['garbage collector', (_url, name) => name === '(garbage collector)'],
  ['idle', (_url, name) => name === '(idle)'],
  ['other Node internals', (url) => url.startsWith('node:')],
  ['other', () => true],
];

const [file, windowS = '10', skipEndMs = '150'] = process.argv.slice(2);
if (!file) {
  console.error('Missing the profile path. Usage: node bench/probes/profile-categories.mjs PROFILE [WINDOW_S] [SKIP_END_MS]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const windowEndUs = profile.endTime - Number(skipEndMs) * 1000;
const windowStartUs = windowEndUs - Number(windowS) * 1e6;

const totals = new Map(CATEGORIES.map(([name]) => [name, 0]));
let totalUs = 0;
let timeUs = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  timeUs += profile.timeDeltas[i];
  if (timeUs < windowStartUs || timeUs > windowEndUs) continue;

  // timeDeltas[i + 1] is the time until the next sample, which this sample represents.
  const durationUs = profile.timeDeltas[i + 1] ?? 0;
  const { url, functionName } = nodes.get(profile.samples[i]).callFrame;
  const [category] = CATEGORIES.find(([, test]) => test(url, functionName));
  totals.set(category, totals.get(category) + durationUs);
  totalUs += durationUs;
}

const rows = [...totals].filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]).map(([name, us]) => [name, round((100 * us) / totalUs, 1)]);
console.log(`${round(totalUs / 1e6, 2)} s of main-thread samples\n`);
console.log(markdownTable(['category', '% of samples'], rows));
