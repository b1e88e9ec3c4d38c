import { decodeBase64Text, decodeHexText, rot13 } from './decode.js';

/**
 * Text views that signal patterns are matched against. An attacker can hide a phrase with
 * invisible characters, look-alike letters, digits for letters, spaced-out letters or an
 * encoding. Each view undoes one of these, so a pattern written once in plain lower-case
 * English matches all of them.
 */

/** Derivation of a view from the scanned text. */
export type ViewKind = 'text' | 'leetspeak' | 'spaced' | 'base64' | 'hex' | 'url' | 'unicode_tags' | 'rot13' | 'reversed';

export interface TextView {
  kind: ViewKind;
  /** Normalized text: NFKC, no diacritics or invisible characters, lower case. */
  text: string;
}

/** Traces of hiding found while building the views, before any pattern matches. */
export interface ObfuscationTraces {
  /** Zero-width characters and soft hyphens between two letters. */
  zeroWidthInWords: number;
  /** Characters of the Unicode tag block (U+E0000 to U+E007F), invisible in most fonts. */
  unicodeTags: number;
  /** Bidirectional override and isolate controls. */
  bidiControls: number;
  /** Words mixing Latin letters with Cyrillic or Greek look-alikes. */
  homoglyphWords: number;
}

export interface PreparedText {
  views: TextView[];
  traces: ObfuscationTraces;
}

const ZERO_WIDTH = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g;
const ZERO_WIDTH_IN_WORD = /(?<=\p{L})[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]+(?=\p{L})/gu;
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
const UNICODE_TAGS = /[\u{E0000}-\u{E007F}]/gu;

// Cyrillic and Greek letters that look like Latin ones, mapped in words that mix scripts.
const HOMOGLYPHS: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', І: 'I', Ј: 'J', Ѕ: 'S',
  α: 'a', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
};
// Patterns below match whole tokens first and test them in a callback: lookaheads inside
// the match would rescan a long token from every position, which is quadratic.
const WORD = /[\p{L}\p{M}]+/gu;
const LATIN = /[a-zA-Z]/;
const CYRILLIC_OR_GREEK = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '|': 'l' };
// Candidate leetspeak tokens; only those mixing letters with digits or symbols that stand for letters, such as "1gn0r3", change.
const LEET_TOKEN = /[a-z0-9@$|]{2,}/g;
const LEET_SYMBOL = /[0134578@$|]/;
// Three or more single letters split by one repeated separator, such as "i g n o r e" or "b.o.m.b".
const SPACED_LETTERS = /(?<![\p{L}\p{N}])\p{L}([ .\-_*/])\p{L}(?:\1\p{L}){1,}(?![\p{L}\p{N}])/gu;

/** Cleans text for matching: NFKC, no diacritics or invisible characters, straight quotes, lower case. */
function clean(text: string): string {
  return text
    .replace(ZERO_WIDTH, '')
    .replace(BIDI_CONTROLS, '')
    .replace(UNICODE_TAGS, '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .toLowerCase();
}

/** Cleans text as `clean` does and collapses runs of spaces and tabs, keeping line breaks. */
export function normalize(text: string): string {
  return clean(text).replace(/[^\S\n]+/g, ' ');
}

/** Builds every view of `raw` that differs from the plain normalized text, and counts traces of hiding. */
export function prepareText(raw: string, options: { decodeEncodings: boolean }): PreparedText {
  const traces: ObfuscationTraces = {
    zeroWidthInWords: raw.match(ZERO_WIDTH_IN_WORD)?.length ?? 0,
    unicodeTags: 0,
    bidiControls: raw.match(BIDI_CONTROLS)?.length ?? 0,
    homoglyphWords: 0,
  };

  const tags = raw.match(UNICODE_TAGS) ?? [];
  traces.unicodeTags = tags.length;

  const unconfused = raw.replace(WORD, (word) => {
    if (!LATIN.test(word) || !CYRILLIC_OR_GREEK.test(word)) return word;
    traces.homoglyphWords++;
    return [...word].map((character) => HOMOGLYPHS[character] ?? character).join('');
  });

  const base = normalize(unconfused);
  const views: TextView[] = [{ kind: 'text', text: base }];
  const add = (kind: ViewKind, text: string) => {
    const normalized = normalize(text);
    if (normalized.trim() !== '' && !views.some((view) => view.text === normalized)) views.push({ kind, text: normalized });
  };

  add('leetspeak', base.replace(LEET_TOKEN, (token) => (/[a-z]/.test(token) && LEET_SYMBOL.test(token) ? [...token].map((character) => LEET[character] ?? character).join('') : token)));
  // Spaced-out letters are joined before spaces collapse, so a wider gap still separates words.
  add('spaced', clean(unconfused).replace(SPACED_LETTERS, (letters) => letters.replace(/[ .\-_*/]/g, '')));
  if (tags.length > 0) add('unicode_tags', tags.map((tag) => String.fromCharCode(tag.codePointAt(0)! - 0xe0000)).join(''));
  if (!options.decodeEncodings) return { views, traces };

  for (const decoded of decodeBase64Text(raw)) add('base64', decoded);
  for (const decoded of decodeHexText(raw)) add('hex', decoded);
  if ((raw.match(/%[0-9A-Fa-f]{2}/g)?.length ?? 0) >= 4) {
    try {
      add('url', decodeURIComponent(raw.replace(/\+/g, ' ')));
    } catch {
      // A malformed escape leaves the URL view out; the plain view is still scanned.
    }
  }
  if (/\brot-?13\b|\bcaesar\b/i.test(base)) add('rot13', rot13(unconfused));
  if (/\brevers|\bbackwards?\b|\bright to left\b/.test(base)) add('reversed', [...unconfused].reverse().join(''));
  return { views, traces };
}
