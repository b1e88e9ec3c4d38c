import { redirect } from '@sveltejs/kit';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent }) => {
  const { needsSetup } = await parent();
  if (!needsSetup) redirect(307, '/');
};
