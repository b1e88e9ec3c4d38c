import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeMemory, startIdleMemoryTrim, type IdleMemoryTrim } from './idle-memory.js';

const MiB = 1024 * 1024;
const KERNEL_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Keeps the event loop busy for `ms`, as a burst of requests would. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** Waits until `condition` returns true, polling every 10 ms for at most 5 s, because timers run late on a loaded machine. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not reached within 5 s');
    await sleep(10);
  }
}

describe('idle memory trim', () => {
  let running: IdleMemoryTrim | null = null;
  afterEach(() => {
    running?.stop();
    running = null;
  });

  it('trims at first idle check', async () => {
    let calls = 0;
    const trim = startIdleMemoryTrim({ trim: () => ++calls > 0, firstDelayMs: 50, intervalMs: 60_000 });
    running = trim;
    await waitFor(() => trim.trims === 1);
    // Checks before the trim found the loop busy (test start-up); after it, none comes for 60 s.
    const checksAtTrim = trim.checks;
    await sleep(200);
    expect(calls).toBe(1);
    expect(trim.checks).toBe(checksAtTrim);
  });

  it('skips trim while loop busy', async () => {
    let calls = 0;
    const trim = startIdleMemoryTrim({ trim: () => ++calls > 0, firstDelayMs: 100, intervalMs: 60_000 });
    running = trim;
    busyFor(150);
    await waitFor(() => trim.checks >= 1);
    expect(calls).toBe(0);
    expect(trim.trims).toBe(0);

    // The next check comes after the first delay again, not after the interval.
    await waitFor(() => trim.trims === 1);
    expect(calls).toBe(1);
  });

  it('trims again after enough growth', async () => {
    let rss = 300 * MiB;
    let calls = 0;
    const trim = startIdleMemoryTrim({
      trim: () => {
        calls += 1;
        rss -= 60 * MiB;
        return true;
      },
      rss: () => rss,
      firstDelayMs: 10,
      intervalMs: 20,
      minGrowthBytes: 4 * MiB,
      // This test is about the growth rule; every check counts as idle.
      idleUtilization: 1,
    });
    running = trim;
    await waitFor(() => calls === 1);

    rss += 3 * MiB;
    const checksAfterSmallGrowth = trim.checks;
    await waitFor(() => trim.checks >= checksAfterSmallGrowth + 2);
    expect(calls).toBe(1);

    rss += 2 * MiB;
    await waitFor(() => calls === 2);
    expect(trim.trims).toBe(2);
  });

  it('reduces the heap, then trims', async () => {
    const calls: Array<{ call: string; at: number }> = [];
    const trim = startIdleMemoryTrim({
      trim: () => calls.push({ call: 'trim', at: performance.now() }) > 0,
      reduceHeap: () => void calls.push({ call: 'reduceHeap', at: performance.now() }),
      settleMs: 100,
      firstDelayMs: 50,
      intervalMs: 60_000,
    });
    running = trim;
    await waitFor(() => trim.trims === 1);
    expect(calls.map((entry) => entry.call)).toEqual(['reduceHeap', 'trim']);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(95);
  });

  it('stop ends the checks', async () => {
    let calls = 0;
    running = startIdleMemoryTrim({ trim: () => ++calls > 0, firstDelayMs: 30, intervalMs: 30 });
    running.stop();
    await sleep(100);
    expect(calls).toBe(0);
  });

  it('lets the process exit', () => {
    // A process whose only timer is the trim's exits at once.
    const script = `
      import { startIdleMemoryTrim } from ${JSON.stringify(new URL('./idle-memory.ts', import.meta.url).href)};
      startIdleMemoryTrim({ trim: () => true, firstDelayMs: 60_000, intervalMs: 60_000 });
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: KERNEL_DIR, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('native memory calls (@mify/native)', () => {
  const { native, reason } = loadNativeMemory();
  const addonPath = JSON.stringify(createRequire(import.meta.url).resolve('@mify/native'));

  it('addon is built here', () => {
    // The addon is compiled when pnpm installs it (kernel/native/build.mjs); glibc has malloc_trim.
    expect(reason).toBeNull();
    expect(native?.trim).toBeTypeOf('function');
    expect(native?.reduceHeap).toBeTypeOf('function');
  });

  it('reduceHeap shrinks the young generation', () => {
    // A child process grows V8's young generation with objects that survive a few collections,
    // drops them, and compares the young generation's size before and after reduceHeap.
    const script = `
      const v8 = require('node:v8');
      const native = require(${addonPath});
      const youngMiB = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1048576;
      let survivors = [];
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 50000; i++) survivors.push({ round, i, text: 'item ' + i });
        if (survivors.length > 400000) survivors = survivors.slice(200000);
      }
      survivors = null;
      const before = youngMiB();
      native.reduceHeap();
      // The collection finishes in later tasks; on a loaded machine that can take a while.
      const startedAt = Date.now();
      const report = () => {
        if (youngMiB() > before / 4 && Date.now() - startedAt < 10000) return setTimeout(report, 100);
        console.log(JSON.stringify({ before, after: youngMiB() }));
      };
      setTimeout(report, 100);
    `;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 25_000 });
    expect(result.stderr).toBe('');
    const { before, after } = JSON.parse(result.stdout) as { before: number; after: number };
    expect(before).toBeGreaterThanOrEqual(16);
    expect(after).toBeLessThanOrEqual(before / 4);
  });

  it('releases freed allocator memory', () => {
    // A child process allocates 256 MiB in 64 KiB buffers, below glibc's mmap threshold, and keeps
    // every 16th, so the freed buffers leave holes that glibc does not give back on its own.
    const script = `
      const native = require(${addonPath});
      const rss = () => process.memoryUsage.rss();
      let buffers = [];
      for (let i = 0; i < 4096; i++) buffers.push(Buffer.alloc(64 * 1024, 1));
      const retained = buffers.filter((_, i) => i % 16 === 0);
      buffers = null;
      globalThis.gc();
      globalThis.gc();
      const before = rss();
      const released = native.trim();
      const after = rss();
      console.log(JSON.stringify({ retained: retained.length, before, after, released }));
    `;
    const result = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    const { before, after, released } = JSON.parse(result.stdout) as { before: number; after: number; released: boolean };
    expect(released).toBe(true);
    // 240 MiB was freed; most of it must leave the resident set.
    expect(before - after).toBeGreaterThan(150 * MiB);
  });
});
