import { RUN_STATUSES, type RunListQuery, type RunStatus } from '$lib/api-types';

/** The run list's filters as the URL and the filter form hold them; dates are `YYYY-MM-DD` days in local time. */
export interface RunFilters {
  graphId: string;
  status: RunStatus | '';
  sinceDay: string;
  untilDay: string;
}

export const EMPTY_RUN_FILTERS: RunFilters = { graphId: '', status: '', sinceDay: '', untilDay: '' };

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Returns local midnight at the start of a `YYYY-MM-DD` day, or null when the text is no real date. */
export function startOfDay(day: string): Date | null {
  const match = DAY_PATTERN.exec(day);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Rejects days such as 2025-02-30, which Date rolls over into the next month.
  if (date.getFullYear() !== Number(match[1]) || date.getMonth() !== Number(match[2]) - 1 || date.getDate() !== Number(match[3])) return null;
  return date;
}

/** Reads the filters from the run list's URL query; unknown values are kept so `toRunListQuery` can name them. */
export function runFiltersFromSearch(search: URLSearchParams): RunFilters {
  return {
    graphId: search.get('graphId') ?? '',
    status: (search.get('status') ?? '') as RunStatus | '',
    sinceDay: search.get('since') ?? '',
    untilDay: search.get('until') ?? '',
  };
}

/** Writes the filters (and a page cursor) to a URL query, leaving out empty ones; returns it with `?`, or an empty string. */
export function runFiltersToSearch(filters: RunFilters, cursor?: string): string {
  const params = new URLSearchParams();
  if (filters.graphId) params.set('graphId', filters.graphId);
  if (filters.status) params.set('status', filters.status);
  if (filters.sinceDay) params.set('since', filters.sinceDay);
  if (filters.untilDay) params.set('until', filters.untilDay);
  if (cursor) params.set('cursor', cursor);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Turns the filters into the query of `GET /api/runs`: `since` is the start of
 * the first day and `until` the start of the day after the last, so both days
 * are included. Invalid filters return one message each, naming the value.
 */
export function toRunListQuery(filters: RunFilters): { ok: true; query: RunListQuery } | { ok: false; errors: Partial<Record<keyof RunFilters, string>> } {
  const errors: Partial<Record<keyof RunFilters, string>> = {};
  const query: RunListQuery = {};

  if (filters.graphId) query.graphId = filters.graphId;
  if (filters.status) {
    if (RUN_STATUSES.includes(filters.status)) query.status = filters.status;
    else errors.status = `Status '${filters.status}' is unknown; choose one of ${RUN_STATUSES.join(', ')}.`;
  }

  const since = filters.sinceDay ? startOfDay(filters.sinceDay) : null;
  if (filters.sinceDay && !since) errors.sinceDay = `'${filters.sinceDay}' is not a date; use YYYY-MM-DD.`;
  const untilStart = filters.untilDay ? startOfDay(filters.untilDay) : null;
  if (filters.untilDay && !untilStart) errors.untilDay = `'${filters.untilDay}' is not a date; use YYYY-MM-DD.`;
  if (since && untilStart && untilStart < since) errors.untilDay = `The last day (${filters.untilDay}) is before the first day (${filters.sinceDay}); swap them.`;

  if (since) query.since = since.toISOString();
  if (untilStart) {
    const dayAfter = new Date(untilStart);
    dayAfter.setDate(dayAfter.getDate() + 1);
    query.until = dayAfter.toISOString();
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, query };
}

/** Returns whether a run in this status may still change, so its page follows the event stream. */
export function isActiveRun(status: RunStatus): boolean {
  return status === 'queued' || status === 'running' || status === 'waiting' || status === 'paused';
}

/** Formats a duration in milliseconds as `850 ms`, `12.3 s` or `4 min 5 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/** Returns a run's duration: finish (or now, while it runs) minus start, in milliseconds; null before it starts. */
export function runDurationMs(run: { startedAt: string | null; finishedAt: string | null }, now = Date.now()): number | null {
  if (!run.startedAt) return null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return Math.max(0, end - Date.parse(run.startedAt));
}
