import { MifyError } from '../errors.js';
import { Cron } from 'croner';

/** Maximum length of a cron expression, in characters. */
export const MAX_CRON_LENGTH = 200;

/** How far ahead `nextFireAfter` looks for a matching time, in years; an expression that matches nothing in that span is rejected. */
const SEARCH_YEARS = 30;

const HOUR_MS = 3_600_000;

/**
 * Maximum offset change of a time zone at one daylight-saving transition that the search
 * handles, in milliseconds. Real transitions are 30 minutes to 2 hours.
 */
const TRANSITION_WINDOW_MS = 3 * HOUR_MS;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Days in each month of a leap year, which is the maximum day-of-month of that month. */

const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

interface FieldSpec {
  name: 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';
  min: number;
  max: number;
  /** Names for the values, from `min` upwards. */
  names?: string[];
  example: string;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59, example: "'0,30' (on the hour and half past) or '*/15'" },
  { name: 'hour', min: 0, max: 23, example: "'9' (09:00) or '9-17'" },
  { name: 'day-of-month', min: 1, max: 31, example: "'1' or '1,15'" },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, example: "'1' or 'JAN', or 'JAN-MAR'" },
  // 7 is also Sunday, as in classic cron; it is folded into 0 after parsing.
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAY_NAMES, example: "'1-5' or 'MON-FRI'" },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A cron expression that cannot be parsed or never matches. `field` names the field at fault, if one is. */
export class CronError extends MifyError {
  constructor(
    message: string,
    readonly field: FieldSpec['name'] | null,
  ) {
    super('invalid_cron', 422, message, { field });
    this.name = 'CronError';
  }
}

/** A parsed five-field cron expression: which values of each field match. */
export interface CronExpression {
  /** The expression as given, trimmed. */
  source: string;
  minutes: boolean[];
  hours: boolean[];
  daysOfMonth: boolean[];
  months: boolean[];
  /** Index 0 is Sunday. */
  daysOfWeek: boolean[];
  /**
   * Whether the day-of-month or day-of-week field starts with `*`. As in classic (Vixie)
   * cron, a day matches when both fields match if either of them starts with `*`, and when
   * either field matches if neither does: `0 0 1 * MON` runs on the 1st and on every Monday.
   */
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
  /** Whether the hour field starts with `*`; decides how daylight-saving changes are handled (see `nextFireAfter`). */
  hourStar: boolean;
  /** The same schedule written for croner: explicit value lists, with the hour field kept as given when it starts with `*`. */
  expanded: string;
}

/**
 * Parses a cron expression of five fields, `minute hour day-of-month month day-of-week`,
 * each a list of `*`, values, ranges `a-b` and steps `*\/n`, `a-b/n` or `a/n`. Months and
 * weekdays also take English three-letter names (`JAN`, `MON`), in any case. The macros
 * `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` stand
 * for their usual expressions.
 *
 * @throws CronError naming the field at fault and how to write it.
 *
 * @example
 * parseCron('30 9 * * MON-FRI'); // 09:30 on weekdays
 */
export function parseCron(expression: string): CronExpression {
  const source = expression.trim();
  if (source.length === 0) throw new CronError('The cron expression is empty; write five fields, e.g. "0 9 * * *" for 09:00 every day.', null);
  if (source.length > MAX_CRON_LENGTH) throw new CronError(`The cron expression has ${source.length} characters, more than the limit of ${MAX_CRON_LENGTH}.`, null);

  let text = source;
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (!macro) throw new CronError(`Unknown cron macro '${text}'; use one of ${Object.keys(MACROS).join(', ')}, or write five fields.`, null);
    text = macro;
  }

  const parts = text.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    const hint =
      parts.length === 6
        ? ' A sixth field (seconds or year) is not supported; for intervals under a minute use kind "interval" with intervalMs.'
        : '';
    throw new CronError(`The cron expression '${source}' has ${parts.length} fields; expected 5: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON-FRI".${hint}`, null);
  }

  const [minutes, hours, daysOfMonth, months, daysOfWeek] = parts.map((part, index) => parseField(part, FIELDS[index]!));
  if (daysOfWeek![7]) daysOfWeek![0] = true;
  const cron: CronExpression = {
    source,
    minutes: minutes!,
    hours: hours!,
    daysOfMonth: daysOfMonth!,
    months: months!,
    daysOfWeek: daysOfWeek!.slice(0, 7),
    dayOfMonthStar: parts[2]!.startsWith('*'),
    dayOfWeekStar: parts[4]!.startsWith('*'),
    hourStar: parts[1]!.startsWith('*'),
    expanded: '',
  };
  const list = (matches: boolean[]) => matches.flatMap((match, value) => (match ? [value] : [])).join(',');
  cron.expanded = [list(cron.minutes), cron.hourStar ? parts[1]! : list(cron.hours), list(cron.daysOfMonth), list(cron.months), list(cron.daysOfWeek)].join(' ');
  assertSomeDayExists(cron);
  return cron;
}

