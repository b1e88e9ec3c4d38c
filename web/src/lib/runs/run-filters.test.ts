import { describe, expect, it } from 'vitest';
import { EMPTY_RUN_FILTERS, formatDuration, isActiveRun, runDurationMs, runFiltersFromSearch, runFiltersToSearch, startOfDay, toRunListQuery } from './run-filters';

describe('run filter URLs', () => {
  it('round-trip through the query', () => {
    const filters = { graphId: 'graph_1', status: 'failed' as const, sinceDay: '2025-03-01', untilDay: '2025-03-31' };

    const search = runFiltersToSearch(filters, 'cursor_2');

    expect(search).toBe('?graphId=graph_1&status=failed&since=2025-03-01&until=2025-03-31&cursor=cursor_2');
    expect(runFiltersFromSearch(new URLSearchParams(search))).toEqual(filters);
  });

  it('leave out empty filters', () => {
    expect(runFiltersToSearch(EMPTY_RUN_FILTERS)).toBe('');
  });
});

describe('toRunListQuery', () => {
  it('includes both days of the range', () => {
    const checked = toRunListQuery({ ...EMPTY_RUN_FILTERS, sinceDay: '2025-03-01', untilDay: '2025-03-01' });

    expect(checked.ok).toBe(true);
    const query = checked.ok ? checked.query : {};
    expect(query.since).toBe(new Date(2025, 2, 1).toISOString());
    expect(query.until).toBe(new Date(2025, 2, 2).toISOString());
  });

  it('passes graph and status', () => {
    expect(toRunListQuery({ ...EMPTY_RUN_FILTERS, graphId: 'graph_1', status: 'succeeded' })).toEqual({ ok: true, query: { graphId: 'graph_1', status: 'succeeded' } });
  });

  it('names an unknown status', () => {
    const checked = toRunListQuery({ ...EMPTY_RUN_FILTERS, status: 'done' as never });

    expect(checked.ok ? null : checked.errors.status).toBe("Status 'done' is unknown; choose one of queued, running, waiting, paused, succeeded, failed, cancelled.");
  });

  it('rejects impossible dates', () => {
    const checked = toRunListQuery({ ...EMPTY_RUN_FILTERS, sinceDay: '2025-02-30', untilDay: 'tomorrow' });

    expect(checked.ok ? null : checked.errors.sinceDay).toBe("'2025-02-30' is not a date; use YYYY-MM-DD.");
    expect(checked.ok ? null : checked.errors.untilDay).toBe("'tomorrow' is not a date; use YYYY-MM-DD.");
  });

  it('rejects a reversed range', () => {
    const checked = toRunListQuery({ ...EMPTY_RUN_FILTERS, sinceDay: '2025-03-10', untilDay: '2025-03-01' });

    expect(checked.ok ? null : checked.errors.untilDay).toContain('is before the first day');
  });
});

describe('startOfDay', () => {
  it('returns local midnight', () => {
    expect(startOfDay('2024-02-29')?.getTime()).toBe(new Date(2024, 1, 29).getTime());
  });
});

describe('run helpers', () => {
  it('isActiveRun matches unfinished runs', () => {
    expect(['queued', 'running', 'waiting', 'paused'].every((status) => isActiveRun(status as never))).toBe(true);
    expect(['succeeded', 'failed', 'cancelled'].some((status) => isActiveRun(status as never))).toBe(false);
  });

  it('formatDuration picks a unit', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 5 s');
  });

  it('runDurationMs uses now while running', () => {
    expect(runDurationMs({ startedAt: '2025-01-01T00:00:00.000Z', finishedAt: null }, Date.parse('2025-01-01T00:00:02.000Z'))).toBe(2000);
    expect(runDurationMs({ startedAt: null, finishedAt: null })).toBeNull();
  });
});
