/** Extractive answers: the sentences of the retrieved chunks that best cover the question. */
import { contentTerms } from '../text/tokens.js';

export interface SourceChunk {
  chunkId: string;
  documentId?: string;
  text: string;
}

export interface ExtractiveAnswer {
  answer: string;
  /** Ids of the chunks that the answer's sentences come from, in the order they appear in the answer. */
  chunkIds: string[];
  citations: Array<{ chunkId: string; documentId: string | null; sentence: string }>;
}

/** Splits text into sentences at `.`, `?` or `!` followed by a space, and at line breaks. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.replace(/\s+/g, ' ').trim())
    .filter((sentence) => sentence.length >= 3);
}

/**
 * Picks up to `maxSentences` sentences by the share of the question's terms they contain,
 * with a small bonus for chunks ranked higher. Returns an empty answer when no sentence shares
 * a term with the question.
 */
export function extractAnswer(question: string, chunks: readonly SourceChunk[], maxSentences: number): ExtractiveAnswer {
  const questionTerms = new Set(contentTerms(question));
  const scored: Array<{ chunk: SourceChunk; sentence: string; score: number; order: number }> = [];
  chunks.forEach((chunk, rank) => {
    for (const sentence of sentences(chunk.text)) {
      const terms = new Set(contentTerms(sentence));
      let shared = 0;
      for (const term of questionTerms) if (terms.has(term)) shared += 1;
      if (shared === 0) continue;
      const score = shared / Math.max(1, questionTerms.size) + 0.05 / (rank + 1);
      scored.push({ chunk, sentence, score, order: scored.length });
    }
  });

  const picked = scored.sort((a, b) => b.score - a.score || a.order - b.order).slice(0, maxSentences);
  const chunkIds: string[] = [];
  for (const entry of picked) if (!chunkIds.includes(entry.chunk.chunkId)) chunkIds.push(entry.chunk.chunkId);
  return {
    answer: picked.map((entry) => entry.sentence).join(' '),
    chunkIds,
    citations: picked.map((entry) => ({ chunkId: entry.chunk.chunkId, documentId: entry.chunk.documentId ?? null, sentence: entry.sentence })),
  };
}
