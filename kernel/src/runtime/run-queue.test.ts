import { describe, expect, it } from 'vitest';
import { RunQueue, type QueuedRun } from './run-queue.js';

describe('RunQueue', () => {
  const started: string[] = [];
  const entry = (runId: string, workspaceId: string, graphId: string | null = null, graphLimit?: number): QueuedRun => ({
    runId,
    workspaceId,
    graphId,
    graphLimit,
    start: () => started.push(runId),
  });

  it('queues past the workspace limit in order', () => {
    started.length = 0;
    const queue = new RunQueue(2);
    const runs = ['r1', 'r2', 'r3', 'r4'].map((id) => entry(id, 'ws'));

    expect(runs.map((run) => queue.submit(run))).toEqual([true, true, false, false]);
    queue.release(runs[0]!);
    expect(started).toEqual(['r1', 'r2', 'r3']);
    queue.release(runs[1]!);
    expect(started).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('applies the graph limit and lets other graphs pass a full one', () => {
    started.length = 0;
    const queue = new RunQueue(10);
    const first = entry('g1-a', 'ws', 'g1', 1);

    queue.submit(first);
    queue.submit(entry('g1-b', 'ws', 'g1', 1));
    queue.submit(entry('g2-a', 'ws', 'g2', 1));
    expect(started).toEqual(['g1-a', 'g2-a']);
    queue.release(first);
    expect(started).toEqual(['g1-a', 'g2-a', 'g1-b']);
  });

  it('keeps workspaces apart', () => {
    started.length = 0;
    const queue = new RunQueue(1);

    expect(queue.submit(entry('a1', 'A'))).toBe(true);
    expect(queue.submit(entry('b1', 'B'))).toBe(true);
    expect(queue.submit(entry('a2', 'A'))).toBe(false);
  });

  it('removes a waiting run', () => {
    started.length = 0;
    const queue = new RunQueue(1);
    const first = entry('r1', 'ws');

    queue.submit(first);
    queue.submit(entry('r2', 'ws'));
    expect(queue.remove('r2')).toBe(true);
    expect(queue.remove('r2')).toBe(false);
    queue.release(first);
    expect(started).toEqual(['r1']);
  });
});
