import { createCanvasApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { RunRecord } from '$lib/canvas/types';
import type { PageLoad } from './$types';

/**
 * Loads the graph with its draft, the node types of the active extensions and
 * the draft's validation problems. It also loads the live version, against
 * which nodes count as dirty, and the latest run with its steps, whose items
 * feed expression completion.
 */
export const load: PageLoad = async ({ parent, fetch, params, url }) => {
  const workspace = requireWorkspace((await parent()).workspace);
  const api = createCanvasApi({ fetch, workspace: workspace.id });

  try {
    const [graph, contributions, validation, recent] = await Promise.all([
      api.getGraph(params.graphId),
      api.contributions(),
      api.validateDraft(params.graphId),
      api.recentRuns(params.graphId, 1),
    ]);
    const [liveVersion, latestRun] = await Promise.all([
      graph.liveVersion ? api.getVersionDefinition(graph.id, graph.liveVersion.id) : Promise.resolve(null),
      recent.items[0] ? api.getRun(recent.items[0].id) : Promise.resolve<RunRecord | null>(null),
    ]);

    return {
      graph,
      contributions: contributions.nodes,
      problems: validation.problems,
      liveDefinition: liveVersion?.definition ?? null,
      latestRun,
      workspaceId: workspace.id,
      readOnly: !roleAllows(workspace.role, 'write'),
    };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
