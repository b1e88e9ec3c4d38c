import { describeValue, getPath, ItemError, Parameters, parametersPerItem, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';
import { daysInMonth, formatOffset, fromWallTime, isoInZone, isTimeZone, offsetAt, wallTime, type WallTime } from '../lib/dates.js';

const OPERATIONS = ['parse', 'format', 'add', 'subtract', 'difference', 'convertTimezone'] as const;
type Operation = (typeof OPERATIONS)[number];
export const DATE_UNITS = ['milliseconds', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years'] as const;
type Unit = (typeof DATE_UNITS)[number];

const UNIT_MS: Partial<Record<Unit, number>> = { milliseconds: 1, seconds: 1_000, minutes: 60_000, hours: 3_600_000 };

/** Pattern tokens, longest first; text in single quotes is literal. */
const TOKEN = /'([^']*)'|yyyy|yy|MMMM|MMM|MM|M|dd|d|EEEE|EEE|HH|H|hh|h|mm|m|ss|s|SSS|a|XXX|X/g;

/** Regular expressions of the tokens that can be parsed. */
const PARSE_TOKENS: Record<string, string> = {
  yyyy: '(\\d{4})', yy: '(\\d{2})', MM: '(\\d{2})', M: '(\\d{1,2})', dd: '(\\d{2})', d: '(\\d{1,2})',
  HH: '(\\d{2})', H: '(\\d{1,2})', hh: '(\\d{2})', h: '(\\d{1,2})', mm: '(\\d{2})', m: '(\\d{1,2})',
  ss: '(\\d{2})', s: '(\\d{1,2})', SSS: '(\\d{3})', a: '(AM|PM|am|pm)', XXX: '(Z|[+-]\\d{2}:?\\d{2})', X: '(Z|[+-]\\d{2}:?\\d{2})',
};

const NAIVE_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

function pad(value: number, length = 2): string {
  return String(value).padStart(length, '0');
}

function nameOf(locale: string, options: Intl.DateTimeFormatOptions, wall: WallTime): string {
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(new Date(Date.UTC(wall.year, wall.month - 1, wall.day)));
}

/** Formats an instant by a pattern such as yyyy-MM-dd HH:mm, in a zone and locale. */
export function formatPattern(instant: number, pattern: string, timeZone: string, locale: string): string {
  const wall = wallTime(instant, timeZone);
  const hour12 = wall.hour % 12 === 0 ? 12 : wall.hour % 12;
  return pattern.replace(TOKEN, (token, literal: string | undefined) => {
    if (literal !== undefined) return literal === '' ? "'" : literal;
    switch (token) {
      case 'yyyy': return pad(wall.year, 4);
      case 'yy': return pad(wall.year % 100);
      case 'MMMM': return nameOf(locale, { month: 'long' }, wall);
      case 'MMM': return nameOf(locale, { month: 'short' }, wall);
      case 'MM': return pad(wall.month);
      case 'M': return String(wall.month);
      case 'dd': return pad(wall.day);
      case 'd': return String(wall.day);
      case 'EEEE': return nameOf(locale, { weekday: 'long' }, wall);
      case 'EEE': return nameOf(locale, { weekday: 'short' }, wall);
      case 'HH': return pad(wall.hour);
      case 'H': return String(wall.hour);
      case 'hh': return pad(hour12);
      case 'h': return String(hour12);
      case 'mm': return pad(wall.minute);
      case 'm': return String(wall.minute);
      case 'ss': return pad(wall.second);
      case 's': return String(wall.second);
      case 'SSS': return pad(wall.millisecond, 3);
      case 'a': return wall.hour < 12 ? 'AM' : 'PM';
      case 'XXX': return formatOffset(offsetAt(instant, timeZone), true);
      default: return formatOffset(offsetAt(instant, timeZone), true).replace(':', '');
    }
  });
}

