import { createApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:credentials');
  const workspace = requireWorkspace((await parent()).workspace);

  try {
    const { items } = await createApi({ fetch, workspace: workspace.id }).listCredentials();
    return { workspace, credentials: items };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
