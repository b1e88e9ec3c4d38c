import { MifyError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RunService } from '../runtime/run-service.js';
import type { DirectRunSaving } from '../runtime/direct-run-store.js';
import type { RunRecord, StepRow } from '../runtime/run-store.js';
import type { ExecutableGraph, SubgraphLoader } from '../runtime/types.js';
import type { BaselineService } from './baselines.js';
import type { Item, MifyGraph } from './model.js';
import type { GraphService } from './service.js';

/** Definition of a stored graph that a run executes: a version number, the live version, or the draft. */
export type VersionSelector = number | 'live' | 'draft';

/** The definition chosen for a run, as reported back. */
export interface ResolvedDefinition {
  graph: MifyGraph;
  /** Null for the draft. */
  versionId: string | null;
  /** Null for the draft. */
  versionNumber: number | null;
  /** Names the definition in messages: `the draft`, `version 3`. */
  label: string;
}

export interface StartGraphRunRequest {
  workspaceId: string;
  graphId: string;
  version: VersionSelector;
  input: Item[];
  /** Start mode of the run, e.g. `manual` or `api` (see StartRunRequest.mode). */
  mode: string;
  createdBy: string | null;
  wait: boolean;
  /** Id of the new run; see StartRunRequest.runId. */
  runId?: string;
  /**
   * The definition `version` names, when the caller has already loaded it (workflow endpoints
   * keep the published versions they serve). It must not change after the call.
   */
  definition?: ResolvedDefinition;
}

/** Problems quoted in the `detail` of a 422; the `errors` member lists all of them. */
const PROBLEMS_IN_DETAIL = 3;

/**
 * Runs stored graphs: picks the draft, the live version or a numbered
 * version, checks it against the node types installed now, starts the run
 * and has it compared with the graph's baseline once it finishes.
 */
export class GraphRunService {
  /** Validated graphs of `runDirect`, by the definition object they came from. */
  private readonly validated = new WeakMap<MifyGraph, { nodeTypes: unknown; graph: MifyGraph }>();

  constructor(private readonly deps: { logger: Logger; graphService: GraphService; runService: RunService; baselines: BaselineService }) {}

  /**
   * Loads the definition a run would execute.
   *
   * @throws NotFoundError for a graph of another workspace or an unknown version number;
   * MifyError `no_live_version` (409) when `live` is asked for and no version is published.
   */
  async resolve(workspaceId: string, graphId: string, version: VersionSelector): Promise<ResolvedDefinition> {
    const record = await this.deps.graphService.get(workspaceId, graphId);
    if (version === 'draft') return { graph: record.draft, versionId: null, versionNumber: null, label: 'the draft' };

    if (version === 'live' && record.liveVersion === null) {
      throw new MifyError(
        'no_live_version',
        409,
        `Graph '${graphId}' has no published version to run; publish it with POST /api/graphs/${graphId}/publish, or run the draft with version: "draft".`,
        { graphId },
      );
    }
    const ref = version === 'live' ? record.liveVersion!.id : String(version);
    const stored = await this.deps.graphService.getVersion(workspaceId, graphId, ref);
    return { graph: stored.definition, versionId: stored.id, versionNumber: stored.number, label: `version ${stored.number}` };
  }

  /**
   * Starts a run of a stored graph; with `wait`, resolves once it has finished.
   *
   * @throws ValidationError (422) listing every problem of the chosen definition.
   */
  async start(request: StartGraphRunRequest): Promise<RunRecord> {
    const definition = request.definition ?? (await this.resolve(request.workspaceId, request.graphId, request.version));
    const graph = request.definition ? this.validateOnce(definition, request.graphId) : this.validate(definition, request.graphId);
    const executable: ExecutableGraph = { id: request.graphId, versionId: definition.versionId, workspaceId: request.workspaceId, graph };

    const run = await this.deps.runService.start({ workspaceId: request.workspaceId, graph: executable, input: request.input, mode: request.mode, createdBy: request.createdBy, waitForCompletion: request.wait, ...(request.runId ? { runId: request.runId } : {}) });
    // With wait the run has finished, so its comparison is stored before the response.
    const compared = this.deps.baselines.track(request.workspaceId, request.graphId, run.id);
    if (request.wait) await compared;
    this.deps.logger.info({ workspaceId: request.workspaceId, graphId: request.graphId, runId: run.id, version: definition.label }, 'graph run started');
    return run;
  }

