/**
 * Time-zone arithmetic on top of Intl, which the isolate provides with the full IANA
 * database of the kernel's Node.js build. An instant is milliseconds since 1970 (UTC); wall
 * time is what a clock in a given zone shows.
 */

export interface WallTime {
  year: number;
  /** 1 to 12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Returns a formatter for the zone, or throws RangeError for an unknown zone. */
function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Checks a time zone name such as Europe/Berlin or UTC. */
export function isTimeZone(timeZone: string): boolean {
  try {
    zoneFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function wallTime(instant: number, timeZone: string): WallTime {
  const parts: Record<string, string> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  const year = Number(parts.year);
  return {
    year: parts.era === 'BC' || parts.era === 'B' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: ((instant % 1000) + 1000) % 1000,
  };
}

function utcOf(wall: WallTime): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

/** Offset of the zone from UTC at an instant, in milliseconds (east positive). */
export function offsetAt(instant: number, timeZone: string): number {
  return utcOf(wallTime(instant, timeZone)) - instant;
}

/**
 * Converts wall time in a zone to an instant. Wall times skipped by a DST change move
 * forward by the change; repeated ones resolve to the earlier instant.
 */
export function fromWallTime(wall: WallTime, timeZone: string): number {
  const utc = utcOf(wall);
  const before = utc - offsetAt(utc, timeZone);
  const candidates = [before, utc - offsetAt(before, timeZone)];
  const exact = candidates.filter((instant) => utcOf(wallTime(instant, timeZone)) === utc);
  return exact.length > 0 ? Math.min(...exact) : Math.max(...candidates);
}

/** Formats an offset such as +09:00, or Z for zero when `zulu` is true. */
export function formatOffset(offsetMs: number, zulu: boolean): string {
  if (offsetMs === 0 && zulu) return 'Z';
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${offsetMs < 0 ? '-' : '+'}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** ISO 8601 with the zone's offset, such as 2024-03-01T09:30:00.000+09:00. */
export function isoInZone(instant: number, timeZone: string): string {
  const wall = wallTime(instant, timeZone);
  const pad = (value: number, length = 2) => String(value).padStart(length, '0');
  const year = wall.year >= 0 && wall.year <= 9999 ? pad(wall.year, 4) : `${wall.year < 0 ? '-' : '+'}${pad(Math.abs(wall.year), 6)}`;
  return `${year}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}.${pad(wall.millisecond, 3)}${formatOffset(offsetAt(instant, timeZone), true)}`;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
