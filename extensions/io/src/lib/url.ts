/**
 * URL handling without the WHATWG `URL` class, which the isolate does not have: checking
 * absolute http(s) URLs, appending query parameters and resolving relative references
 * (RFC 3986, section 5.2) such as the targets of `Link` headers.
 */
import { invalidParameter } from '../errors.js';

/** One query parameter; repeated names are allowed. */
export type QueryPair = [name: string, value: string];

const ABSOLUTE_HTTP_URL = /^(https?):\/\/([^\s/?#@]+)([^\s?#]*)(\?[^\s#]*)?(#\S*)?$/i;

/** Parts of an absolute http or https URL. */
interface UrlParts {
  scheme: string;
  authority: string;
  path: string;
  /** Query with its leading `?`, or an empty string. */
  query: string;
}

function splitUrl(url: string): UrlParts | null {
  const match = ABSOLUTE_HTTP_URL.exec(url);
  if (!match) return null;
  return { scheme: match[1]!.toLowerCase(), authority: match[2]!, path: match[3] || '/', query: match[4] ?? '' };
}

/**
 * Checks that `url` is an absolute http or https URL without user information or spaces,
 * and returns it without its fragment.
 *
 * @example
 * checkHttpUrl('https://api.example.com/items#top', 'url'); // 'https://api.example.com/items'
 */
export function checkHttpUrl(url: string, parameter: string): string {
  const trimmed = url.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(trimmed)) {
    throw invalidParameter(`Parameter '${parameter}' contains a user name or password (${redactUrl(trimmed)}); remove it from the URL and use a credential instead.`);
  }
  const parts = splitUrl(trimmed);
  if (!parts) {
    throw invalidParameter(`Parameter '${parameter}' must be an absolute http or https URL without spaces, such as https://api.example.com/items; got ${JSON.stringify(trimmed.slice(0, 200))}.`);
  }
  return `${parts.scheme}://${parts.authority}${parts.path}${parts.query}`;
}

/** Percent-encodes a query name or value as `application/x-www-form-urlencoded` does, with `+` for spaces. */
export function encodeFormComponent(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

/** Appends query parameters to a URL that may already have a query. */
export function appendQuery(url: string, pairs: QueryPair[]): string {
  if (pairs.length === 0) return url;
  const encoded = pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  if (!url.includes('?')) return `${url}?${encoded}`;
  return url.endsWith('?') || url.endsWith('&') ? `${url}${encoded}` : `${url}&${encoded}`;
}

/** Resolves a reference (absolute, network-path, absolute-path, query-only or relative) against an absolute base URL. */
export function resolveUrl(reference: string, base: string): string {
  const target = reference.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return target;

  const parts = splitUrl(base);
  if (!parts) return target;
  if (target.startsWith('//')) return `${parts.scheme}:${target}`;
  if (target.startsWith('/')) return `${parts.scheme}://${parts.authority}${removeDotSegments(target)}`;
  if (target.startsWith('?')) return `${parts.scheme}://${parts.authority}${parts.path}${target}`;
  if (target === '') return `${parts.scheme}://${parts.authority}${parts.path}${parts.query}`;

  const directory = parts.path.slice(0, parts.path.lastIndexOf('/') + 1);
  return `${parts.scheme}://${parts.authority}${removeDotSegments(directory + target)}`;
}

/** Removes `.` and `..` segments from a path, keeping its query. */
function removeDotSegments(pathAndQuery: string): string {
  const queryStart = pathAndQuery.search(/[?#]/);
  const path = queryStart === -1 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
  const rest = queryStart === -1 ? '' : pathAndQuery.slice(queryStart);

  const output: string[] = [];
  const segments = path.split('/');
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    const isLast = index === segments.length - 1;
    if (segment === '.') {
      if (isLast) output.push('');
      continue;
    }
    if (segment === '..') {
      if (output.length > 1) output.pop();
      if (isLast) output.push('');
      continue;
    }
    output.push(segment);
  }
  return output.join('/') + rest;
}

/** Returns scheme, host and path of a URL for messages, without the query, which may contain keys. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1').replace(/[?#].*$/, '');
}

/** Returns the last path segment of a URL, decoded, for file names; empty when there is none. */
export function lastPathSegment(url: string): string {
  const path = redactUrl(url).replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  const segment = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
