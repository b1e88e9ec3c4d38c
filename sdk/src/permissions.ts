/**
 * Permissions an extension declares in `mify.extension.json`. The kernel denies every host
 * API call whose permission the manifest does not list.
 */

/**
 * Every permission with a fixed name. The only other valid form is `http:fetch:<host>`,
 * described by {@link parsePermission}.
 */
export const PERMISSIONS = [
  'graphs:read',
  'graphs:write',
  'runs:read',
  'runs:start',
  'collections:read',
  'collections:write',
  'vectors:read',
  'vectors:write',
  'kv:read',
  'kv:write',
  'credentials:read',
  'llm:invoke',
  'code:run',
  'events:publish',
  'events:subscribe',
  'files:read',
  'files:write',
  'endpoints:read',
  'endpoints:run',
  'knowledge:read',
  'demo:run',
] as const;

/** A permission with a fixed name, such as `kv:read`. */
export type NamedPermission = (typeof PERMISSIONS)[number];

/** Prefix of the permissions that allow outgoing HTTP requests to one host pattern. */
export const HTTP_FETCH_PREFIX = 'http:fetch:';

/** Prefix of the permissions that let routes claim a top-level base path under /api. */
export const ROUTES_MOUNT_PREFIX = 'routes:mount:';

/**
 * Top-level base paths an extension may mount routes at: `/api/` and one segment of
 * lower-case letters, digits and inner dashes, such as `/api/workflow-endpoints`.
 */
