import { createApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:api-keys');
  const workspace = requireWorkspace((await parent()).workspace);

  // Only owners may list keys; others see an explanation instead of a 403 page.
  if (!roleAllows(workspace.role, 'manage')) return { workspace, canManage: false, keys: [] };

  try {
    const { items } = await createApi({ fetch, workspace: workspace.id }).listApiKeys();
    return { workspace, canManage: true, keys: items };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
