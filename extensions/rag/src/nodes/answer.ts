/** The answer node: writes a response to each query item from its retrieved chunks and cites the chunk ids used. */
import type { Item, JsonObject, NodeContext } from '@mify/sdk';
import { RagError } from '../errors.js';
import { extractAnswer, type SourceChunk } from '../rank/extractive.js';
import { enumParameter, numberParameter, parametersFor, readField, requiredTextField, stringParameter, type RagNodeInput } from './common.js';

/** Maximum context sent to a chat model, in characters. */
const MAX_CONTEXT_CHARS = 24_000;

function sourceChunks(item: Item, field: string, index: number): SourceChunk[] {
  const value = readField(item, field);
  if (!Array.isArray(value)) throw new RagError('invalid_argument', `Item ${index} field '${field}' is not a list of chunks. Put a Retrieve node before this one, or set parameter 'chunksField'.`);
  return value
    .filter((entry): entry is { chunkId: string; documentId?: string; text: string } => typeof entry === 'object' && entry !== null && typeof entry.chunkId === 'string' && typeof entry.text === 'string')
    .map((entry) => ({ chunkId: entry.chunkId, text: entry.text, ...(typeof entry.documentId === 'string' ? { documentId: entry.documentId } : {}) }));
}

async function answerWithModel(ctx: NodeContext, parameters: Record<string, unknown>, question: string, chunks: SourceChunk[]) {
  const provider = stringParameter(parameters, 'provider');
  const model = stringParameter(parameters, 'model');
  if (!provider || !model) throw new RagError('invalid_argument', "Mode 'model' needs parameters 'provider' and 'model'. Use mode 'extractive' to extract answers from the chunks without a provider.");
  const credential = stringParameter(parameters, 'credential');
  let context = '';
  for (const chunk of chunks) {
    const block = `[${chunk.chunkId}]\n${chunk.text}\n\n`;
    if (context.length + block.length > MAX_CONTEXT_CHARS) break;
    context += block;
  }
  const response = await ctx.host.llm.chat({
    provider,
    model,
    ...(credential ? { credential } : {}),
    temperature: 0,
    messages: [
      { role: 'system', content: 'Answer the question using only the passages. After each statement, cite the passage ids it relies on in square brackets, such as [guide#3]. If the passages do not contain the answer, say so.' },
      { role: 'user', content: `Passages:\n${context}\nQuestion: ${question}` },
    ],
  });
  const answer = response.message.content;
  const cited = chunks.map((chunk) => chunk.chunkId).filter((id) => answer.includes(`[${id}]`));
  return { answer, chunkIds: cited, citations: cited.map((id) => ({ chunkId: id, documentId: chunks.find((chunk) => chunk.chunkId === id)?.documentId ?? null })) };
}

export async function executeAnswer(ctx: NodeContext, input: RagNodeInput): Promise<{ items: Item[] }> {
  const items: Item[] = [];
  for (const [index, item] of input.items.entries()) {
    const parameters = parametersFor(input, index);
    const mode = enumParameter(parameters, 'mode', ['extractive', 'model'] as const, 'extractive');
    const question = requiredTextField(item, stringParameter(parameters, 'queryField', 'query'), index, 'queryField');
    const chunks = sourceChunks(item, stringParameter(parameters, 'chunksField', 'chunks'), index);
    const result = mode === 'extractive' ? extractAnswer(question, chunks, numberParameter(parameters, 'maxSentences', 3, { min: 1, max: 20, integer: true })) : await answerWithModel(ctx, parameters, question, chunks);
    items.push({ ...item, json: { ...item.json, answer: result.answer, chunkIds: result.chunkIds, citations: result.citations as unknown as JsonObject[] } });
  }
  return { items };
}
