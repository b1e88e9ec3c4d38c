import type { HostGraphServices, HostRunRecord } from '../extensions/host-api/graphs-runs.js';
import type { RunService } from '../runtime/run-service.js';
import type { RunRecord } from '../runtime/run-store.js';
import type { GraphRunService } from './graph-runs.js';
import type { GraphService } from './service.js';

function toHostRun(run: RunRecord): HostRunRecord {
  return {
    id: run.id,
    graphId: run.graphId ?? '',
    status: run.status,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    ...(run.error ? { error: run.error.message } : {}),
    usage: run.usage ?? {},
    ...(run.status === 'succeeded' && run.output && typeof run.output === 'object' && Array.isArray((run.output as { items?: unknown }).items) ? { output: (run.output as { items: unknown[] }).items } : {}),
  };
}

/**
 * Adapts the graph store and runtime to the host API's `graphs.*` and `runs.*`. Runs
 * that extensions start execute the graph's live version, like API callers' runs.
 */
export function hostGraphServices(services: () => { graphService: GraphService; graphRunService: GraphRunService; runService: RunService }): HostGraphServices {
  return {
    async getGraph(workspaceId, graphId, version) {
      const { graphService } = services();
      if (version === undefined) return (await graphService.get(workspaceId, graphId)).draft;
      return (await graphService.getVersion(workspaceId, graphId, String(version))).definition;
    },
    async listGraphs(workspaceId, options) {
      const page = await services().graphService.list(workspaceId, { cursor: options.cursor, limit: options.limit });
      return { data: page.items, nextCursor: page.nextCursor };
    },
    async startRun(workspaceId, graphId, items, runId) {
      const run = await services().graphRunService.start({ workspaceId, graphId, version: 'live', input: items, mode: 'extension', createdBy: null, wait: false, ...(runId ? { runId } : {}) });
      return toHostRun(run);
    },
    async getRun(workspaceId, runId) {
      return toHostRun(await services().runService.get(workspaceId, runId));
    },
  };
}
