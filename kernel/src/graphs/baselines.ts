import { newId } from '../auth/tokens.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RunService } from '../runtime/run-service.js';
import { toJsonb } from '../runtime/run-store.js';
import type { RunStatus } from '../runtime/types.js';
import type { Database } from '../storage/database.js';
import { compareNodeOutputs, nodeOutputsOf, type NodeComparison, type NodeOutput } from './output-diff.js';
import { decodeGraphCursor, encodeGraphCursor, type GraphActor } from './records.js';
import type { GraphService } from './service.js';

/** A graph's baseline as the API shows it: the run and a summary of the outputs kept. */
export interface BaselineInfo {
  graphId: string;
  runId: string;
  createdBy: string | null;
  createdAt: Date;
  nodes: Array<{ nodeId: string; nodeName: string; itemCount: number; truncated: boolean }>;
}

/** One comparison of a finished run with the baseline of its graph. */
export interface RunComparison {
  id: string;
  runId: string;
  baselineRunId: string;
  runStatus: RunStatus;
  createdAt: Date;
  /** Every node has status `same`. */
  identical: boolean;
  nodes: NodeComparison[];
}

export const DEFAULT_COMPARISON_PAGE_SIZE = 50;
export const MAX_COMPARISON_PAGE_SIZE = 200;

/** Run statuses whose outputs are compared; a cancelled run is not. */
const COMPARED_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed']);

/**
 * Time in milliseconds for which a graph found without a baseline is not looked up again, so
 * that its runs cost no query each. Setting or removing a baseline clears these findings at
 * once in this kernel process, and in the others through `announceChange` (pub/sub). A kernel
 * process without shared pub/sub starts comparing with a new baseline within this time.
 */
export const NO_BASELINE_TTL_MS = 1_000;
/** Pub/sub channel on which kernel processes announce baseline changes. */
export const BASELINE_CHANGES_CHANNEL = 'graphs:baselines-changed';
/** Graphs remembered without a baseline; past this number the findings are cleared. */
const MAX_GRAPHS_WITHOUT_BASELINE = 10_000;

export interface BaselineServiceDeps {
  db: Database;
  logger: Logger;
  graphService: Pick<GraphService, 'get'>;
  runService: Pick<RunService, 'get' | 'waitFor'>;
  /** Tells other kernel processes that a baseline was set or removed; they call `forgetMissing`. */
  announceChange?: () => void;
  /** Current time in milliseconds; `Date.now` unless a test sets it. */
  now?: () => number;
}

/**
 * Baselines of graphs and the comparison history of later runs. A baseline
 * keeps the output of every node of one succeeded run (each node's last
 * succeeded step), not only the terminal nodes, so a comparison shows where
 * in the graph a difference starts. Runs started through `track` are
 * compared with the baseline once they finish.
 */
export class BaselineService {
  /** Comparisons waiting for their run to finish, or being written. */
  private readonly pending = new Set<Promise<void>>();
  /** Graphs found without a baseline, each with the time until which that finding is reused; see NO_BASELINE_TTL_MS. */
  private readonly withoutBaseline = new Map<string, number>();
  /** Counts baseline changes, so that a lookup that ran while one happened remembers nothing. */
  private changes = 0;
  private closed = false;

  constructor(private readonly deps: BaselineServiceDeps) {}

  /** Drops the findings that graphs have no baseline, after a baseline changed in this or another process. */
  forgetMissing(): void {
    this.changes += 1;
    this.withoutBaseline.clear();
  }

  private baselineChanged(): void {
    this.forgetMissing();
    this.deps.announceChange?.();
  }

