/** Retrieval metrics over a labelled set: recall at k and mean reciprocal rank. */
import type { LabelledQuestion } from './labelled-set.js';

export interface RetrievalQuality {
  questions: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
}

/** `rank` returns document ids best first for a question. */
export async function measure(questions: readonly LabelledQuestion[], rank: (question: string) => Promise<string[]> | string[]): Promise<RetrievalQuality> {
  let hitsAt1 = 0;
  let hitsAt5 = 0;
  let reciprocal = 0;
  for (const { question, documentId } of questions) {
    const ranking = await rank(question);
    const position = ranking.indexOf(documentId);
    if (position === 0) hitsAt1 += 1;
    if (position >= 0 && position < 5) hitsAt5 += 1;
    if (position >= 0) reciprocal += 1 / (position + 1);
  }
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return { questions: questions.length, recallAt1: round(hitsAt1 / questions.length), recallAt5: round(hitsAt5 / questions.length), mrr: round(reciprocal / questions.length) };
}
