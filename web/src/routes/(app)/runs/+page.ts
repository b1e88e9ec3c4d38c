import { createGraphPagesApi, type Run } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { runFiltersFromSearch, toRunListQuery } from '$lib/runs/run-filters';
import type { PageLoad } from './$types';

/** Most graphs offered in the graph filter; the list is newest first. */
const GRAPH_FILTER_LIMIT = 200;

/** Loads one page of runs filtered by the URL's query, and the graphs for the filter and the graph column. */
export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:runs');
  const workspace = requireWorkspace((await parent()).workspace);
  const api = createGraphPagesApi({ fetch, workspace: workspace.id });
  const filters = runFiltersFromSearch(url.searchParams);
  const checked = toRunListQuery(filters);
  const cursor = url.searchParams.get('cursor') ?? undefined;

  try {
    const graphs = (await api.listGraphs({ limit: GRAPH_FILTER_LIMIT })).items.map((graph) => ({ id: graph.id, name: graph.name }));
    if (!checked.ok) return { workspace, filters, filterErrors: checked.errors, graphs, runs: [] as Run[], nextCursor: null, paged: false };

    const page = await api.listRuns({ ...checked.query, cursor });
    return { workspace, filters, filterErrors: {}, graphs, runs: page.items, nextCursor: page.nextCursor, paged: cursor !== undefined };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
