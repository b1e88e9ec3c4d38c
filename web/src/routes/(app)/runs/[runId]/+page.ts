import { createGraphPagesApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import type { PageLoad } from './$types';

/** Loads a run with its steps and its history of events. */
export const load: PageLoad = async ({ parent, fetch, url, params, depends }) => {
  depends('mify:run');
  const workspace = requireWorkspace((await parent()).workspace);
  const api = createGraphPagesApi({ fetch, workspace: workspace.id });

  try {
    const [run, history] = await Promise.all([api.getRun(params.runId), api.runHistory(params.runId)]);
    const graph = run.graphId ? await api.getGraph(run.graphId).catch(() => null) : null;
    return { workspace, run, history, graphName: graph?.name ?? null };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
