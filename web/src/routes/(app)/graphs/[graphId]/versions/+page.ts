import { ApiError, createGraphPagesApi, toProblem, type GraphDiff, type GraphDocument, type GraphPagesApi, type GraphVersionInfo, type Problem } from '$lib/api';
import type { EndpointState } from '$lib/graph-pages/endpoint-state';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Most versions listed on the page; the kernel pages versions by 200 at most. */
const VERSION_PAGE_LIMIT = 200;

/** The comparison of the two versions named by `?from=&to=`: the structural diff and both definitions. */
export interface VersionComparison {
  from: string;
  to: string;
  diff: GraphDiff | null;
  before: GraphDocument | null;
  after: GraphDocument | null;
  problem: Problem | null;
}


async function definitionOf(api: GraphPagesApi, graphId: string, ref: string, draft: GraphDocument): Promise<GraphDocument> {
  if (ref === 'draft') return draft;
  return (await api.getVersion(graphId, ref)).definition;
}

async function compare(api: GraphPagesApi, graphId: string, from: string, to: string, draft: GraphDocument): Promise<VersionComparison> {
  try {
    const [diff, before, after] = await Promise.all([api.diffVersions(graphId, from, to), definitionOf(api, graphId, from, draft), definitionOf(api, graphId, to, draft)]);
    return { from, to, diff, before, after, problem: null };
  } catch (cause) {
    return { from, to, diff: null, before: null, after: null, problem: toProblem(cause) };
  }
}

async function endpointState(api: GraphPagesApi, slug: string | null): Promise<EndpointState> {
  if (!slug) return { kind: 'no-slug' };
  try {
    return { kind: 'ready', info: await api.endpointInfo(slug) };
  } catch (cause) {
    if (cause instanceof ApiError && cause.status === 404) return { kind: 'not-found', problem: cause.problem };
    return { kind: 'error', problem: toProblem(cause) };
  }
}

/** Loads a graph with every version, the comparison named in the URL, and its endpoint info. */
export const load: PageLoad = async ({ parent, fetch, url, params, depends }) => {
  depends('mify:graph-versions');
  const workspace = requireWorkspace((await parent()).workspace);
  const api = createGraphPagesApi({ fetch, workspace: workspace.id });

  try {
    const graph = await api.getGraph(params.graphId);
    const versions: GraphVersionInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.listVersions(params.graphId, { cursor, limit: VERSION_PAGE_LIMIT });
      versions.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    const from = url.searchParams.get('from');
    const to = url.searchParams.get('to');
    const [comparison, endpoint] = await Promise.all([from && to ? compare(api, graph.id, from, to, graph.draft) : Promise.resolve(null), endpointState(api, graph.slug)]);

    return { workspace, canWrite: roleAllows(workspace.role, 'write'), graph, versions, comparison, endpoint };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
