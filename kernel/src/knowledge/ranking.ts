/**
 * Ranking of retrieval candidates: maximal marginal relevance (MMR) for diverse results and
 * reciprocal rank fusion (RRF) for hybrid vector and full-text search. Pure functions, so the
 * vector store, the knowledge-base API and their tests share them.
 */

/** Constant k of reciprocal rank fusion: a document at rank r adds 1 / (k + r). 60 is the value of Cormack et al. (SIGIR 2009). */
export const RRF_K = 60;

/** Cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index += 1) {
    const x = a[index]!;
    const y = b[index]!;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  if (normA === 0 || normB === 0) return 0;
  return dot / Math.sqrt(normA * normB);
}

/**
 * Selects `topK` candidates by maximal marginal relevance: each step takes the candidate with
 * the highest `lambda * relevance - (1 - lambda) * max similarity to those already taken`.
 * `lambda` 1 is plain relevance order, 0 maximal diversity. Returns indexes into `candidates`
 * in selection order, each with its MMR score at the time it was taken.
 *
 * @example
 * selectByMmr([{ relevance: 0.9, vector: [1, 0] }, { relevance: 0.89, vector: [1, 0] }, { relevance: 0.5, vector: [0, 1] }], 2, 0.5)
 * // → the first and the third: the second duplicates the first
 */
export function selectByMmr(candidates: ReadonlyArray<{ relevance: number; vector: readonly number[] }>, topK: number, lambda: number): Array<{ index: number; score: number }> {
  const selected: Array<{ index: number; score: number }> = [];
  // Highest similarity of each candidate to any selected one, updated as candidates are taken.
  const maxSimilarity = candidates.map(() => -Infinity);
  const remaining = new Set(candidates.map((_, index) => index));

  while (selected.length < topK && remaining.size > 0) {
    let best = -1;
    let bestScore = -Infinity;
    for (const index of remaining) {
      const redundancy = selected.length === 0 ? 0 : maxSimilarity[index]!;
      const score = lambda * candidates[index]!.relevance - (1 - lambda) * redundancy;
      if (score > bestScore) {
        best = index;
        bestScore = score;
      }
    }

    selected.push({ index: best, score: bestScore });
    remaining.delete(best);
    for (const index of remaining) {
      const similarity = cosineSimilarity(candidates[index]!.vector, candidates[best]!.vector);
      if (similarity > maxSimilarity[index]!) maxSimilarity[index] = similarity;
    }
  }
  return selected;
}

/**
 * Fuses ranked lists of ids by reciprocal rank fusion. Returns every id once, highest fused
 * score first, with its 1-based rank in each list (null where it is absent). Ties keep the
 * order of first appearance.
 *
 * @example
 * fuseByRrf([['a', 'b'], ['b', 'c']]) // → b (in both lists) first, then a, then c
 */
export function fuseByRrf(lists: ReadonlyArray<readonly string[]>, k = RRF_K): Array<{ id: string; score: number; ranks: Array<number | null> }> {
  const fused = new Map<string, { id: string; score: number; ranks: Array<number | null>; order: number }>();
  lists.forEach((list, listIndex) => {
    list.forEach((id, position) => {
      let entry = fused.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: lists.map(() => null), order: fused.size };
        fused.set(id, entry);
      }
      entry.score += 1 / (k + position + 1);
      entry.ranks[listIndex] = position + 1;
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || a.order - b.order).map(({ id, score, ranks }) => ({ id, score, ranks }));
}

/**
 * Turns a free-text query into a PostgreSQL `to_tsquery` operand list that matches any of its
 * words: `"How do I parse?"` becomes `how | do | i | parse`. Only runs of letters and digits
 * are kept, so the result never contains tsquery syntax. Returns null when no word remains.
 */
export function anyWordTsQuery(text: string, maxWords = 64): string | null {
  const words = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    words.add(match[0]);
    if (words.size >= maxWords) break;
  }
  return words.size === 0 ? null : [...words].join(' | ');
}