/** Parses text by a pattern; returns null when it does not match. Throws Error for a token that cannot be parsed. */
function parsePattern(text: string, pattern: string, timeZone: string): number | null {
  const order: string[] = [];
  let source = '';
  let last = 0;
  for (const match of pattern.matchAll(TOKEN)) {
    source += escapeRegex(pattern.slice(last, match.index));
    if (match[1] !== undefined) source += escapeRegex(match[1] === '' ? "'" : match[1]);
    else {
      const expression = PARSE_TOKENS[match[0]];
      if (expression === undefined) throw new Error(`the token ${match[0]} can be formatted but not parsed`);
      order.push(match[0]);
      source += expression;
    }
    last = match.index! + match[0].length;
  }
  source += escapeRegex(pattern.slice(last));
  const found = new RegExp(`^${source}$`).exec(text.trim());
  if (!found) return null;

  const wall: WallTime = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 };
  let pm: boolean | undefined;
  let offset: string | undefined;
  order.forEach((token, index) => {
    const value = found[index + 1]!;
    const number = Number(value);
    if (token === 'yyyy') wall.year = number;
    else if (token === 'yy') wall.year = 2000 + number;
    else if (token === 'MM' || token === 'M') wall.month = number;
    else if (token === 'dd' || token === 'd') wall.day = number;
    else if (token === 'HH' || token === 'H' || token === 'hh' || token === 'h') wall.hour = number;
    else if (token === 'mm' || token === 'm') wall.minute = number;
    else if (token === 'ss' || token === 's') wall.second = number;
    else if (token === 'SSS') wall.millisecond = number;
    else if (token === 'a') pm = value.toLowerCase() === 'pm';
    else offset = value;
  });
  if (pm !== undefined) wall.hour = (wall.hour % 12) + (pm ? 12 : 0);
  if (!isValidWall(wall)) return null;
  if (offset === undefined) return fromWallTime(wall, timeZone);
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset === 'Z' ? '0000' : offset.slice(1).replace(':', '');
  const offsetMs = offset === 'Z' ? 0 : sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond) - offsetMs;
}

function isValidWall(wall: WallTime): boolean {
  return wall.month >= 1 && wall.month <= 12 && wall.day >= 1 && wall.day <= daysInMonth(wall.year, wall.month) && wall.hour < 24 && wall.minute < 60 && wall.second < 60;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Reads an instant from a value: a number (milliseconds, or seconds with inputFormat
 * epochSeconds), ISO 8601 text (wall time in `timeZone` when it has no offset), or text in
 * a custom pattern. Returns null when the value is not a date.
 */
export function toInstant(value: unknown, inputFormat: string, timeZone: string): number | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    return inputFormat === 'epochSeconds' ? value * 1_000 : value;
  }
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();

  if (inputFormat === 'epochMs' || inputFormat === 'epochSeconds') {
    const number = Number(text);
    if (!Number.isFinite(number)) return null;
    return inputFormat === 'epochSeconds' ? number * 1_000 : number;
  }
  if (inputFormat !== 'auto' && inputFormat !== 'iso') return parsePattern(text, inputFormat, timeZone);

  const naive = NAIVE_ISO.exec(text);
  if (naive) {
    const wall: WallTime = {
      year: Number(naive[1]), month: Number(naive[2]), day: Number(naive[3]),
      hour: Number(naive[4] ?? 0), minute: Number(naive[5] ?? 0), second: Number(naive[6] ?? 0),
      millisecond: Number((naive[7] ?? '0').padEnd(3, '0')),
    };
    return isValidWall(wall) ? fromWallTime(wall, timeZone) : null;
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : parsed;
}

/** Adds whole calendar units in a zone, or exact durations for units up to hours. */
export function addToInstant(instant: number, amount: number, unit: Unit, timeZone: string): number {
  const exact = UNIT_MS[unit];
  if (exact !== undefined) return instant + amount * exact;
  const wall = wallTime(instant, timeZone);
  if (unit === 'days' || unit === 'weeks') {
    const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + amount * (unit === 'weeks' ? 7 : 1)));
    return fromWallTime({ ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }, timeZone);
  }
  const months = wall.year * 12 + (wall.month - 1) + amount * (unit === 'years' ? 12 : 1);
  const year = Math.floor(months / 12);
  const month = (months % 12) + 1;
  // The 31st plus one month is the last day of the shorter month, not a day of the next one.
  return fromWallTime({ ...wall, year, month, day: Math.min(wall.day, daysInMonth(year, month)) }, timeZone);
}

/** `to - from` in a unit: exact (with fractions) up to weeks, whole calendar months or years beyond. */
export function difference(from: number, to: number, unit: Unit, timeZone: string): number {
  if (unit === 'days' || unit === 'weeks' || UNIT_MS[unit] !== undefined) {
    const unitMs = UNIT_MS[unit] ?? (unit === 'days' ? 86_400_000 : 604_800_000);
    return (to - from) / unitMs;
  }
  const sign = to < from ? -1 : 1;
  const [start, end] = sign > 0 ? [from, to] : [to, from];
  const a = wallTime(start, timeZone);
  const b = wallTime(end, timeZone);
  let months = (b.year - a.year) * 12 + (b.month - a.month);
  if (months > 0 && addToInstant(start, months, 'months', timeZone) > end) months -= 1;
  return sign * (unit === 'years' ? Math.trunc(months / 12) : months);
}

/**
 * `mify.data.date-time`: parses, formats, shifts, compares and converts dates per item, with
 * time zones from Intl.
 */
