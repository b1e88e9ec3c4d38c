import { error, redirect } from '@sveltejs/kit';
import { ApiError } from './api';
import { loginPath } from './navigation';

/**
 * Rethrows a failure of a load function in SvelteKit's terms: an expired
 * session goes to the sign-in page, an API problem becomes an error page that
 * shows its detail, and anything else is rethrown unchanged.
 */
export function rethrowLoadError(cause: unknown, url: URL): never {
  if (!(cause instanceof ApiError)) throw cause;

  if (cause.status === 401) redirect(307, loginPath(url));
  const status = cause.status >= 400 && cause.status <= 599 ? cause.status : 503;
  error(status, { message: cause.problem.detail, code: cause.code, errors: cause.errors });
}

/** Returns the selected workspace, or throws an error page that explains how to get one. */
export function requireWorkspace<T>(workspace: T | null): T {
  if (workspace) return workspace;
  error(403, {
    message: 'You are not a member of any workspace. Create one with "New workspace" in the top bar, or ask a workspace owner to add you.',
    code: 'no_workspace',
  });
}
