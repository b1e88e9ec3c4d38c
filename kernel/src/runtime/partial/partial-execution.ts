import { ValidationError } from '../../errors.js';
import type { ContributionRegistry } from '../../extensions/contributions.js';
import type { GraphService } from '../../graphs/service.js';
import type { Item, MifyGraph } from '../../graphs/model.js';
import type { Logger } from '../../logger.js';
import { planGraph } from '../executor/plan.js';
import type { RunService } from '../run-service.js';
import type { RunRecord, StepRow } from '../run-store.js';
import type { NodeTypeResolver, PortItems } from '../types.js';
import { computeContentKeys, type NodeKey } from './content-keys.js';
import { findDirtyNodes } from './dirty.js';
import type { CachedOutput, NodeOutputCache } from './output-cache.js';
import { runGraphOf, selectNodes } from './selection.js';

export interface CanvasExecuteRequest {
  workspaceId: string;
  graphId: string;
  /** The canvas state; the stored draft when left out. */
  graph?: unknown;
  /** Items for the start nodes; one empty item when left out. */
  input?: Item[];
  /** Node id → items, added to the graph's own pinned data and taking precedence over it. */
  pinnedData?: Record<string, Item[]>;
  /** Run only this node and what it needs; every node without outgoing edges when left out. */
  targetNodeId?: string;
  createdBy: string | null;
}

/**
 * - `ran`: the node executed (disabled nodes pass their input through);
 * - `reused`: its cached output stood in for it;
 * - `pinned`: the user pinned its output;
 * - `skipped`: it received no items, was not needed for the target, or was not reached;
 * - `failed`: it failed, or was cancelled.
 */
export type CanvasNodeStatus = 'ran' | 'reused' | 'pinned' | 'skipped' | 'failed';

export interface CanvasNodeResult {
  nodeId: string;
  nodeName: string;
  status: CanvasNodeStatus;
  /** The definition differs from the live version, or a node above it does (see `findDirtyNodes`). */
  dirty: boolean;
  /** The output was larger than the cache's size limit (or than the run record limit), so it was not cached. */
  oversized: boolean;
  /** The output was stored in the cache by this run. */
  cached: boolean;
  contentKey: string | null;
  /** Reason the output cannot be cached, or null when it can. */
  notCacheable: string | null;
  /** Items on all output ports; null when the node produced no output. */
  itemCount: number | null;
  error: unknown;
}

export interface CanvasExecuteResult {
  runId: string;
  run: RunRecord;
  nodes: CanvasNodeResult[];
  cache: { reused: number; stored: number; oversized: number };
}

export interface PartialExecutionDeps {
  logger: Logger;
  graphService: GraphService;
  runService: RunService;
  /** Node types as of now. */
  nodeTypes: () => NodeTypeResolver;
  contributions: Pick<ContributionRegistry, 'list'>;
  cache: NodeOutputCache;
}

/**
 * Partial execution of a graph from the editor canvas. A deterministic node
 * whose content key (definition plus the keys of its inputs) has a cached
 * output does not run. Its cached items are handed to the executor as pinned
 * data, and nodes that only feed pinned nodes are left out of the run. After
 * the run, each deterministic node's output is cached under its key unless it
 * is larger than `MIFY_CACHE_MAX_OUTPUT_BYTES`.
 *
 * Dirtiness (a difference from the live version) is reported per node but does
 * not force a run by itself. A change gives the node and everything below it
 * new content keys, which miss the cache, and an edit that was reverted finds
 * the output stored before.
 */
export class PartialExecutionService {
  constructor(private readonly deps: PartialExecutionDeps) {}

