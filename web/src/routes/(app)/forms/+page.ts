import { createFormsApi, createGraphPagesApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Loads the workspace's forms, and its graphs to bind a new form to. */
export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:forms');
  const workspace = requireWorkspace((await parent()).workspace);
  const cursor = url.searchParams.get('cursor') ?? undefined;

  try {
    const [forms, graphs] = await Promise.all([
      createFormsApi({ fetch, workspace: workspace.id }).list({ cursor }),
      createGraphPagesApi({ fetch, workspace: workspace.id }).listGraphs({}),
    ]);
    return { workspace, canWrite: roleAllows(workspace.role, 'write'), forms: forms.items, nextCursor: forms.nextCursor, graphs: graphs.items };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