export const dateTime = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const items: Item[] = input.items.map((item, itemIndex) => {
      const params: Parameters = new Parameters(perItem[itemIndex]!, ctx.node.name);
      const operation = params.string<Operation>('operation', { enum: OPERATIONS });
      const timeZone = params.string('timezone', { default: 'UTC' });
      if (!isTimeZone(timeZone)) params.fail('timezone', `is ${describeValue(timeZone)}, which is not a time zone`, 'Use an IANA name such as Europe/Berlin, America/New_York or UTC.');
      const inputFormat = params.string('inputFormat', { default: 'auto' });
      const fieldText = params.optionalString('field');
      const field = fieldText === undefined ? null : parsePath(fieldText);
      if (fieldText !== undefined && field === null) params.fail('field', `is ${describeValue(fieldText)}, which is not a field path`, 'Use a dot path such as createdAt.');
      if (field === null && !Object.hasOwn(params.values, 'value')) params.fail('field', 'is missing', 'Set "field" to the field that contains the date, or "value" to a date such as {{ $json.createdAt }}.');
      const outputText = params.string('outputField', { default: fieldText ?? 'date' });
      const output = parsePath(outputText);
      if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as formatted.');

      const read = (raw: unknown, source: string): number => {
        let instant: number | null;
        try {
          instant = toInstant(raw, inputFormat, timeZone);
        } catch (error) {
          return params.fail('inputFormat', `is "${inputFormat}": ${(error as Error).message}`, 'Use auto, iso, epochMs, epochSeconds or a pattern of yyyy, MM, dd, HH, mm, ss, SSS, a and XXX.');
        }
        if (instant === null) {
          throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has ${describeValue(raw)} in ${source}, which is not a date in the input format "${inputFormat}". Use ISO 8601 such as 2024-05-01T12:00:00Z, milliseconds since 1970, or set "inputFormat" to the pattern of the text.`);
        }
        return instant;
      };
      const raw = field === null ? params.raw('value') : getPath(item.json, field);
      const instant = read(raw, field === null ? '"value"' : `field "${fieldText}"`);

      let result: unknown;
      switch (operation) {
        case 'parse':
          result = new Date(instant).toISOString();
          break;
        case 'format': {
          const format = params.string('format', { default: 'iso' });
          const locale = params.string('locale', { default: 'en' });
          try {
            new Intl.DateTimeFormat(locale);
          } catch {
            params.fail('locale', `is ${describeValue(locale)}, which is not a locale`, 'Use a BCP 47 tag such as en or de-CH.');
          }
          if (format === 'iso') result = isoInZone(instant, timeZone);
          else if (format === 'epochMs') result = instant;
          else if (format === 'epochSeconds') result = Math.floor(instant / 1_000);
          else if (['short', 'medium', 'long', 'full'].includes(format)) result = new Intl.DateTimeFormat(locale, { dateStyle: format as 'short', timeStyle: format as 'short', timeZone }).format(new Date(instant));
          else result = formatPattern(instant, format, timeZone, locale);
          break;
        }
        case 'add':
        case 'subtract': {
          const amount = params.number('amount');
          const unit = params.string<Unit>('unit', { enum: DATE_UNITS });
          if (!UNIT_MS[unit] && !Number.isInteger(amount)) params.fail('amount', `is ${amount}, but ${unit} are added in whole steps`, 'Use a whole number, or a smaller unit such as hours.');
          result = isoInZone(addToInstant(instant, operation === 'add' ? amount : -amount, unit, timeZone), timeZone);
          break;
        }
        case 'difference': {
          const unit = params.string<Unit>('unit', { enum: DATE_UNITS });
          const otherText = params.optionalString('otherField');
          const otherPath = otherText === undefined ? null : parsePath(otherText);
          if (otherText !== undefined && otherPath === null) params.fail('otherField', `is ${describeValue(otherText)}, which is not a field path`, 'Use a dot path such as endedAt.');
          if (otherPath === null && !Object.hasOwn(params.values, 'otherValue')) params.fail('otherField', 'is missing', 'Set "otherField" or "otherValue" to the date to compare with.');
          const other = read(otherPath === null ? params.raw('otherValue') : getPath(item.json, otherPath), otherPath === null ? '"otherValue"' : `field "${otherText}"`);
          result = difference(instant, other, unit, timeZone);
          break;
        }
        case 'convertTimezone': {
          const target = params.string('targetTimezone');
          if (!isTimeZone(target)) params.fail('targetTimezone', `is ${describeValue(target)}, which is not a time zone`, 'Use an IANA name such as Asia/Tokyo.');
          result = isoInZone(instant, target);
          break;
        }
      }

      const json = { ...item.json };
      setPath(json, output, result);
      return item.binary === undefined ? { json } : { json, binary: item.binary };
    });
    return { items };
  },
};
