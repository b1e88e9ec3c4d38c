import { RagError } from '../errors.js';
import type { ParsedDocument } from './types.js';

/** Maximum rows read from one CSV document. */
export const MAX_CSV_ROWS = 100_000;

/** Guesses the delimiter from the first line: the most frequent of `,`, `;`, tab and `|` outside quotes. */
export function detectDelimiter(source: string): string {
  const firstLine = source.split('\n', 1)[0] ?? '';
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t', '|']) {
    let count = 0;
    let quoted = false;
    for (const character of firstLine) {
      if (character === '"') quoted = !quoted;
      else if (!quoted && character === candidate) count += 1;
    }
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Splits CSV into records as RFC 4180 describes: fields may be quoted, a quote inside a
 * quoted field is doubled, and quoted fields may span lines.
 */
export function parseCsvRecords(source: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let index = 0;

  while (index < source.length) {
    const character = source[index]!;
    if (quoted) {
      if (character === '"' && source[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (character === '"') quoted = false;
      else field += character;
      index += 1;
      continue;
    }

    if (character === '"' && field === '') quoted = true;
    else if (character === delimiter) {
      record.push(field);
      field = '';
    } else if (character === '\n' || character === '\r') {
      record.push(field);
      field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
      if (character === '\r' && source[index + 1] === '\n') index += 1;
      if (records.length > MAX_CSV_ROWS) throw new RagError('invalid_argument', `The CSV document has more than ${MAX_CSV_ROWS} rows. Split it into smaller files.`);
    } else field += character;
    index += 1;
  }
  if (quoted) throw new RagError('invalid_argument', 'The CSV document ends inside a quoted field: a closing double quote is missing. Close the quote, or double quotes that are part of a value ("").');
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  return records;
}

/**
 * Reads CSV with a header row. Each row becomes an object keyed by the header, and one line
 * of text (`column: value; column: value`), so every chunk of rows is readable on its own.
 * Empty header cells are named `column_<n>`, and repeated ones get a `_<n>` suffix.
 */
export function parseCsv(source: string, options: { delimiter?: string } = {}): ParsedDocument {
  const text = source.replace(/^\uFEFF/, '');
  const delimiter = options.delimiter ?? detectDelimiter(text);
  const records = parseCsvRecords(text, delimiter);
  if (records.length === 0) return { text: '', title: null, rows: [], warnings: ['The CSV document is empty.'] };

  const seen = new Map<string, number>();
  const header = records[0]!.map((cell, index) => {
    const base = cell.trim() || `column_${index + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}_${count}`;
  });

  const warnings: string[] = [];
  const rows = records.slice(1).map((record, rowIndex) => {
    if (record.length !== header.length && warnings.length < 10) warnings.push(`Row ${rowIndex + 2} has ${record.length} fields; the header has ${header.length}.`);
    const row: Record<string, string> = {};
    header.forEach((name, index) => {
      row[name] = record[index] ?? '';
    });
    return row;
  });
  const lines = rows.map((row) => header.map((name) => `${name}: ${row[name]!.replace(/\s+/g, ' ').trim()}`).join('; '));
  return { text: lines.join('\n'), title: null, rows, warnings };
}