function parseField(text: string, field: FieldSpec): boolean[] {
  const matches = new Array<boolean>(field.max + 1).fill(false);
  for (const item of text.split(',')) {
    if (item === '') throw new CronError(`The ${field.name} field '${text}' has an empty list entry; remove the extra comma.`, field.name);
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) throw new CronError(`The ${field.name} field entry '${item}' has more than one '/'; write a step once, e.g. '*/5'.`, field.name);

    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new CronError(`The ${field.name} field entry '${item}' has step '${stepText}'; a step must be a whole number of at least 1, e.g. '*/5'.`, field.name);
      step = Number(stepText);
    }

    let low: number;
    let high: number;
    if (range === '*') {
      low = field.min;
      high = field.name === 'day-of-week' ? 6 : field.max;
    } else if (range!.includes('-')) {
      const [lowText, highText, rest] = range!.split('-');
      if (rest !== undefined || lowText === '' || highText === '') throw new CronError(`The ${field.name} field entry '${item}' is not a range; write it as low-high, e.g. ${field.example}.`, field.name);
      low = parseValue(lowText!, field, item);
      high = parseValue(highText!, field, item);
      if (low > high) {
        const numeric = /^\d+$/.test(lowText!);
        const wrap = `${lowText}-${numeric || !field.names ? field.max : field.names[field.names.length - 1]},${numeric || !field.names ? field.min : field.names[0]}-${highText}`;
        throw new CronError(`The ${field.name} field range '${range}' runs backwards; write the lower value first, or split a range that wraps around into two: '${wrap}'.`, field.name);
      }
    } else {
      low = parseValue(range!, field, item);
      // `a/n` means from a to the end of the field in steps of n; weekdays end at Saturday.
      if (stepText === undefined) high = low;
      else if (field.name === 'day-of-week') high = Math.max(low, 6);
      else high = field.max;
    }

    for (let value = low; value <= high; value += step) matches[value] = true;
  }
  return matches;
}

function parseValue(text: string, field: FieldSpec, item: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      throw new CronError(`The ${field.name} field value '${text}' in '${item}' is out of range; expected ${field.min}-${field.max}${field.names ? ` or a name such as ${field.names[0]}` : ''}, e.g. ${field.example}.`, field.name);
    }
    return value;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return field.min + index;
  const allowed = field.names ? `a number ${field.min}-${field.max} or one of ${field.names.join(', ')}` : `a number ${field.min}-${field.max}`;
  throw new CronError(`The ${field.name} field value '${text}' in '${item}' is not valid; expected ${allowed}, e.g. ${field.example}.`, field.name);
}

/** Rejects expressions whose day-of-month never occurs in their months, such as `0 0 30 2 *`. */
function assertSomeDayExists(cron: CronExpression): void {
  // Only with day-of-week starting with '*' must the day-of-month match on its own; otherwise a weekday can match.
  if (!cron.dayOfWeekStar || cron.dayOfMonthStar) return;

  for (let month = 1; month <= 12; month++) {
    if (!cron.months[month]) continue;
    for (let day = 1; day <= MONTH_LENGTHS[month - 1]!; day++) if (cron.daysOfMonth[day]) return;
  }
  const months = MONTH_NAMES.filter((_, index) => cron.months[index + 1]).join(', ');
  throw new CronError(`The day-of-month field of '${cron.source}' names no day that exists in ${months}, so the schedule would never fire; choose days up to each month's length (FEB has at most 29).`, 'day-of-month');
}

/**
 * Returns the first instant strictly after `after` at which `cron` fires in `timeZone`,
 * computed by croner (a maintained cron library) from the expression validated above.
 *
 * Daylight-saving changes: an expression whose hour field starts with `*` fires by the
 * clock as it runs, so it neither repeats nor makes up skipped times (croner's `no-wildcard`
 * rule sees only that field as a wildcard, since `expanded` lists the minutes). Any other expression fires a
 * wall time that occurs twice only at its first occurrence, and the wall times a change
 * skips once, at the first valid time after it: 02:30 fires at 03:00 when 02:00 jumps to 03:00.
 *
 * @throws CronError when no time matches within 30 years.
 *
 * @example
 * nextFireAfter(parseCron('0 9 * * *'), new Date('2026-01-01T12:00:00Z'), 'Europe/Berlin'); // 2026-01-02T08:00:00Z
 */
export function nextFireAfter(cron: CronExpression, after: Date, timeZone: string): Date {
  const next = croner(cron, timeZone).nextRun(after);
  if (!next || next.getTime() - after.getTime() > SEARCH_YEARS * 366 * 86_400_000) {
    throw new CronError(`The cron expression '${cron.source}' matches no time in the next ${SEARCH_YEARS} years; check its day-of-month, month and day-of-week fields.`, null);
  }
  return next;
}

/** croner jobs by expression and time zone; a job is only used to compute times, never started. */
const jobs = new Map<string, Cron>();
/** Maximum number of cached croner jobs; the cache is cleared when it is full. */
const MAX_CACHED_JOBS = 1_000;

function croner(cron: CronExpression, timeZone: string): Cron {
  const key = `${timeZone}\u0000${cron.expanded}`;
  let job = jobs.get(key);
  if (!job) {
    if (jobs.size >= MAX_CACHED_JOBS) jobs.clear();
    // As in Vixie cron, day-of-month and day-of-week are ORed unless either starts with '*'.
    job = new Cron(cron.expanded, { timezone: timeZone, mode: '5-part', fixedTimeRule: 'no-wildcard', domAndDow: cron.dayOfMonthStar || cron.dayOfWeekStar, sloppyRanges: true, paused: true });
    jobs.set(key, job);
  }
  return job;
}