  /**
   * Runs a definition directly (see RunService.runDirect) and resolves once it has finished.
   * A saved run is compared with the graph's baseline before this resolves. The caller keeps
   * `definition.graph` unchanged, because its validation is reused while the installed node
   * types stay the same.
   *
   * @throws ValidationError (422) listing every problem of the definition.
   */
  async runDirect(request: { runId?: string; workspaceId: string; graphId: string; definition: ResolvedDefinition; input: Item[]; mode: string; createdBy: string | null; saving: DirectRunSaving }): Promise<{ run: RunRecord; steps: StepRow[]; saved: boolean }> {
    const graph = this.validateOnce(request.definition, request.graphId);
    const executable: ExecutableGraph = { id: request.graphId, versionId: request.definition.versionId, workspaceId: request.workspaceId, graph };
    const result = await this.deps.runService.runDirect({ workspaceId: request.workspaceId, graph: executable, input: request.input, mode: request.mode, createdBy: request.createdBy, saving: request.saving, ...(request.runId ? { runId: request.runId } : {}) });
    if (result.saved) {
      await this.deps.baselines.compareRun(request.workspaceId, request.graphId, result.run.id).catch((error: unknown) => this.deps.logger.error({ workspaceId: request.workspaceId, graphId: request.graphId, runId: result.run.id, err: error }, 'could not compare the run with the graph baseline'));
    }
    return result;
  }

  /** Validates like `validate`, reusing the result for the same graph object while the node types are the same. */
  private validateOnce(definition: ResolvedDefinition, graphId: string): MifyGraph {
    const nodeTypes = this.deps.graphService.nodeTypesSnapshot();
    const cached = this.validated.get(definition.graph);
    if (cached && cached.nodeTypes === nodeTypes) return cached.graph;
    const graph = this.validate(definition, graphId);
    this.validated.set(definition.graph, { nodeTypes, graph });
    return graph;
  }

  /** Validates a stored definition again, because node types may have been removed or changed since it was saved. */
  validate(definition: ResolvedDefinition, graphId: string): MifyGraph {
    const result = this.deps.graphService.validate(definition.graph);
    if (result.ok) return result.graph;

    const quoted = result.problems.slice(0, PROBLEMS_IN_DETAIL).map((problem) => problem.message).join(' ');
    const more = result.problems.length > PROBLEMS_IN_DETAIL ? ` …and ${result.problems.length - PROBLEMS_IN_DETAIL} more in 'errors'.` : '';
    throw new ValidationError(
      `${capitalise(definition.label)} of graph '${graphId}' cannot run: ${result.problems.length} ${result.problems.length === 1 ? 'problem' : 'problems'}: ${quoted}${more} Fix the graph, or install the missing extensions.`,
      result.problems,
      { graphId, version: definition.versionNumber },
    );
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Loads the graphs that sub-workflow nodes call, with the same version rules
 * and validation as a direct run.
 */
export class StoredSubgraphLoader implements SubgraphLoader {
  constructor(private readonly graphRuns: () => GraphRunService) {}

  async load(workspaceId: string, graphId: string, version: VersionSelector): Promise<ExecutableGraph> {
    const service = this.graphRuns();
    const definition = await service.resolve(workspaceId, graphId, version);
    return { id: graphId, versionId: definition.versionId, workspaceId, graph: service.validate(definition, graphId) };
  }
}
