import { createGraphPagesApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Loads one page of the workspace's graphs, filtered by the `q` and `tag` query parameters. */
export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:graphs');
  const workspace = requireWorkspace((await parent()).workspace);
  const q = url.searchParams.get('q') ?? '';
  const tag = url.searchParams.get('tag') ?? '';
  const cursor = url.searchParams.get('cursor') ?? undefined;

  try {
    const page = await createGraphPagesApi({ fetch, workspace: workspace.id }).listGraphs({ q: q || undefined, tag: tag || undefined, cursor });
    return { workspace, canWrite: roleAllows(workspace.role, 'write'), graphs: page.items, nextCursor: page.nextCursor, filters: { q, tag }, paged: cursor !== undefined };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
