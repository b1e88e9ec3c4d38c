import { loadConfig } from '../config.js';
import { openDatabase, type Database } from '../storage/database.js';

/**
 * Starts opening the database of `mify start` before the rest of the CLI is imported, so that
 * PGlite's start-up and the loading of the kernel's modules fill each other's waits for files
 * and compilation. This saved about 60 ms of a 0.95 s start (bench/startup).
 *
 * Returns null for every other command, for `--help`, and when the configuration is invalid,
 * because `mify start` then opens nothing or reports the error itself. An error of the returned
 * promise is for the start command to report, so the promise is marked handled here.
 */
export function openDatabaseForStart(argv: readonly string[], env: Record<string, string | undefined>): Promise<Database> | null {
  if (argv[0] !== 'start' || argv.includes('--help') || argv.includes('-h')) return null;

  let config;
  try {
    config = loadConfig(env);
  } catch {
    return null;
  }

  const opening = (async () => {
    await warmUpNextTick();
    return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteThread: config.pgliteThread });
  })();
  opening.catch(() => {});
  return opening;
}

/** `process.nextTick` calls made before the database opens; enough for V8 to optimise nextTick first. */
const WARM_UP_TICKS = 10_000;

/**
 * Calls `process.nextTick` WARM_UP_TICKS times and waits for the calls to run.
 *
 * NOTE: opening PGlite this early, before nextTick has been optimised, left every later HTTP
 * request about 3 µs slower in V8 slow paths under nextTick (seen with perf, and reproduced by
 * bench/probes/pglite-next-tick.mjs on a bare Hono app). The cause inside V8 is not known; the
 * warm-up removes the effect in that probe and costs about 1 ms.
 */
async function warmUpNextTick(): Promise<void> {
  for (let index = 0; index < WARM_UP_TICKS; index++) process.nextTick(noop);
  await new Promise((resolve) => setImmediate(resolve));
}

function noop(): void {}
