/**
 * The local embedder: feature hashing of words, word pairs and character trigrams into a
 * fixed number of dimensions, L2-normalised. It needs no model file and no network, and the
 * same text always gives the same vector. It measures lexical overlap, not meaning: see the
 * extension README for what that means for retrieval quality.
 */
import { contentTerms, stem, words } from '../text/tokens.js';

export const LOCAL_PROVIDER = 'mify-local';
export const LOCAL_MODEL = 'hashed-ngrams-v1';
export const LOCAL_DIMENSIONS = 512;

/** Relative weights of the three feature kinds. */
const WORD_WEIGHT = 1;
const PAIR_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;
const KIND_WEIGHTS: Record<string, number> = { w: WORD_WEIGHT, p: PAIR_WEIGHT, t: TRIGRAM_WEIGHT };

/** 32-bit FNV-1a of a string with a feature-kind prefix, so a word and a trigram of the same letters hash apart. */
function hash32(kind: string, text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < kind.length; index += 1) {
    hash ^= kind.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function addFeature(counts: Map<string, number>, key: string, weight: number): void {
  counts.set(key, (counts.get(key) ?? 0) + weight);
}

/**
 * Embeds one text. Each feature's count is damped (1 + ln count) so a repeated word does not
 * dominate, then added at its hashed dimension with a hashed sign (the signed hashing trick,
 * which keeps collisions from biasing similarity upward).
 */
export function embedLocal(text: string, dimensions = LOCAL_DIMENSIONS): number[] {
  // A text of stop words only ("to be or not to be") keeps them rather than embedding to nothing.
  let terms = contentTerms(text);
  if (terms.length === 0) terms = words(text).map(stem);
  const counts = new Map<string, number>();
  terms.forEach((term, index) => {
    addFeature(counts, `w:${term}`, WORD_WEIGHT);
    if (index > 0) addFeature(counts, `p:${terms[index - 1]} ${term}`, PAIR_WEIGHT);
    const padded = `^${term}$`;
    for (let offset = 0; offset + 3 <= padded.length; offset += 1) addFeature(counts, `t:${padded.slice(offset, offset + 3)}`, TRIGRAM_WEIGHT);
  });

  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, count] of counts) {
    const kindWeight = KIND_WEIGHTS[feature[0]!]!;
    const occurrences = count / kindWeight;
    const value = kindWeight * (1 + Math.log(occurrences));
    const hash = hash32(feature[0]!, feature.slice(2));
    vector[hash % dimensions]! += hash & 0x80000000 ? -value : value;
  }

  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) {
    // No letters or digits at all: a fixed unit vector, because a zero vector has no cosine similarity.
    vector[0] = 1;
    return vector;
  }
  const scale = 1 / Math.sqrt(norm);
  return vector.map((value) => Math.round(value * scale * 1e6) / 1e6);
}
