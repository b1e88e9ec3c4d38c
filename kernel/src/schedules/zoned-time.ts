/**
 * Time-zone arithmetic on top of Intl, without a time-zone library.
 *
 * A "wall time" is a local date and time written as milliseconds since the epoch as if the
 * zone were UTC, so `new Date(wall).getUTCHours()` is the local hour. An "instant" is a real
 * point in time in epoch milliseconds.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Returns whether Intl accepts `timeZone` as an IANA time zone name (such as `Europe/Berlin`) or `UTC`. */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (positive east of Greenwich). */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const fields: Record<string, number> = {};
  let bce = false;
  for (const part of formatterFor(timeZone).formatToParts(whole)) {
    if (part.type === 'era') bce = part.value === 'BC' || part.value === 'B';
    else if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = bce ? 1 - fields.year! : fields.year!;
  const wall = Date.UTC(year, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!);
  return wall - whole;
}

/** Wall time of `instant` in `timeZone`. */
export function wallTimeOf(instant: number, timeZone: string): number {
  return instant + offsetAt(instant, timeZone);
}

/** Mapping of a wall time to the instants at which it occurs in a zone. */
export type WallTimeResolution =
  /** The wall time occurs once. */
  | { kind: 'single'; instant: number }
  /** A backward offset change (end of daylight saving time) repeats it: `instants` are the first and second occurrence. */
  | { kind: 'repeated'; instants: [number, number] }
  /**
   * A forward offset change (start of daylight saving time) skips it. `shifted` reads the wall
   * time with the offset from before the change, which lands after the change by as much as the
   * wall time lay inside the skipped span (02:30 in a skipped 02:00-03:00 becomes 03:30). That
   * is the `compatible` disambiguation of RFC 5545 and the TC39 Temporal API.
   */
  | { kind: 'skipped'; shifted: number };

/**
 * Finds the instants at which the wall time `wall` occurs in `timeZone`.
 *
 * NOTE: assumes the zone changes its offset at most once between a day before and a day after
 * the wall time. Real daylight-saving rules change it twice a year at most, but this is not
 * checked against the time-zone database.
 */
export function resolveWallTime(wall: number, timeZone: string): WallTimeResolution {
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);

  const instants: number[] = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wall - offset;
    if (offsetAt(instant, timeZone) === offset) instants.push(instant);
  }
  instants.sort((a, b) => a - b);

  if (instants.length === 2) return { kind: 'repeated', instants: [instants[0]!, instants[1]!] };
  if (instants.length === 1) return { kind: 'single', instant: instants[0]! };
  return { kind: 'skipped', shifted: wall - before };
}

/** Rounds `ms` up to the next whole minute; a whole minute stays as it is. */
export function ceilToMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}
