// Returns memory that `mify start` no longer uses to the operating system while it is idle.
//
// - A kernel that has just started keeps about 60 MiB of freed memory resident in glibc's
//   per-thread arenas. PostgreSQL in WebAssembly, V8's background compilers and the extension
//   loading allocate and free on their own threads, and glibc keeps what they free. The native
//   addon's `trim` (`malloc_trim`) releases it.
// - V8's young generation grows to 32 MiB during start-up, and V8 shrinks it only in a
//   collection that aims to reduce memory, which its memory reducer starts 8 to 14 s after start
//   or later. The addon's `reduceHeap` starts one at once. A plain full collection (`gc()` of
//   `--expose-gc`) does not shrink it.
//
// bench/README.md ("Start-up") has the figures. Both run only after an interval in which the
// event loop was nearly idle, so they do not delay requests.
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
  /** Starts a garbage collection that shrinks V8's heap; it runs before each trim. */
  reduceHeap?: () => void;
  /** Time between `reduceHeap` and the trim, for the collection to finish, in milliseconds. */
  settleMs?: number;
  /** Largest share of the last interval that the event loop was busy for the process to count as idle. */
  idleUtilization?: number;
  /** Growth of the resident set since the last trim that a check needs to trim again, in bytes. */
  minGrowthBytes?: number;
  /** Reads the resident set size in bytes; process.memoryUsage.rss by default. */
  rss?: () => number;
  logger?: Pick<Logger, 'debug'>;
}

export interface IdleMemoryTrim {
  /** Number of checks made so far, with or without a trim. */
  readonly checks: number;
  /** Number of trims made so far. */
  readonly trims: number;
  stop(): void;
}

export const DEFAULT_IDLE_UTILIZATION = 0.1;
export const DEFAULT_MIN_GROWTH_BYTES = 4 * 1024 * 1024;
/** Time a heap-reducing collection gets to finish before the trim, because its marking runs in later tasks. */
export const DEFAULT_SETTLE_MS = 500;

/**
 * Starts checks every `intervalMs` that reduce the heap and trim when the event loop was idle and
 * the resident set grew by `minGrowthBytes` since the last trim. Until the first trim, the checks
 * come every `firstDelayMs` and need no growth. The timers do not keep the process alive.
 */
export function startIdleMemoryTrim(options: IdleMemoryTrimOptions): IdleMemoryTrim {
  const idleUtilization = options.idleUtilization ?? DEFAULT_IDLE_UTILIZATION;
  const minGrowthBytes = options.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  let trims = 0;
  let checks = 0;
  let rssAfterLastTrim: number | null = null;
  let lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const trim = (rssBefore: number) => {
    const startedAt = performance.now();
    const released = options.trim();
    rssAfterLastTrim = rss();
    trims += 1;
    options.logger?.debug({ released, rssBefore, rssAfter: rssAfterLastTrim, trimMs: performance.now() - startedAt }, 'returned freed memory to the system');
    schedule(check, options.intervalMs);
  };
  const check = () => {
    checks += 1;
    const utilization = performance.eventLoopUtilization(lastUtilization);
    lastUtilization = performance.eventLoopUtilization();
    const before = rss();
    const grown = rssAfterLastTrim === null || before - rssAfterLastTrim >= minGrowthBytes;
    if (utilization.utilization > idleUtilization || !grown) {
      options.logger?.debug({ utilization: utilization.utilization, rss: before, grown }, 'memory trim skipped');
      // Until the first trim, which releases the most, checks keep the first delay.
      schedule(check, trims === 0 ? options.firstDelayMs : options.intervalMs);
    } else if (options.reduceHeap) {
      options.reduceHeap();
      schedule(() => trim(before), options.settleMs ?? DEFAULT_SETTLE_MS);
    } else {
      trim(before);
    }
  };
  const schedule = (next: () => void, delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(next, delayMs);
    timer.unref();
  };
  schedule(check, options.firstDelayMs);

  return {
    get checks() {
      return checks;
    },
    get trims() {
      return trims;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** The calls of `@mify/native` that this module uses. */
export interface NativeMemory {
  trim: TrimFunction;
  reduceHeap: () => boolean;
}

/** Loads `@mify/native`, or returns null with the reason it is unavailable. */
export function loadNativeMemory(): { native: NativeMemory | null; reason: string | null } {
  try {
    const native = createRequire(import.meta.url)('@mify/native') as NativeMemory & { available: boolean; loadError: Error | null };
    if (native.available) return { native, reason: null };
    return { native: null, reason: native.loadError ? `the addon was not built (${native.loadError.message})` : 'the C library has no malloc_trim' };
  } catch (error) {
    return { native: null, reason: `@mify/native could not be loaded (${(error as Error).message})` };
  }
}

