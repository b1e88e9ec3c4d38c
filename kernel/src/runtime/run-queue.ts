/** A run waiting for, or holding, a concurrency slot. */
export interface QueuedRun {
  runId: string;
  workspaceId: string;
  /** Null for graphs sent inline, which have no per-graph limit. */
  graphId: string | null;
  /** `graph.settings.maxConcurrentRuns` of the run's graph; undefined for no per-graph limit. */
  graphLimit: number | undefined;
  /** Starts the run; called once, when it gets its slots. */
  start: () => void;
}

/**
 * Admits runs within two limits: runs executing at once per workspace, and per graph (its
 * `maxConcurrentRuns` setting). A run that does not fit waits. When a run ends, the waiting
 * runs are admitted first-come first-served, skipping those whose workspace or graph is
 * still full.
 *
 * NOTE: the counts live in this process only, so several kernel processes on one database
 * each allow the full limit. Limits across processes come with the durable run back end.
 */
export class RunQueue {
  private readonly waiting: QueuedRun[] = [];
  private readonly runningByWorkspace = new Map<string, number>();
  private readonly runningByGraph = new Map<string, number>();

  constructor(private readonly maxPerWorkspace: number) {}

  /** Starts the run now when both limits allow it; otherwise queues it. Returns whether it started. */
  submit(run: QueuedRun): boolean {
    this.waiting.push(run);
    this.drain();
    return !this.waiting.includes(run);
  }

  /** Frees the slots of a run that ended and admits waiting runs that now fit. */
  release(run: Pick<QueuedRun, 'workspaceId' | 'graphId'>): void {
    decrement(this.runningByWorkspace, run.workspaceId);
    if (run.graphId !== null) decrement(this.runningByGraph, run.graphId);
    this.drain();
  }

  /** Removes a waiting run, e.g. when it is cancelled. Returns false when it is not waiting. */
  remove(runId: string): boolean {
    const index = this.waiting.findIndex((run) => run.runId === runId);
    if (index === -1) return false;
    this.waiting.splice(index, 1);
    return true;
  }

  /** Takes every waiting run out of the queue, e.g. at shutdown. */
  clear(): QueuedRun[] {
    return this.waiting.splice(0, this.waiting.length);
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  private drain(): void {
    for (let index = 0; index < this.waiting.length; ) {
      const run = this.waiting[index]!;
      if (!this.fits(run)) {
        index++;
        continue;
      }
      this.waiting.splice(index, 1);
      this.admit(run);
    }
  }

  private fits(run: QueuedRun): boolean {
    if ((this.runningByWorkspace.get(run.workspaceId) ?? 0) >= this.maxPerWorkspace) return false;
    if (run.graphId !== null && run.graphLimit !== undefined && (this.runningByGraph.get(run.graphId) ?? 0) >= run.graphLimit) return false;
    return true;
  }

  private admit(run: QueuedRun): void {
    this.runningByWorkspace.set(run.workspaceId, (this.runningByWorkspace.get(run.workspaceId) ?? 0) + 1);
    if (run.graphId !== null) this.runningByGraph.set(run.graphId, (this.runningByGraph.get(run.graphId) ?? 0) + 1);
    run.start();
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const count = (counts.get(key) ?? 0) - 1;
  if (count <= 0) counts.delete(key);
  else counts.set(key, count);
}
