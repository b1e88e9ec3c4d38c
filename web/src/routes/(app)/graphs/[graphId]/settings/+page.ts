import { createGraphPagesApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Loads a graph's metadata and the panels extensions contribute to graph settings. */
export const load: PageLoad = async ({ parent, fetch, url, params, depends }) => {
  depends('mify:graph-settings');
  const workspace = requireWorkspace((await parent()).workspace);
  const api = createGraphPagesApi({ fetch, workspace: workspace.id });

  try {
    const [graph, contributions] = await Promise.all([api.getGraph(params.graphId), api.contributions()]);
    const panels = contributions.panels.filter((panel) => panel.location === 'graph-settings');
    return { workspace, canWrite: roleAllows(workspace.role, 'write'), graph, panels };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
