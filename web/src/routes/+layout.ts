import { ApiError, createApi, type Me } from '$lib/api';
import { rethrowLoadError } from '$lib/load-errors';
import type { LayoutLoad } from './$types';

// The studio renders in the browser: the session cookie is httpOnly and set by
// the API, so server-side rendering would have to forward it on every call.
export const ssr = false;
export const prerender = false;

/**
 * Loads what every page needs to decide where the user belongs: whether
 * first-run setup is pending, and who is signed in (`null` when nobody is).
 * It does not read the URL, so it runs once and again only on `invalidateAll`.
 */
export const load: LayoutLoad = async ({ fetch, url, untrack }) => {
  const api = createApi({ fetch });

  try {
    const { needsSetup } = await api.setupStatus();
    if (needsSetup) return { needsSetup, me: null as Me | null };

    const me = await api.me().catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    });
    return { needsSetup, me };
  } catch (cause) {
    rethrowLoadError(cause, untrack(() => new URL(url.href)));
  }
};
