/** Request headers a browser may send on a cross-origin request. */
const ALLOWED_HEADERS = 'content-type,authorization,idempotency-key,x-mify-workspace,x-request-id';
/** Response headers a cross-origin page may read. */
const EXPOSED_HEADERS = 'x-request-id,ratelimit-limit,ratelimit-remaining,ratelimit-reset,retry-after';
const ALLOWED_METHODS = 'GET,HEAD,PUT,POST,DELETE,PATCH';
/** How long a browser may cache a preflight response, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** CORS headers for the configured origins, computed once, added to each response's header record. */
export interface CorsPolicy {
  /** Adds the headers of an actual (not preflight) request from `origin` to `headers`. */
  addHeaders(origin: string | undefined, headers: Record<string, string>): void;
  /** Adds the headers of a preflight (OPTIONS) request from `origin` to `headers`. */
  addPreflightHeaders(origin: string | undefined, headers: Record<string, string>): void;
}

/**
 * Creates the CORS policy for `origins` (MIFY_CORS_ORIGINS), or returns null when the list is
 * empty and CORS is off. `*` allows any origin without credentials. Otherwise only the listed
 * origins are allowed, with credentials (the session cookie), and every response carries
 * `Vary: Origin` because its headers depend on the Origin request header.
 *
 * @example
 * const cors = createCorsPolicy(['https://studio.example.com']);
 * cors?.addHeaders('https://studio.example.com', headers);
 */
export function createCorsPolicy(origins: string[]): CorsPolicy | null {
  if (origins.length === 0) return null;

  const preflightOnly = { 'access-control-allow-methods': ALLOWED_METHODS, 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS) };

  if (origins.includes('*')) {
    const actual = { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS };
    const preflight = { ...actual, ...preflightOnly, vary: 'Access-Control-Request-Headers' };
    return {
      addHeaders: (_origin, headers) => void Object.assign(headers, actual),
      addPreflightHeaders: (_origin, headers) => void Object.assign(headers, preflight),
    };
  }

  const actualByOrigin = new Map<string, Record<string, string>>();
  const preflightByOrigin = new Map<string, Record<string, string>>();
  for (const origin of origins) {
    const actual = { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': EXPOSED_HEADERS };
    actualByOrigin.set(origin, actual);
    preflightByOrigin.set(origin, { ...actual, ...preflightOnly });
  }

  return {
    addHeaders(origin, headers) {
      headers.vary = 'Origin';
      const allowed = origin === undefined ? undefined : actualByOrigin.get(origin);
      if (allowed) Object.assign(headers, allowed);
    },
    addPreflightHeaders(origin, headers) {
      headers.vary = 'Origin, Access-Control-Request-Headers';
      const allowed = origin === undefined ? undefined : preflightByOrigin.get(origin);
      if (allowed) Object.assign(headers, allowed);
    },
  };
}