  /**
   * Makes a succeeded run of the graph its baseline, replacing any earlier one.
   *
   * @throws NotFoundError for a graph or run of another workspace; ConflictError when the run
   * belongs to another graph or did not succeed.
   */
  async setBaseline(workspaceId: string, graphId: string, runId: string, actor: GraphActor): Promise<BaselineInfo> {
    await this.deps.graphService.get(workspaceId, graphId);
    const run = await this.deps.runService.get(workspaceId, runId);
    if (run.graphId !== graphId) throw new ConflictError(`Run '${runId}' is not a run of graph '${graphId}'${run.graphId ? ` but of graph '${run.graphId}'` : ''}; choose a run of this graph.`, { runGraphId: run.graphId });
    if (run.status !== 'succeeded') throw new ConflictError(`Run '${runId}' has status '${run.status}'; only a succeeded run can be the baseline.`, { status: run.status });

    const outputs = nodeOutputsOf(run.steps);
    const [row] = await this.deps.db.query<BaselineRow>(
      `insert into graph_baselines (graph_id, workspace_id, run_id, outputs, created_by) values ($1, $2, $3, $4::jsonb, $5)
       on conflict (graph_id) do update set run_id = excluded.run_id, outputs = excluded.outputs, created_by = excluded.created_by, created_at = now()
       where graph_baselines.workspace_id = excluded.workspace_id
       returning graph_id, run_id, outputs, created_by, created_at`,
      [graphId, workspaceId, runId, toJsonb(toStoredOutputs(outputs)), actor.id],
    );
    this.baselineChanged();
    this.deps.logger.info({ workspaceId, graphId, runId, nodes: Object.keys(outputs).length, actor: actor.id }, 'graph baseline set');
    return toBaselineInfo(row!);
  }

  /** @throws NotFoundError when the graph has no baseline. */
  async getBaseline(workspaceId: string, graphId: string): Promise<BaselineInfo> {
    await this.deps.graphService.get(workspaceId, graphId);
    const row = await this.findBaseline(workspaceId, graphId);
    if (!row) throw new NotFoundError('Baseline of graph', graphId);
    return toBaselineInfo(row);
  }

  /** Removes the baseline; the comparison history stays. @throws NotFoundError when there is none. */
  async deleteBaseline(workspaceId: string, graphId: string): Promise<void> {
    await this.deps.graphService.get(workspaceId, graphId);
    const rows = await this.deps.db.query('delete from graph_baselines where workspace_id = $1 and graph_id = $2 returning graph_id', [workspaceId, graphId]);
    if (rows.length === 0) throw new NotFoundError('Baseline of graph', graphId);
    this.baselineChanged();
  }

  /**
   * Compares a run with the graph's baseline once it has finished, in the
   * background. Failures are logged, never thrown: the run's own result does
   * not depend on its comparison. The returned promise settles once the
   * comparison is stored or skipped.
   */
  track(workspaceId: string, graphId: string, runId: string): Promise<void> {
    const task = this.deps.runService
      .waitFor(workspaceId, runId)
      .then(() => (this.closed ? null : this.compareRun(workspaceId, graphId, runId)))
      .then(
        () => undefined,
        (error: unknown) => this.deps.logger.error({ workspaceId, graphId, runId, err: error }, 'could not compare the run with the graph baseline'),
      );
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
    return task;
  }

  /**
   * Compares a finished run with the baseline and stores the result. Returns
   * null, storing nothing, when the graph has no baseline, the run is the
   * baseline itself, or the run was cancelled or has not finished.
   */
  async compareRun(workspaceId: string, graphId: string, runId: string): Promise<RunComparison | null> {
    const key = `${workspaceId}/${graphId}`;
    const now = this.deps.now ?? Date.now;
    const knownMissing = this.withoutBaseline.get(key);
    if (knownMissing !== undefined && knownMissing > now()) return null;

    const changesBefore = this.changes;
    const baseline = await this.findBaseline(workspaceId, graphId);
    if (!baseline) {
      if (this.changes === changesBefore) {
        if (this.withoutBaseline.size >= MAX_GRAPHS_WITHOUT_BASELINE) this.withoutBaseline.clear();
        this.withoutBaseline.set(key, now() + NO_BASELINE_TTL_MS);
      }
      return null;
    }
    if (baseline.run_id === runId) return null;
    const run = await this.deps.runService.get(workspaceId, runId);
    if (!COMPARED_STATUSES.has(run.status)) return null;

    const nodes = compareNodeOutputs(fromStoredOutputs(baseline.outputs), nodeOutputsOf(run.steps));
    const identical = nodes.every((node) => node.status === 'same');
    const [row] = await this.deps.db.query<ComparisonRow>(
      `insert into graph_run_comparisons (id, workspace_id, graph_id, run_id, baseline_run_id, run_status, identical, nodes)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
       on conflict (run_id) do nothing
       returning ${COMPARISON_COLUMNS}`,
      [newId('cmp'), workspaceId, graphId, runId, baseline.run_id, run.status, identical, toJsonb(nodes)],
    );
    if (!row) return null;

    this.deps.logger.info({ workspaceId, graphId, runId, baselineRunId: baseline.run_id, identical }, 'run compared with the graph baseline');
    return toComparison(row);
  }

