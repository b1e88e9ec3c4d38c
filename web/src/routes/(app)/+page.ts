import { createApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent, fetch, url }) => {
  const selected = requireWorkspace((await parent()).workspace);
  const api = createApi({ fetch, workspace: selected.id });

  try {
    const [workspace, health] = await Promise.all([api.currentWorkspace(), api.health()]);
    return { currentWorkspace: workspace, health };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
