/**
 * The local reranker: scores each retrieved chunk against the query with lexical features,
 * computed over the candidate set alone, so it needs no index statistics and no model.
 */
import { contentTerms } from '../text/tokens.js';

/**
 * Weights of the features. They were set by hand and checked on the labelled set of
 * test/eval (see README); they are not learned.
 */
const WEIGHTS = { bm25: 0.35, coverage: 0.25, pairs: 0.15, proximity: 0.1, prior: 0.15 };
const BM25_K1 = 1.2;
const BM25_B = 0.75;

export interface RerankFeatures {
  bm25: number;
  coverage: number;
  pairs: number;
  proximity: number;
  prior: number;
}

/** Smallest span of positions that contains every distinct query term found in the chunk. */
function smallestWindow(positions: Map<string, number[]>): number {
  const events = [...positions.entries()].flatMap(([term, list]) => list.map((position) => ({ term, position }))).sort((a, b) => a.position - b.position);
  const need = positions.size;
  const seen = new Map<string, number>();
  let best = Infinity;
  let left = 0;
  for (let right = 0; right < events.length; right += 1) {
    seen.set(events[right]!.term, (seen.get(events[right]!.term) ?? 0) + 1);
    while (seen.size === need) {
      best = Math.min(best, events[right]!.position - events[left]!.position + 1);
      const term = events[left]!.term;
      const count = seen.get(term)! - 1;
      if (count === 0) seen.delete(term);
      else seen.set(term, count);
      left += 1;
    }
  }
  return best;
}

/**
 * Scores candidates for a query. `prior` is each candidate's retrieval score, scaled to 0–1
 * over the set. Returns one score (0–1) and the features of each candidate, in input order.
 */
export function rerankLexical(query: string, candidates: ReadonlyArray<{ text: string; score?: number }>): Array<{ score: number; features: RerankFeatures }> {
  const queryTerms = contentTerms(query);
  const distinctQuery = [...new Set(queryTerms)];
  const queryPairs = new Set(queryTerms.slice(1).map((term, index) => `${queryTerms[index]} ${term}`));
  const documents = candidates.map((candidate) => contentTerms(candidate.text));
  const averageLength = documents.reduce((total, terms) => total + terms.length, 0) / Math.max(1, documents.length);

  const documentFrequency = new Map<string, number>();
  for (const terms of documents) for (const term of new Set(terms)) if (distinctQuery.includes(term)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);

  const priors = candidates.map((candidate) => candidate.score ?? 0);
  const minPrior = Math.min(...priors);
  const priorRange = Math.max(...priors) - minPrior;

  const raw = documents.map((terms, index) => {
    const frequency = new Map<string, number>();
    const positions = new Map<string, number[]>();
    terms.forEach((term, position) => {
      if (!distinctQuery.includes(term)) return;
      frequency.set(term, (frequency.get(term) ?? 0) + 1);
      positions.set(term, [...(positions.get(term) ?? []), position]);
    });

    let bm25 = 0;
    for (const [term, count] of frequency) {
      const df = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (documents.length - df + 0.5) / (df + 0.5));
      bm25 += (idf * count * (BM25_K1 + 1)) / (count + BM25_K1 * (1 - BM25_B + (BM25_B * terms.length) / Math.max(1, averageLength)));
    }
    const pairsFound = terms.slice(1).map((term, position) => `${terms[position]} ${term}`).filter((pair) => queryPairs.has(pair));
    const window = positions.size > 1 ? smallestWindow(positions) : positions.size;
    return {
      bm25,
      coverage: distinctQuery.length === 0 ? 0 : frequency.size / distinctQuery.length,
      pairs: queryPairs.size === 0 ? 0 : new Set(pairsFound).size / queryPairs.size,
      proximity: positions.size === 0 ? 0 : positions.size / window,
      prior: priorRange === 0 ? 1 : (priors[index]! - minPrior) / priorRange,
    };
  });

  const maxBm25 = Math.max(0, ...raw.map((features) => features.bm25));
  return raw.map((features) => {
    const normalized: RerankFeatures = { ...features, bm25: maxBm25 === 0 ? 0 : features.bm25 / maxBm25 };
    const score =
      WEIGHTS.bm25 * normalized.bm25 + WEIGHTS.coverage * normalized.coverage + WEIGHTS.pairs * normalized.pairs + WEIGHTS.proximity * normalized.proximity + WEIGHTS.prior * normalized.prior;
    return { score: Math.round(score * 1e6) / 1e6, features: normalized };
  });
}