  /** Comparisons of a graph's runs, newest first; `nextCursor` is null on the last page. */
  async history(workspaceId: string, graphId: string, options: { cursor?: string | undefined; limit?: number | undefined } = {}): Promise<{ items: RunComparison[]; nextCursor: string | null }> {
    await this.deps.graphService.get(workspaceId, graphId);
    const limit = Math.min(Math.max(options.limit ?? DEFAULT_COMPARISON_PAGE_SIZE, 1), MAX_COMPARISON_PAGE_SIZE);
    const params: unknown[] = [workspaceId, graphId, limit + 1];
    let after = '';
    if (options.cursor !== undefined) {
      const cursor = decodeGraphCursor(options.cursor);
      params.push(cursor.createdAt, cursor.id);
      after = 'and (created_at, id) < ($4, $5)';
    }

    const rows = await this.deps.db.query<ComparisonRow>(
      `select ${COMPARISON_COLUMNS} from graph_run_comparisons where workspace_id = $1 and graph_id = $2 ${after}
       order by created_at desc, id desc limit $3`,
      params,
    );
    const page = rows.slice(0, limit).map(toComparison);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rows.length > limit && last ? encodeGraphCursor(last) : null };
  }

  /** Stops comparing runs that finish from now on and waits for comparisons being written. */
  async dispose(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }

  private async findBaseline(workspaceId: string, graphId: string): Promise<BaselineRow | null> {
    const [row] = await this.deps.db.query<BaselineRow>('select graph_id, run_id, outputs, created_by, created_at from graph_baselines where workspace_id = $1 and graph_id = $2', [workspaceId, graphId]);
    return row ?? null;
  }
}

/** Node outputs as stored: an array, because jsonb does not keep the order of object keys. */
type StoredOutputs = Array<NodeOutput & { nodeId: string }>;

interface BaselineRow {
  graph_id: string;
  run_id: string;
  outputs: StoredOutputs;
  created_by: string | null;
  created_at: Date | string;
}

const COMPARISON_COLUMNS = 'id, run_id, baseline_run_id, run_status, identical, nodes, created_at';

interface ComparisonRow {
  id: string;
  run_id: string;
  baseline_run_id: string;
  run_status: RunStatus;
  identical: boolean;
  nodes: NodeComparison[];
  created_at: Date | string;
}

function toBaselineInfo(row: BaselineRow): BaselineInfo {
  return {
    graphId: row.graph_id,
    runId: row.run_id,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    nodes: row.outputs.map((output) => ({
      nodeId: output.nodeId,
      nodeName: output.nodeName,
      itemCount: Object.values(output.ports).reduce((sum, items) => sum + items.length, 0),
      truncated: output.truncated,
    })),
  };
}

function toComparison(row: ComparisonRow): RunComparison {
  return { id: row.id, runId: row.run_id, baselineRunId: row.baseline_run_id, runStatus: row.run_status, createdAt: new Date(row.created_at), identical: row.identical, nodes: row.nodes };
}

function toStoredOutputs(outputs: Record<string, NodeOutput>): StoredOutputs {
  return Object.entries(outputs).map(([nodeId, output]) => ({ nodeId, ...output }));
}

function fromStoredOutputs(stored: StoredOutputs): Record<string, NodeOutput> {
  const outputs: Record<string, NodeOutput> = {};
  for (const { nodeId, ...output } of stored) outputs[nodeId] = output;
  return outputs;
}
