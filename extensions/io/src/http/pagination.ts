/**
 * Pagination of the HTTP request node. Each mode names where the next page is: a URL in a
 * response field or the `Link` header, a cursor from a response field, or a page number or
 * offset that grows by a step. Every mode stops at `maxPages`.
 */
import type { HttpResponse } from '@mify/sdk';
import { invalidParameter } from '../errors.js';
import { booleanParameter, enumParameter, integerParameter, optionalInteger, optionalObject, optionalString, valueAtPath } from '../lib/parameters.js';
import { resolveUrl } from '../lib/url.js';
import type { DecodedBody } from './response.js';

export const PAGINATION_MODES = ['none', 'nextUrl', 'linkHeader', 'cursor', 'page', 'offset'] as const;
export type PaginationMode = (typeof PAGINATION_MODES)[number];

/** Largest `maxPages`. */
export const MAX_PAGES_LIMIT = 1_000;

/** Pagination settings, read from the `pagination` parameter. */
export interface PaginationSettings {
  mode: PaginationMode;
  /** nextUrl: dot path of the next page's URL in the JSON body, such as `links.next`. */
  nextUrlPath: string;
  /** cursor: dot path of the next cursor in the JSON body, and the query parameter that sends it. */
  cursorPath: string;
  cursorParameter: string;
  /** page and offset: query parameter, first value and step. */
  parameter: string;
  start: number;
  step: number;
  /** offset: page size sent as `limitParameter` (when set) and used by `stopOnShortPage`. */
  limitParameter: string | undefined;
  pageSize: number | undefined;
  maxPages: number;
  /** Stop when a page has no records (the array at `itemsPath`, or an array body). */
  stopOnEmptyPage: boolean;
  /** Stop when a page has fewer records than `pageSize`. */
  stopOnShortPage: boolean;
  /** Stop when the field at this dot path is false, null or missing, such as `has_more`. */
  hasMorePath: string | undefined;
  /** Wait between pages in milliseconds, to stay under rate limits. */
  pageDelayMs: number;
}

/** Reads the `pagination` parameter. */
export function readPagination(parameters: Record<string, unknown>): PaginationSettings {
  const raw = optionalObject(parameters, 'pagination') ?? {};
  // Keys carry the `pagination.` prefix, so every message names the nested field.
  const fields = Object.fromEntries(Object.entries(raw).map(([name, value]) => [`pagination.${name}`, value]));
  const mode = enumParameter(fields, 'pagination.mode', PAGINATION_MODES, 'none');

  const settings: PaginationSettings = {
    mode,
    nextUrlPath: optionalString(fields, 'pagination.nextUrlPath') ?? 'next',
    cursorPath: optionalString(fields, 'pagination.cursorPath') ?? 'cursor',
    cursorParameter: optionalString(fields, 'pagination.cursorParameter') ?? 'cursor',
    parameter: optionalString(fields, 'pagination.parameter') ?? (mode === 'offset' ? 'offset' : 'page'),
    start: integerParameter(fields, 'pagination.start', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: mode === 'offset' ? 0 : 1 }),
    step: integerParameter(fields, 'pagination.step', { min: 1, max: 1_000_000, fallback: 1 }),
    limitParameter: optionalString(fields, 'pagination.limitParameter'),
    pageSize: optionalInteger(fields, 'pagination.pageSize', { min: 1, max: 1_000_000 }),
    maxPages: integerParameter(fields, 'pagination.maxPages', { min: 1, max: MAX_PAGES_LIMIT, fallback: 10 }),
    stopOnEmptyPage: booleanParameter(fields, 'pagination.stopOnEmptyPage', true),
    stopOnShortPage: booleanParameter(fields, 'pagination.stopOnShortPage', false),
    hasMorePath: optionalString(fields, 'pagination.hasMorePath'),
    pageDelayMs: integerParameter(fields, 'pagination.pageDelayMs', { min: 0, max: 60_000, fallback: 0, unit: 'milliseconds' }),
  };
  if (mode === 'offset' && raw.step === undefined && settings.pageSize !== undefined) settings.step = settings.pageSize;
  if (settings.stopOnShortPage && settings.pageSize === undefined) {
    throw invalidParameter(`Parameter 'pagination.stopOnShortPage' needs 'pagination.pageSize', the number of records a full page has.`);
  }
  return settings;
}

/** Location of the next page: a full URL, or query parameters to set on the original URL. */
export type NextPage = { url: string } | { query: Record<string, string> } | null;

/** Returns the query parameters of the first page (page, offset and page size parameters). */
export function firstPageQuery(settings: PaginationSettings): Record<string, string> {
  const query: Record<string, string> = {};
  if (settings.mode === 'page' || settings.mode === 'offset') query[settings.parameter] = String(settings.start);
  if (settings.limitParameter !== undefined && settings.pageSize !== undefined) query[settings.limitParameter] = String(settings.pageSize);
  return query;
}

/** Parses an RFC 8288 `Link` header and returns the target of `rel="next"`, if any. */
export function nextLinkOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const pattern = /<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g;
  for (let match = pattern.exec(header); match !== null; match = pattern.exec(header)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(match[2]!);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return match[1]!;
  }
  return undefined;
}

/**
 * Decides whether another page follows and where it is.
 *
 * @param pageIndex index of the page just read, from 0
 * @param records the page's records, or null when the body has no list to count
 */
export function nextPage(settings: PaginationSettings, context: { response: HttpResponse; body: DecodedBody; url: string; pageIndex: number; records: unknown[] | null; query: Record<string, string> }): NextPage {
  const { response, body, url, pageIndex, records } = context;
  if (settings.mode === 'none') return null;

  const json = body.kind === 'json' ? body.value : undefined;
  if (settings.hasMorePath !== undefined) {
    const hasMore = valueAtPath(json, settings.hasMorePath);
    if (hasMore === false || hasMore === null || hasMore === undefined || hasMore === 'false' || hasMore === 0) return null;
  }
  if (records !== null && settings.stopOnEmptyPage && records.length === 0) return null;
  if (records !== null && settings.stopOnShortPage && settings.pageSize !== undefined && records.length < settings.pageSize) return null;

  switch (settings.mode) {
    case 'nextUrl': {
      const next = valueAtPath(json, settings.nextUrlPath);
      if (typeof next !== 'string' || next.trim() === '') return null;
      return { url: resolveUrl(next, url) };
    }
    case 'linkHeader': {
      const next = nextLinkOf(response.headers.link);
      return next === undefined || next.trim() === '' ? null : { url: resolveUrl(next, url) };
    }
    case 'cursor': {
      const cursor = valueAtPath(json, settings.cursorPath);
      if (cursor === undefined || cursor === null || cursor === '') return null;
      return { query: { ...context.query, [settings.cursorParameter]: String(cursor) } };
    }
    case 'page':
    case 'offset':
      return { query: { ...context.query, [settings.parameter]: String(settings.start + (pageIndex + 1) * settings.step) } };
  }
}
