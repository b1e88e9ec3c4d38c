// Returns memory that the C allocator freed to the operating system while `mify start` is idle.
//
// A kernel that has just started keeps about 60 MiB of freed memory resident in glibc's
// per-thread arenas: PostgreSQL in WebAssembly, V8's background compilers and the extension
// loading allocate and free on their own threads, and glibc keeps what they free. The native
// addon's `malloc_trim` releases it (bench/README.md, "Start-up", has the figures). The trim runs
// only after an interval in which the event loop was nearly idle, so it does not delay requests.
//
// NOTE: V8's young generation (32 MiB after start-up) shrinks only in the collections of V8's
// memory reducer, about 8 to 14 s after start. A full collection forced through `--expose-gc`
// did not shrink it and postponed the memory reducer by 8 s, so this module forces none.
import { createRequire } from 'node:module';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from 'pino';

/** A call that releases freed allocator memory and reports whether it released any. */
export type TrimFunction = () => boolean;

export interface IdleMemoryTrimOptions {
  /** Time between checks, in milliseconds. */
  intervalMs: number;
  /** Time until the first check, in milliseconds. */
  firstDelayMs: number;
  trim: TrimFunction;
  /** Largest share of the last interval that the event loop was busy for the process to count as idle. */
  idleUtilization?: number;
  /** Growth of the resident set since the last trim that a check needs to trim again, in bytes. */
  minGrowthBytes?: number;
  /** Reads the resident set size in bytes; process.memoryUsage.rss by default. */
  rss?: () => number;
  logger?: Pick<Logger, 'debug'>;
}

export interface IdleMemoryTrim {
  /** Number of trims made so far. */
  readonly trims: number;
  stop(): void;
}

export const DEFAULT_IDLE_UTILIZATION = 0.1;
export const DEFAULT_MIN_GROWTH_BYTES = 4 * 1024 * 1024;

/**
 * Starts checks every `intervalMs` that trim when the event loop was idle and the resident set
 * grew by `minGrowthBytes` since the last trim. The first check trims whenever the loop was idle.
 * The timers do not keep the process alive.
 */
export function startIdleMemoryTrim(options: IdleMemoryTrimOptions): IdleMemoryTrim {
  const idleUtilization = options.idleUtilization ?? DEFAULT_IDLE_UTILIZATION;
  const minGrowthBytes = options.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  let trims = 0;
  let rssAfterLastTrim: number | null = null;
  let lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();
  let timer: NodeJS.Timeout | null = null;

  const check = () => {
    const utilization = performance.eventLoopUtilization(lastUtilization);
    lastUtilization = performance.eventLoopUtilization();
    const before = rss();
    const grown = rssAfterLastTrim === null || before - rssAfterLastTrim >= minGrowthBytes;
    if (utilization.utilization <= idleUtilization && grown) {
      const startedAt = performance.now();
      const released = options.trim();
      rssAfterLastTrim = rss();
      trims += 1;
      options.logger?.debug({ released, rssBefore: before, rssAfter: rssAfterLastTrim, ms: performance.now() - startedAt }, 'returned freed memory to the system');
    } else {
      options.logger?.debug({ utilization: utilization.utilization, rss: before, grown }, 'memory trim skipped');
    }
    schedule(options.intervalMs);
  };
  const schedule = (delayMs: number) => {
    timer = setTimeout(check, delayMs);
    timer.unref();
  };
  schedule(options.firstDelayMs);

  return {
    get trims() {
      return trims;
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** Loads the native trim call of `@mify/native`, or returns null with the reason. */
export function loadNativeTrim(): { trim: TrimFunction | null; reason: string | null } {
  try {
    const native = createRequire(import.meta.url)('@mify/native') as { available: boolean; loadError: Error | null; trim: TrimFunction };
    if (native.available) return { trim: native.trim, reason: null };
    return { trim: null, reason: native.loadError ? `the addon was not built (${native.loadError.message})` : 'the C library has no malloc_trim' };
  } catch (error) {
    return { trim: null, reason: `@mify/native could not be loaded (${(error as Error).message})` };
  }
}