export const MOUNT_PATH_PATTERN = /^\/api\/[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** Any permission string a manifest may list. */
export type Permission = NamedPermission | `http:fetch:${string}` | `routes:mount:${string}`;

/** A permission split into its parts. */
export type ParsedPermission =
  | {
      kind: 'named';
      permission: NamedPermission;
      /** Host API namespace the permission covers, such as `kv`. */
      namespace: string;
      /** Access the permission grants in that namespace, such as `read`. */
      action: string;
    }
  | {
      kind: 'routes:mount';
      permission: string;
      /** Base path the routes may be mounted at, such as `/api/workflow-endpoints`. */
      path: string;
    }
  | {
      kind: 'http:fetch';
      permission: string;
      /**
       * Lower-case host pattern: an exact hostname (`api.example.com`), a subdomain
       * wildcard (`*.example.com`, which matches `a.example.com` and `a.b.example.com` but not
       * `example.com`), or `*` for every host.
       */
      host: string;
      /** Port the permission is limited to. When absent, every port of the host is allowed. */
      port?: number;
    };

/** Result of {@link parsePermission}. */
export type ParsePermissionResult = { ok: true; permission: ParsedPermission } | { ok: false; message: string };

/** Human-readable list of the valid permission forms, used in error messages. */
export const PERMISSION_FORMS = `${PERMISSIONS.join(', ')}, routes:mount:/api/<segment> such as routes:mount:/api/workflow-endpoints, or http:fetch:<host>[:<port>] where <host> is a hostname such as api.example.com, a wildcard such as *.example.com, or *`;

const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOSTNAME_LENGTH = 253;

/**
 * Parses one permission string and explains what is wrong when it is not valid.
 *
 * Host patterns are case-insensitive and returned in lower case. A wildcard must cover at
 * least two labels (`*.example.com`), because `*.com` would allow a whole top-level domain;
 * use `*` to allow every host.
 *
 * @example
 * parsePermission('http:fetch:*.example.com:8443');
 * // { ok: true, permission: { kind: 'http:fetch', permission: 'http:fetch:*.example.com:8443', host: '*.example.com', port: 8443 } }
 * parsePermission('kv:admin');
 * // { ok: false, message: 'unknown permission "kv:admin", expected one of graphs:read, ...' }
 */
export function parsePermission(value: string): ParsePermissionResult {
  if ((PERMISSIONS as readonly string[]).includes(value)) {
    const [namespace = '', action = ''] = value.split(':');
    return { ok: true, permission: { kind: 'named', permission: value as NamedPermission, namespace, action } };
  }

  if (value.startsWith(ROUTES_MOUNT_PREFIX)) {
    const path = value.slice(ROUTES_MOUNT_PREFIX.length);
    if (!MOUNT_PATH_PATTERN.test(path)) {
      return { ok: false, message: `invalid mount path in ${JSON.stringify(value)}, expected /api/ and one segment of a-z, 0-9 and inner dashes, such as routes:mount:/api/workflow-endpoints` };
    }
    return { ok: true, permission: { kind: 'routes:mount', permission: value, path } };
  }

  if (!value.startsWith(HTTP_FETCH_PREFIX)) {
    return { ok: false, message: `unknown permission ${JSON.stringify(value)}, expected one of ${PERMISSION_FORMS}` };
  }

  const target = value.slice(HTTP_FETCH_PREFIX.length);
  const portMatch = /^(.*):(\d+)$/.exec(target);
  const hostPattern = (portMatch ? portMatch[1]! : target).toLowerCase();

  let port: number | undefined;
  if (portMatch) {
    port = Number(portMatch[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535 || String(port) !== portMatch[2]) {
      return { ok: false, message: `invalid port in ${JSON.stringify(value)}, expected an integer from 1 to 65535 such as http:fetch:api.example.com:8443` };
    }
  }

  const hostProblem = describeHostPatternProblem(hostPattern);
  if (hostProblem) {
    return { ok: false, message: `invalid host in ${JSON.stringify(value)}: ${hostProblem}` };
  }

  const permission: ParsedPermission = { kind: 'http:fetch', permission: value, host: hostPattern };
  if (port !== undefined) permission.port = port;
  return { ok: true, permission };
}

// Returns why a host pattern is invalid, or undefined when it is valid.
function describeHostPatternProblem(pattern: string): string | undefined {
  const expected = 'expected a hostname such as api.example.com, a wildcard such as *.example.com, or *';

  if (pattern === '*') return undefined;
  if (pattern === '') return `the host is empty, ${expected}`;

  const hostname = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  const labels = hostname.split('.');

  if (hostname.length > MAX_HOSTNAME_LENGTH || !labels.every((label) => HOST_LABEL.test(label))) {
    // NOTE: IPv6 literals such as [::1] are not accepted as hosts yet.
    return `${JSON.stringify(pattern)} is not a valid host pattern, ${expected}`;
  }
  if (pattern.startsWith('*.') && labels.length < 2) {
    return `the wildcard ${JSON.stringify(pattern)} covers a whole top-level domain, expected at least two labels after "*." such as *.example.com, or * to allow every host`;
  }
  return undefined;
}

/**
 * Checks whether a list of permissions allows an HTTP request to a URL, by its host and port.
 * A URL without an explicit port uses its scheme's default port (80 for http, 443 for https).
 * Only `http:` and `https:` URLs can be allowed.
 *
 * @example
 * isFetchAllowed(['http:fetch:*.example.com'], 'https://api.example.com/v1'); // true
 * isFetchAllowed(['http:fetch:api.example.com:8443'], 'https://api.example.com/v1'); // false, port 443
 */
export function isFetchAllowed(permissions: readonly string[], url: string | URL): boolean {
  let parsedUrl: URL;
  try {
    parsedUrl = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return false;
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') return false;

  const host = parsedUrl.hostname.toLowerCase();
  const defaultPort = parsedUrl.protocol === 'https:' ? 443 : 80;
  const port = parsedUrl.port ? Number(parsedUrl.port) : defaultPort;

  return permissions.some((value) => {
    const parsed = parsePermission(value);
    if (!parsed.ok || parsed.permission.kind !== 'http:fetch') return false;

    const { host: pattern, port: allowedPort } = parsed.permission;
    if (allowedPort !== undefined && allowedPort !== port) return false;
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return host === pattern;
  });
}
