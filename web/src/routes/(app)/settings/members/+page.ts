import { createApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent, fetch, url, depends }) => {
  depends('mify:members');
  const { me, workspace: selected } = await parent();
  const workspace = requireWorkspace(selected);

  try {
    const { items } = await createApi({ fetch, workspace: workspace.id }).listMembers();
    return { workspace, currentUserId: me.user.id, members: items };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
