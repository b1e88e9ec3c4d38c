import { MifyError } from '../../errors.js';

/** Prefix of the permissions that allow `http.fetch`, followed by a host pattern. */
export const HTTP_FETCH_PERMISSION_PREFIX = 'http:fetch:';

/**
 * A host call the manifest does not allow. The message names the extension, the method
 * and the permission to add, so the extension's author can fix the manifest.
 */
export class PermissionDeniedError extends MifyError {
  constructor(extensionId: string, method: string, permission: string, reason?: string) {
    const why = reason ? ` ${reason}.` : '';
    super(
      'permission_denied',
      403,
      `Extension '${extensionId}' called ${method} without the permission '${permission}'.${why} Add "${permission}" to "permissions" in its mify.extension.json.`,
      { extensionId, method, permission },
    );
    this.name = 'PermissionDeniedError';
  }
}

/** Whether `permissions` lists `permission` exactly. */
export function hasPermission(permissions: readonly string[], permission: string): boolean {
  return permissions.includes(permission);
}

/**
 * Whether one of the `http:fetch:` permissions allows a request to `hostname` on `port`.
 *
 * A pattern is a host name, `*.example.com` (any subdomain of example.com, not example.com
 * itself), `*` (any host), or an IP literal, IPv6 in brackets. Each may end in `:port`, which
 * then must match; a pattern without a port allows every port.
 *
 * @param hostname - lower-case host as `URL.hostname` returns it, IPv6 in brackets
 */
export function allowsHttpHost(permissions: readonly string[], hostname: string, port: number): boolean {
  for (const permission of permissions) {
    if (!permission.startsWith(HTTP_FETCH_PERMISSION_PREFIX)) continue;
    const pattern = parseHostPattern(permission.slice(HTTP_FETCH_PERMISSION_PREFIX.length));
    if (pattern === null) continue;
    if (pattern.port !== null && pattern.port !== port) continue;
    if (matchesHost(pattern.host, hostname)) return true;
  }
  return false;
}

function matchesHost(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1;
  return pattern === hostname;
}

/** Splits `host[:port]` (IPv6 as `[addr][:port]`); returns null for a malformed pattern. */
function parseHostPattern(text: string): { host: string; port: number | null } | null {
  const lower = text.toLowerCase();
  let host = lower;
  let portText: string | undefined;

  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    if (end === -1) return null;
    host = lower.slice(0, end + 1);
    const rest = lower.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
  } else {
    const colon = lower.lastIndexOf(':');
    if (colon !== -1) {
      host = lower.slice(0, colon);
      portText = lower.slice(colon + 1);
    }
  }

  const normalized = normalizeHostPattern(host);
  if (normalized === null) return null;
  if (portText === undefined) return { host: normalized, port: null };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
  return { host: normalized, port: Number(portText) };
}

/**
 * Normalises a host the way `URL.hostname` does (punycode for international names, one
 * spelling per IP address), so a pattern compares equal to the host of a parsed URL.
 */
function normalizeHostPattern(host: string): string | null {
  if (host === '*') return host;
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;

  let hostname: string;
  try {
    hostname = new URL(`http://${name}/`).hostname;
  } catch {
    return null;
  }
  if (hostname === '') return null;
  return wildcard ? `*.${hostname}` : hostname;
}