  async execute(request: CanvasExecuteRequest): Promise<CanvasExecuteResult> {
    const { workspaceId, graphId } = request;
    const record = await this.deps.graphService.get(workspaceId, graphId);
    const graph = this.validated(request.graph ?? record.draft, request.graph !== undefined ? 'graph' : 'draft', request.pinnedData);
    if (request.targetNodeId !== undefined && !graph.nodes.some((node) => node.id === request.targetNodeId)) {
      throw new ValidationError(`Target node '${request.targetNodeId}' is not a node of the graph; pass the id of one of its nodes.`, [{ path: 'targetNodeId', message: 'unknown node id' }]);
    }

    const live = record.liveVersion ? (await this.deps.graphService.getVersion(workspaceId, graphId, record.liveVersion.id)).definition : null;
    const dirty = findDirtyNodes(graph, live);
    const input = request.input ?? [{ json: {} }];

    const plan = planGraph(graph, this.deps.nodeTypes());
    const keys = computeContentKeys({ plan, runInput: input, extensionVersion: this.extensionVersions() });
    const lookups = [...keys.entries()].filter(([, key]) => key.cacheable).map(([nodeId, key]) => ({ nodeId, contentKey: key.contentKey! }));
    const hits = await this.deps.cache.lookup(workspaceId, graphId, lookups);

    const pinned = new Set([...Object.keys(graph.pinnedData), ...hits.keys()]);
    const { kept, upstream } = selectNodes(plan, pinned, request.targetNodeId ?? null);
    const pinnedData = { ...graph.pinnedData };
    for (const [nodeId, hit] of hits) pinnedData[nodeId] = hit.items;
    const runGraph = runGraphOf(graph, kept, pinnedData);

    const finished = await this.deps.runService.start({
      workspaceId,
      graph: { id: graphId, versionId: null, workspaceId, graph: runGraph },
      input,
      mode: 'partial',
      createdBy: request.createdBy,
      waitForCompletion: true,
    });
    const run = await this.deps.runService.get(workspaceId, finished.id);

    const outputPorts = new Map(plan.nodes.map((planned) => [planned.node.id, planned.outputs[0] ?? 'main']));
    const results: CanvasNodeResult[] = [];
    const toStore: Array<CachedOutput & { bytes: number }> = [];
    for (const node of graph.nodes) {
      const key = keys.get(node.id)!;
      const steps = run.steps.filter((step) => step.nodeId === node.id);
      const result = this.describeNode({ nodeId: node.id, nodeName: node.name, key, steps, dirty: dirty.has(node.id), userPinned: Object.hasOwn(graph.pinnedData, node.id), hit: upstream.has(node.id) ? hits.get(node.id) ?? null : null, kept: kept.has(node.id) });

      if (result.status === 'ran' && key.cacheable) {
        const output = cacheableOutput(steps, outputPorts.get(node.id)!);
        if (output !== null) {
          const bytes = Buffer.byteLength(JSON.stringify(output.items));
          if (output.oversized || bytes > this.deps.cache.limits.maxOutputBytes) result.oversized = true;
          else {
            toStore.push({ nodeId: node.id, contentKey: key.contentKey!, items: output.items, bytes });
            result.cached = true;
          }
        }
      }
      results.push(result);
    }

    try {
      await this.deps.cache.store(workspaceId, graphId, toStore);
    } catch (error) {
      // The run itself succeeded or failed on its own; a cache that could not be written only costs a re-run next time.
      this.deps.logger.error({ workspaceId, graphId, runId: run.id, err: error }, 'could not store node outputs in the cache');
      for (const result of results) result.cached = false;
      toStore.length = 0;
    }
    const cache = { reused: results.filter((result) => result.status === 'reused').length, stored: toStore.length, oversized: results.filter((result) => result.oversized).length };
    this.deps.logger.info({ workspaceId, graphId, runId: run.id, status: run.status, ...cache }, 'canvas run finished');
    const { steps: _steps, ...runRecord } = run;
    return { runId: run.id, run: runRecord, nodes: results, cache };
  }

  /** `hit` is the cached output used for the node, when the node is the target or above it. */
  private describeNode(node: { nodeId: string; nodeName: string; key: NodeKey; steps: StepRow[]; dirty: boolean; userPinned: boolean; hit: CachedOutput | null; kept: boolean }): CanvasNodeResult {
    const last = node.steps[node.steps.length - 1];
    let status: CanvasNodeStatus;
    if (node.userPinned) status = 'pinned';
    else if (node.hit !== null) status = 'reused';
    else if (!node.kept || last === undefined || last.status === 'skipped') status = 'skipped';
    else if (last.status === 'succeeded') status = 'ran';
    else status = 'failed';

    let itemCount: number | null = null;
    if (node.hit !== null) itemCount = node.hit.items.length;
    else if (last?.status === 'succeeded') itemCount = last.outputItemCount;

    return {
      nodeId: node.nodeId,
      nodeName: node.nodeName,
      status,
      dirty: node.dirty,
      oversized: false,
      cached: false,
      contentKey: node.key.contentKey,
      notCacheable: node.key.reason,
      itemCount,
      error: last?.status === 'failed' || last?.status === 'cancelled' ? last.error : null,
    };
  }

  /** Validates the canvas graph with the request's pinned data merged in; a 422 lists every problem. */
  private validated(definition: unknown, label: 'graph' | 'draft', pinnedData: Record<string, Item[]> | undefined): MifyGraph {
    const merged = pinnedData === undefined || typeof definition !== 'object' || definition === null ? definition : { ...definition, pinnedData: { ...((definition as { pinnedData?: object }).pinnedData ?? {}), ...pinnedData } };
    const result = this.deps.graphService.validate(merged);
    if (result.ok) return result.graph;

    const problems = result.problems.map((problem) => ({ ...problem, path: label + problem.path.slice(1) }));
    throw new ValidationError(`The ${label === 'graph' ? 'canvas graph' : 'stored draft'} cannot run: ${problems.map((problem) => problem.message).join(' ')}`, problems);
  }

  /** Version of the extension that provides each node type, so upgrading an extension invalidates its cached outputs. */
  private extensionVersions(): (type: string, typeVersion: number) => string | null {
    const versions = new Map<string, string>();
    for (const node of this.deps.contributions.list().nodes) versions.set(`${node.type}@${String(node.typeVersion)}`, node.extensionVersion);
    return (type, typeVersion) => versions.get(`${type}@${typeVersion}`) ?? null;
  }
}

/**
 * Picks the items to cache from a node's steps. Returns null when the output cannot stand in
 * for the node as pinned data: the node ran more than once, did not succeed, or emitted items
 * on a port other than its first, which pinned data cannot reproduce. `oversized` is set when
 * the run recorded only a preview.
 */
function cacheableOutput(steps: StepRow[], firstPort: string): { items: Item[]; oversized: boolean } | null {
  if (new Set(steps.map((step) => step.activation)).size !== 1) return null;
  const last = steps[steps.length - 1];
  if (last?.status !== 'succeeded') return null;

  const record = last.output as { ports?: PortItems; truncated?: boolean } | null;
  if (!record?.ports) return null;
  for (const [port, items] of Object.entries(record.ports)) if (port !== firstPort && items.length > 0) return null;
  return { items: record.ports[firstPort] ?? [], oversized: record.truncated === true };
}
