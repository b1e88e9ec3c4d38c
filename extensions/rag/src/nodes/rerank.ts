/** The rerank node: reorders each item's retrieved chunks, locally or through a chat model. */
import type { Item, JsonObject, NodeContext } from '@mify/sdk';
import { RagError } from '../errors.js';
import { rerankLexical } from '../rank/lexical.js';
import { enumParameter, numberParameter, parametersFor, readField, requiredTextField, stringParameter, type RagNodeInput } from './common.js';

interface Candidate {
  chunkId?: string;
  text?: string;
  score?: number;
  [key: string]: unknown;
}

/** Maximum passage length sent to a chat model, in characters; longer passages are cut. */
const MAX_PASSAGE_CHARS = 2_000;

function candidatesOf(item: Item, field: string, index: number): Candidate[] {
  const value = readField(item, field);
  if (!Array.isArray(value)) throw new RagError('invalid_argument', `Item ${index} field '${field}' is not a list of chunks. Put a Retrieve node before this one, or set parameter 'chunksField'.`);
  return value.map((entry, position) => {
    if (typeof entry !== 'object' || entry === null || typeof (entry as Candidate).text !== 'string') {
      throw new RagError('invalid_argument', `Item ${index} chunk ${position} in '${field}' has no 'text'.`);
    }
    return entry as Candidate;
  });
}

/** Asks a chat model for a 0–10 relevance score per passage, as JSON. */
async function scoreWithModel(ctx: NodeContext, parameters: Record<string, unknown>, query: string, candidates: Candidate[]): Promise<number[]> {
  const provider = stringParameter(parameters, 'provider');
  const model = stringParameter(parameters, 'model');
  if (!provider || !model) throw new RagError('invalid_argument', "Method 'model' needs parameters 'provider' and 'model', such as openai and gpt-4o-mini. Use method 'local' to rerank without a provider.");
  const credential = stringParameter(parameters, 'credential');
  const passages = candidates.map((candidate, position) => `[${position}] ${candidate.text!.slice(0, MAX_PASSAGE_CHARS)}`).join('\n\n');
  const response = await ctx.host.llm.chat({
    provider,
    model,
    ...(credential ? { credential } : {}),
    temperature: 0,
    responseFormat: 'json',
    messages: [
      { role: 'system', content: 'You rate search results. For each numbered passage, rate from 0 (irrelevant) to 10 (answers the query fully) how well it answers the query. Reply with JSON only: {"scores": [number, ...]}, one score per passage, in passage order.' },
      { role: 'user', content: `Query: ${query}\n\nPassages:\n${passages}` },
    ],
  });
  let scores: unknown;
  try {
    scores = (JSON.parse(response.message.content) as { scores?: unknown }).scores;
  } catch {
    scores = undefined;
  }
  if (!Array.isArray(scores) || scores.length !== candidates.length || !scores.every((score) => typeof score === 'number')) {
    throw new RagError('invalid_provider_response', `Model '${model}' of provider '${provider}' did not return {"scores": [...]} with ${candidates.length} numbers. Try a model that follows JSON instructions, or method 'local'.`);
  }
  return (scores as number[]).map((score) => score / 10);
}

export async function executeRerank(ctx: NodeContext, input: RagNodeInput): Promise<{ items: Item[] }> {
  const items: Item[] = [];
  for (const [index, item] of input.items.entries()) {
    const parameters = parametersFor(input, index);
    const method = enumParameter(parameters, 'method', ['local', 'model'] as const, 'local');
    const chunksField = stringParameter(parameters, 'chunksField', 'chunks');
    const query = requiredTextField(item, stringParameter(parameters, 'queryField', 'query'), index, 'queryField');
    const topN = numberParameter(parameters, 'topN', 100, { min: 1, max: 100, integer: true });
    const candidates = candidatesOf(item, chunksField, index);

    const scores = method === 'local' ? rerankLexical(query, candidates.map((candidate) => ({ text: candidate.text!, score: candidate.score ?? 0 }))).map((result) => result.score) : await scoreWithModel(ctx, parameters, query, candidates);
    const reranked = candidates
      .map((candidate, position) => ({ ...candidate, rerankScore: scores[position]!, retrievalRank: position + 1 }))
      .sort((a, b) => b.rerankScore - a.rerankScore || a.retrievalRank - b.retrievalRank)
      .slice(0, topN);
    items.push({ ...item, json: { ...item.json, [chunksField]: reranked as unknown as JsonObject[], chunkIds: reranked.map((chunk) => chunk.chunkId ?? null) } });
  }
  return { items };
}
