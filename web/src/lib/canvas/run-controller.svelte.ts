import { toProblem, type CanvasApi, type Problem } from '$lib/api';
import { applyRunEvent, errorMessage, itemsByNode, statesFromCanvasResult, statesFromRun, type NodeItems, type NodeRunState, type RunEvent } from './run-state';
import { followRunEvents } from './sse';
import type { CanvasExecuteInput, CanvasExecuteResult, RunRecord } from './types';

/** Interval of the look-ups for the run a canvas request started, in milliseconds. */
const DISCOVER_INTERVAL_MS = 250;
/** Events of the current run kept for the event log; older ones are dropped first. */
export const EVENT_LOG_MAX_ENTRIES = 500;

/** One line of the run's event log. */
export interface RunLogEntry {
  id: number;
  type: string;
  nodeName: string | null;
  detail: string | null;
}

/**
 * Runs the graph from the editor and keeps what the canvas shows of it: live
 * node states from the run's events, the recorded items of each node, and the
 * dirty and oversized flags of the latest canvas run.
 */
export class RunController {
  runStates = $state<Record<string, NodeRunState>>({});
  runItems = $state.raw<Map<string, NodeItems>>(new Map());
  /** The latest run, or null before the first. */
  run = $state.raw<RunRecord | null>(null);
  running = $state(false);
  problem = $state<Problem | null>(null);
  /**
   * Dirty nodes of the latest canvas run, with the definition key of the
   * canvas it ran (see `definitionKey`), or null when none ran since loading.
   */
  kernelDirty = $state.raw<{ key: string; nodes: Set<string> } | null>(null);
  oversized = $state.raw<Set<string>>(new Set());
  lastCanvasResult = $state.raw<CanvasExecuteResult | null>(null);
  /** Events of the latest run in the order they arrived. */
  log = $state.raw<RunLogEntry[]>([]);

  constructor(
    private readonly api: CanvasApi,
    private readonly workspace: string,
  ) {}

  /** Shows a run that finished before the editor opened, so completions have fields to offer. */
  showRun(run: RunRecord): void {
    this.run = run;
    this.runItems = itemsByNode(run);
    this.runStates = statesFromRun(run);
  }

  /** Starts a run of the stored draft and follows its events until it finishes. */
  async runDraft(graphId: string): Promise<RunRecord | null> {
    if (this.running) return null;
    this.begin();
    try {
      const started = await this.api.runDraft(graphId);
      this.run = started;
      await this.follow(started.id);
      return await this.finish(started.id);
    } catch (error) {
      this.problem = toProblem(error);
      return null;
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs the canvas state through `POST /api/canvas-execute`. The response
   * comes only when the run has finished, so the run's id is looked up among
   * the graph's new runs while the request is pending, to follow its events.
   */
  async runCanvas(input: CanvasExecuteInput, definitionKey: string): Promise<CanvasExecuteResult | null> {
    if (this.running) return null;
    this.begin();
    const known = new Set((await this.recentRuns(input.graphId)).map((run) => run.id));
    const controller = new AbortController();
    let followed: Promise<void> = Promise.resolve();

    try {
      const request = this.api.canvasExecute(input);
      let settled = false;
      void request.finally(() => (settled = true)).catch(() => undefined);

      while (!settled) {
        await new Promise((resolve) => setTimeout(resolve, DISCOVER_INTERVAL_MS));
        if (settled) break;
        const fresh = (await this.recentRuns(input.graphId)).find((run) => !known.has(run.id) && run.mode === 'partial');
        if (fresh) {
          this.run = fresh;
          followed = this.follow(fresh.id, controller.signal).catch((error: unknown) => {
            if (!controller.signal.aborted) console.warn(`Live events of run ${fresh.id} stopped`, error);
          });
          break;
        }
      }

      const result = await request;
      controller.abort();
      await followed;
      this.lastCanvasResult = result;
      this.kernelDirty = { key: definitionKey, nodes: new Set(result.nodes.filter((node) => node.dirty).map((node) => node.nodeId)) };
      this.oversized = new Set(result.nodes.filter((node) => node.oversized).map((node) => node.nodeId));

      const run = await this.api.getRun(result.runId);
      this.run = run;
      const items = itemsByNode(run);
      // Reused and pinned nodes did not run, so their items come from the cache or the pins, not from steps.
      for (const [nodeId, previous] of this.runItems) if (!items.has(nodeId) && result.nodes.some((node) => node.nodeId === nodeId && node.status === 'reused')) items.set(nodeId, previous);
      this.runItems = items;
      this.runStates = statesFromCanvasResult(result);
      if (run.status === 'failed') this.problem = runFailure(run);
      return result;
    } catch (error) {
      controller.abort();
      this.problem = toProblem(error);
      return null;
    } finally {
      this.running = false;
    }
  }

  /** Lists the graph's newest runs; a failure only costs the live events, so it is logged and yields none. */
  private async recentRuns(graphId: string): Promise<RunRecord[]> {
    try {
      return (await this.api.recentRuns(graphId, 10)).items;
    } catch (error) {
      console.warn(`Could not list the runs of graph ${graphId} to follow the canvas run live`, error);
      return [];
    }
  }

  private begin(): void {
    this.running = true;
    this.problem = null;
    this.runStates = {};
    this.log = [];
  }

  private async follow(runId: string, signal?: AbortSignal): Promise<void> {
    await followRunEvents(runId, {
      workspace: this.workspace,
      signal,
      onEvent: (event) => {
        this.runStates = applyRunEvent(this.runStates, event);
        this.log = [...this.log, logEntryOf(event)].slice(-EVENT_LOG_MAX_ENTRIES);
        if (event.type === 'run.finished' && this.run) this.run = { ...this.run, status: event.data.status as RunRecord['status'] };
      },
    });
  }

  private async finish(runId: string): Promise<RunRecord> {
    const run = await this.api.getRun(runId);
    this.run = run;
    this.runItems = itemsByNode(run);
    this.runStates = statesFromRun(run);
    if (run.status === 'failed') this.problem = runFailure(run);
    return run;
  }
}

function logEntryOf(event: RunEvent): RunLogEntry {
  const nodeName = typeof event.data.nodeName === 'string' ? event.data.nodeName : null;
  let detail: string | null = errorMessage(event.data.error);
  if (event.type === 'run.finished' && typeof event.data.status === 'string') detail = detail === null ? event.data.status : `${event.data.status}: ${detail}`;
  else if (detail === null && typeof event.data.outputItemCount === 'number') detail = `${event.data.outputItemCount} ${event.data.outputItemCount === 1 ? 'item' : 'items'}`;
  return { id: event.id, type: event.type, nodeName, detail };
}

/** Describes a failed run as a problem to show above the canvas. */
function runFailure(run: RunRecord): Problem {
  const error = run.error;
  const where = error?.nodeName ? ` at node "${error.nodeName}"` : '';
  return { type: 'about:blank', title: 'Run failed', status: 0, code: error?.code ?? 'run_failed', detail: `The run failed${where}: ${error?.message ?? 'no error was recorded'}. Open the node's output or the run page for details.` };
}
