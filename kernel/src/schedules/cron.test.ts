import { describe, expect, it } from 'vitest';
import { CronError, nextFireAfter, parseCron } from './cron.js';

/** Returns the values a parsed field matches. */
const values = (matches: boolean[]) => matches.flatMap((match, value) => (match ? [value] : []));

/** Next fire of `expression` after `after` (ISO 8601) in `timeZone`, as ISO 8601 UTC. */
const next = (expression: string, after: string, timeZone = 'UTC') => nextFireAfter(parseCron(expression), new Date(after), timeZone).toISOString();

/** Successive fires after `after`. */
function fires(expression: string, after: string, timeZone: string, count: number): string[] {
  const cron = parseCron(expression);
  const result: string[] = [];
  let cursor = new Date(after);
  for (let index = 0; index < count; index++) {
    cursor = nextFireAfter(cron, cursor, timeZone);
    result.push(cursor.toISOString());
  }
  return result;
}

function cronError(expression: string): CronError {
  try {
    parseCron(expression);
  } catch (error) {
    if (error instanceof CronError) return error;
    throw error;
  }
  throw new Error(`'${expression}' parsed without an error`);
}

describe('parseCron', () => {
  it('expands lists, ranges and steps', () => {
    const cron = parseCron('5-20/5 */6 1,15 * *');

    expect(values(cron.minutes)).toEqual([5, 10, 15, 20]);
    expect(values(cron.hours)).toEqual([0, 6, 12, 18]);
    expect(values(cron.daysOfMonth)).toEqual([1, 15]);
    expect(values(cron.months)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('steps from start to field end', () => {
    expect(values(parseCron('10/20 * * * *').minutes)).toEqual([10, 30, 50]);
  });

  it('reads names in any case', () => {
    const cron = parseCron('0 0 * jan,Jul-SEP mon-FRI');

    expect(values(cron.months)).toEqual([1, 7, 8, 9]);
    expect(values(cron.daysOfWeek)).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats weekday 7 as Sunday', () => {
    expect(values(parseCron('0 0 * * 5-7').daysOfWeek)).toEqual([0, 5, 6]);
  });

  it('expands macros', () => {
    expect(parseCron('@daily')).toMatchObject({ source: '@daily' });
    expect(values(parseCron('@hourly').minutes)).toEqual([0]);
    expect(values(parseCron('@weekly').daysOfWeek)).toEqual([0]);
  });

  it.each([
    ['61 * * * *', 'minute', "'61'", '0-59'],
    ['* 24 * * *', 'hour', "'24'", '0-23'],
    ['* * 0 * *', 'day-of-month', "'0'", '1-31'],
    ['* * * 13 *', 'month', "'13'", '1-12'],
    ['* * * FOO *', 'month', "'FOO'", 'JAN, FEB'],
    ['* * * * MOM', 'day-of-week', "'MOM'", 'SUN, MON'],
    ['*/0 * * * *', 'minute', "'0'", 'at least 1'],
    ['1-2-3 * * * *', 'minute', "'1-2-3'", 'low-high'],
    ['1,,2 * * * *', 'minute', "'1,,2'", 'extra comma'],
    ['* * * * FRI-MON', 'day-of-week', "'FRI-MON'", "'FRI-SAT,SUN-MON'"],
    ['* 20-4 * * *', 'hour', "'20-4'", "'20-23,0-4'"],
    ['0 0 30 2 *', 'day-of-month', 'FEB', 'never fire'],
  ])('rejects %s naming the %s field', (expression, field, value, fix) => {
    const error = cronError(expression);

    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(value);
    expect(error.message).toContain(fix);
    expect(error.status).toBe(422);
  });

  it('rejects a wrong number of fields', () => {
    const four = cronError('0 9 * *');
    const six = cronError('0 0 9 * * *');

    expect(four.message).toContain('has 4 fields; expected 5');
    expect(six.message).toContain('seconds or year');
    expect(six.message).toContain('"interval"');
  });

  it('rejects unknown macro and empty expression', () => {
    expect(cronError('@reboot').message).toContain('@hourly');
    expect(cronError('   ').message).toContain('empty');
  });
});

describe('nextFireAfter in UTC', () => {
  it('fires same day or next', () => {
    expect(next('0 9 * * *', '2026-01-01T08:59:30Z')).toBe('2026-01-01T09:00:00.000Z');
    expect(next('0 9 * * *', '2026-01-01T12:00:00Z')).toBe('2026-01-02T09:00:00.000Z');
  });

  it('is strictly after the given instant', () => {
    expect(next('0 9 * * *', '2026-01-01T09:00:00Z')).toBe('2026-01-02T09:00:00.000Z');
  });

  it('fires quarter-hourly in weekday office hours', () => {
    // 2026-01-02 is a Friday, so after its last slot comes Monday 2026-01-05.
    expect(fires('*/15 9-17 * * MON-FRI', '2026-01-02T17:40:00Z', 'UTC', 2)).toEqual(['2026-01-02T17:45:00.000Z', '2026-01-05T09:00:00.000Z']);
  });

  it('restricted day fields match either', () => {
    // April 2026: Friday the 10th, Monday the 13th, Friday the 17th.
    expect(fires('0 0 13 * FRI', '2026-04-10T00:00:00Z', 'UTC', 2)).toEqual(['2026-04-13T00:00:00.000Z', '2026-04-17T00:00:00.000Z']);
  });

  it('star weekday requires both fields', () => {
    // Day 13 on a Sunday, Tuesday, Thursday or Saturday: April 13 is a Monday, May 13 a Wednesday, June 13 a Saturday.
    expect(next('0 0 13 * */2', '2026-04-01T00:00:00Z')).toBe('2026-06-13T00:00:00.000Z');
  });

  it('fires weekday 7 on Sundays', () => {
    // 2026-04-01 is a Wednesday.
    expect(next('0 0 * * 7', '2026-04-01T00:00:00Z')).toBe('2026-04-05T00:00:00.000Z');
  });

  it('waits for the next leap day', () => {
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('nextFireAfter in time zones', () => {
  it('uses winter and summer offsets', () => {
    expect(next('0 9 * * *', '2026-01-01T12:00:00Z', 'Europe/Berlin')).toBe('2026-01-02T08:00:00.000Z');
    expect(next('0 9 * * *', '2026-07-01T12:00:00Z', 'Europe/Berlin')).toBe('2026-07-02T07:00:00.000Z');
  });

  it('handles hour-and-minute offsets', () => {
    // Nepal is UTC+05:45 all year.
    expect(next('0 9 * * *', '2026-01-01T00:00:00Z', 'Asia/Kathmandu')).toBe('2026-01-01T03:15:00.000Z');
  });

  // Berlin springs forward on 2026-03-29 at 01:00 UTC: 02:00 CET becomes 03:00 CEST.
  it('fires skipped Berlin time when the gap ends', () => {
    expect(fires('30 2 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin', 2)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('hourly schedule omits skipped hour', () => {
    expect(fires('0 * * * *', '2026-03-28T23:30:00Z', 'Europe/Berlin', 3)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
  });

  it('fires skipped times once, then real times', () => {
    // 02:10 and 02:30 are skipped: one fire at 03:00 CEST stands for both, then 03:10 and 03:30 fire as named.
    expect(fires('10,30 2,3 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin', 4)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:10:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:10:00.000Z',
    ]);
  });

  // Berlin falls back on 2026-10-25 at 01:00 UTC: 03:00 CEST becomes 02:00 CET, so 02:00-02:59 occurs twice.
  it('fires a repeated wall time once', () => {
    expect(fires('30 2 * * *', '2026-10-24T12:00:00Z', 'Europe/Berlin', 2)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('star hour fires through repeated hour', () => {
    expect(fires('*/30 * * * *', '2026-10-25T00:15:00Z', 'Europe/Berlin', 4)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('fires skipped New York time when the gap ends', () => {
    // New York springs forward on 2026-03-08 at 07:00 UTC: 02:00 EST becomes 03:00 EDT.
    expect(next('30 2 * * *', '2026-03-07T12:00:00Z', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
  });
});
