import { redirect } from '@sveltejs/kit';
import { loginPath } from '$lib/navigation';
import { pickWorkspace, readStoredWorkspace } from '$lib/workspace';
import type { LayoutLoad } from './$types';

/** Admits signed-in users to the studio and picks the workspace its pages act in. */
export const load: LayoutLoad = async ({ parent, url }) => {
  const { needsSetup, me } = await parent();

  if (needsSetup) redirect(307, '/setup');
  if (!me) redirect(307, loginPath(url));

  return { me, workspace: pickWorkspace(me.workspaces, readStoredWorkspace()) };
};
