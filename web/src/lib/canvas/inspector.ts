// Views of node output for the inspector: a table of item fields, binary
// previews, and typed JSON turned into pinned items.
import type { Item } from './types';

/** Rows the table view shows; the JSON view shows every recorded item. */
export const TABLE_MAX_ROWS = 200;
/** Characters shown of one table cell. */
export const CELL_MAX_CHARS = 200;
/** Largest JSON text accepted as pinned data, in characters. */
export const PIN_MAX_CHARS = 5_000_000;
/** Characters of a text file shown in the binary preview. */
export const TEXT_PREVIEW_MAX_CHARS = 10_000;

export interface ItemTable {
  columns: string[];
  rows: string[][];
  /** Items left out past `TABLE_MAX_ROWS`. */
  hiddenRows: number;
}

/** Renders a JSON value as one table cell: strings as they are, everything else as compact JSON. */
export function cellText(value: unknown): string {
  let text: string;
  if (value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value);
  return text.length > CELL_MAX_CHARS ? `${text.slice(0, CELL_MAX_CHARS - 1)}…` : text;
}

/** Lays items out as a table: one row per item, one column per top-level JSON field in order of first appearance. */
export function tableOf(items: Item[]): ItemTable {
  const shown = items.slice(0, TABLE_MAX_ROWS);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const item of shown) {
    for (const key of Object.keys(item.json)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const rows = shown.map((item) => columns.map((column) => cellText(item.json[column])));
  return { columns, rows, hiddenRows: items.length - shown.length };
}

export type BinaryKind = 'image' | 'text' | 'other';

/** Decides how a binary entry is previewed from its MIME type. */
export function binaryKind(mimeType: string): BinaryKind {
  const type = mimeType.toLowerCase().split(';')[0]!.trim();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('text/') || ['application/json', 'application/xml', 'application/javascript', 'application/x-ndjson', 'application/yaml'].includes(type) || type.endsWith('+json') || type.endsWith('+xml')) return 'text';
  return 'other';
}

/** Size in bytes of base64 data, from its length and padding. */
export function base64Bytes(data: string): number {
  const clean = data.replace(/\s/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

/** Decodes base64 data as UTF-8 text, cut at `maxChars`. */
export function decodeBase64Text(data: string, maxChars = TEXT_PREVIEW_MAX_CHARS): { text: string; cut: boolean } {
  const bytes = Uint8Array.from(atob(data.replace(/\s/g, '')), (char) => char.charCodeAt(0));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.length > maxChars ? { text: text.slice(0, maxChars), cut: true } : { text, cut: false };
}

/** Lists every binary entry of the items with the index of its item. */
export function binaryEntries(items: Item[]): Array<{ itemIndex: number; key: string; mimeType: string; fileName: string | undefined; data: string; kind: BinaryKind; bytes: number }> {
  return items.flatMap((item, itemIndex) =>
    Object.entries(item.binary ?? {}).map(([key, entry]) => ({
      itemIndex,
      key,
      mimeType: entry.mimeType,
      fileName: entry.fileName,
      data: entry.data,
      kind: binaryKind(entry.mimeType),
      bytes: base64Bytes(entry.data),
    })),
  );
}

/** The result of reading typed pinned data. */
export type PinParseResult = { ok: true; items: Item[] } | { ok: false; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads JSON typed as pinned data. It accepts an array of items
 * (`[{ "json": { … } }]`), an array of plain objects (each becomes an item's
 * JSON), or one object. The message of a rejection names what is wrong and
 * the expected form.
 */
export function parsePinnedJson(text: string): PinParseResult {
  if (text.length > PIN_MAX_CHARS) return { ok: false, message: `The pinned data has ${text.length} characters; at most ${PIN_MAX_CHARS} are accepted. Pin fewer items.` };

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `The pinned data is not valid JSON: ${(error as Error).message}. Enter an array of objects, such as [{ "name": "Ada" }].` };
  }

  const entries = Array.isArray(value) ? value : [value];
  const items: Item[] = [];
  for (const [index, entry] of entries.entries()) {
    if (!isRecord(entry)) return { ok: false, message: `Entry ${index} of the pinned data is ${entry === null ? 'null' : Array.isArray(entry) ? 'an array' : `a ${typeof entry}`}; each entry must be an object, such as { "name": "Ada" }.` };
    const keys = Object.keys(entry);
    const isItem = isRecord(entry.json) && keys.every((key) => key === 'json' || key === 'binary' || key === 'pairedItem');
    items.push(isItem ? (entry as unknown as Item) : { json: entry });
  }
  return { ok: true, items };
}
