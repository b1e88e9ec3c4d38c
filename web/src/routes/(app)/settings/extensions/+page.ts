import { createGraphPagesApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Loads the installed extensions with their state and health. */
export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:extensions');
  const workspace = requireWorkspace((await parent()).workspace);

  try {
    const { items } = await createGraphPagesApi({ fetch, workspace: workspace.id }).listExtensions();
    return { workspace, canManage: roleAllows(workspace.role, 'manage'), extensions: items };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
