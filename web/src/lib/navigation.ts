/**
 * Returns `value` when it is a path on this origin, else `/`. Used for the
 * `next` parameter of the sign-in page, so a crafted link cannot send the user
 * to another site after signing in.
 */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value === '/login' || value.startsWith('/login?') || value === '/setup') return '/';
  return value;
}

/** Returns the sign-in path that leads back to `url` afterwards. */
export function loginPath(url: URL): string {
  const next = `${url.pathname}${url.search}`;
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
