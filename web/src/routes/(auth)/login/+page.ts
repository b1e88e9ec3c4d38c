import { redirect } from '@sveltejs/kit';
import { safeNextPath } from '$lib/navigation';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent, url }) => {
  const { needsSetup, me } = await parent();
  const next = safeNextPath(url.searchParams.get('next'));

  if (needsSetup) redirect(307, '/setup');
  if (me) redirect(307, next);
  return { next };
};
