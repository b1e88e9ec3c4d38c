/** Tokenization shared by the local embedder, the lexical reranker and the extractive answer mode. */

/** Common English function words, which carry little meaning for retrieval. */
export const STOP_WORDS = new Set(
  ('a an and are as at be been but by can could did do does for from had has have how i if in into is it its just me my no not of on or ' +
    'our out so than that the their them then there these they this those to too us was we were what when where which who whom why will ' +
    'with would you your yours about after again all also am any because before being below between both each few further here more most ' +
    'must nor only other over own same she he her him his should some such through under until up very while use used using get one')
    .split(' '),
);

/** Lower-cased runs of letters and digits, with diacritics removed where the runtime can decompose them. */
export function words(text: string): string[] {
  let lower = text.toLowerCase();
  try {
    lower = lower.normalize('NFKD').replace(/\p{M}+/gu, '');
  } catch {
    // A runtime without Unicode normalization keeps the accents.
  }
  return lower.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Strips common English suffixes (plural, -ing, -ed, -ly, -ies), so "parsing", "parses" and
 * "parsed" share one stem. It is much cruder than Porter's stemmer, by design, and removes a
 * suffix only when a stem of at least three letters remains.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /^\d+$/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('ly') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('es') && word.length > 4 && /(?:ss|x|ch|sh|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  if (word.endsWith('e') && word.length > 4) return word.slice(0, -1);
  return word;
}

/** Stems of the words of `text` that are not stop words, in order. */
export function contentTerms(text: string): string[] {
  return words(text)
    .filter((word) => !STOP_WORDS.has(word))
    .map(stem);
}
