import { labelOf, type PiiMatch } from './types.js';

export type RedactionStyle = 'label' | 'mask';

export interface RedactOptions {
  /** `label` replaces a match with its type label such as `[EMAIL]`; `mask` overwrites its letters and digits. */
  redaction: RedactionStyle;
  maskCharacter: string;
  /** Letters and digits left visible at the end of a masked match, such as the last 4 of a card. */
  keepLast: number;
}

/** Replaces non-overlapping matches in `text`, sorted by start, with labels or masks as `options` sets. */
export function redact(text: string, matches: readonly PiiMatch[], options: RedactOptions): string {
  let result = '';
  let cursor = 0;
  for (const found of matches) {
    result += text.slice(cursor, found.start);
    const value = text.slice(found.start, found.end);
    result += options.redaction === 'label' ? labelOf(found.type) : mask(value, options.maskCharacter, options.keepLast);
    cursor = found.end;
  }
  return result + text.slice(cursor);
}

/** Masks every letter and digit of `value` except the last `keepLast`, keeping separators and `@`. */
function mask(value: string, maskCharacter: string, keepLast: number): string {
  const alphanumerics = value.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  let seen = 0;
  let result = '';
  for (const character of value) {
    if (!/[\p{L}\p{N}]/u.test(character)) {
      result += character;
      continue;
    }
    seen++;
    result += seen > alphanumerics - keepLast ? character : maskCharacter;
  }
  return result;
}
