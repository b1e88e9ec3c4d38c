/** The retrieve node: the best chunks of a vector collection for each query item. */
import type { Item, JsonObject, NodeContext } from '@mify/sdk';
import { collectionParameter, enumParameter, numberParameter, objectParameter, parametersFor, requiredTextField, stringParameter, type RagNodeInput } from './common.js';
import { embedderParameters, embedTexts } from './embedding.js';

export const RETRIEVAL_MODES = ['similarity', 'mmr', 'hybrid'] as const;

export interface RetrievedChunk {
  chunkId: string;
  documentId: string | null;
  score: number;
  similarity: number;
  text: string;
  metadata: JsonObject;
  ranks?: { vector: number | null; text: number | null };
}

export async function executeRetrieve(ctx: NodeContext, input: RagNodeInput): Promise<{ items: Item[] }> {
  const first = input.parameters ?? {};
  const choice = embedderParameters(first);
  const queryField = stringParameter(first, 'queryField', 'query');
  const queries = input.items.map((item, index) => requiredTextField(item, queryField, index, 'queryField'));
  const vectors = await embedTexts(ctx, choice, queries);

  const items: Item[] = [];
  for (const [index, item] of input.items.entries()) {
    const parameters = parametersFor(input, index);
    const mode = enumParameter(parameters, 'mode', RETRIEVAL_MODES, 'similarity');
    const topK = numberParameter(parameters, 'topK', 5, { min: 1, max: 100, integer: true });
    const lambda = numberParameter(parameters, 'lambda', 0.5, { min: 0, max: 1 });
    const filter = objectParameter(parameters, 'filter') as JsonObject | undefined;
    const candidates = parameters.candidates === undefined ? undefined : numberParameter(parameters, 'candidates', 40, { min: 1, max: 500, integer: true });

    const matches = await ctx.host.vectors.query(collectionParameter(parameters), {
      vector: vectors[index]!,
      topK,
      mode,
      ...(mode === 'hybrid' ? { text: queries[index]! } : {}),
      ...(mode === 'mmr' ? { lambda } : {}),
      ...(filter ? { filter } : {}),
      ...(candidates ? { candidates } : {}),
    });
    const chunks: RetrievedChunk[] = matches.map((match) => ({
      chunkId: match.id,
      documentId: typeof match.metadata.documentId === 'string' ? match.metadata.documentId : null,
      score: match.score,
      similarity: match.similarity,
      text: match.content ?? '',
      metadata: match.metadata,
      ...(match.ranks ? { ranks: match.ranks } : {}),
    }));
    items.push({ ...item, json: { ...item.json, chunks: chunks as unknown as JsonObject[], chunkIds: chunks.map((chunk) => chunk.chunkId) } });
  }
  return { items };
}
