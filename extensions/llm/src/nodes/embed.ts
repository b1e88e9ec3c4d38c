/** The embed node: one vector per item, sent to the vendor in batches. */
import type { Item, NodeContext } from '@mify/sdk';
import { LlmError } from '../errors.js';
import { addUsage, callParameters, requiredText, sendEmbed, stringParameter, type LlmNodeInput, type NodeUsage } from './common.js';

/** Texts per vendor request by default; OpenAI accepts up to 2,048, Gemini's batch endpoint 100. */
export const DEFAULT_BATCH_SIZE = 96;
export const MAX_BATCH_SIZE = 2048;

export async function executeEmbed(ctx: NodeContext, input: LlmNodeInput): Promise<{ items: Item[]; usage: NodeUsage }> {
  const usage: NodeUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const parameters = input.parameters ?? {};
  const batchSize = typeof parameters.batchSize === 'number' ? Math.floor(parameters.batchSize) : DEFAULT_BATCH_SIZE;
  if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) throw new LlmError('invalid_argument', `Parameter 'batchSize' is ${batchSize}; expected 1 to ${MAX_BATCH_SIZE}.`);

  // Provider and model come from the first item's parameters, because one request embeds many items.
  const call = callParameters(parameters, 'embed');
  const texts = input.items.map((item, index) => requiredText(input.itemParameters?.[index] ?? parameters, item));
  const field = stringParameter(parameters, 'outputField', 'embedding')!;
  const output: Item[] = [];

  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    const response = await sendEmbed(ctx, call, batch);
    addUsage(usage, { inputTokens: response.usage.inputTokens, outputTokens: 0 }, response.cost);
    response.vectors.forEach((vector, offset) => {
      const item = input.items[start + offset]!;
      output.push({
        ...item,
        json: { ...item.json, [field]: vector, llm: { provider: response.provider, model: response.model, dimensions: vector.length, usage: response.usage, cost: response.cost, batchSize: batch.length } },
      });
    });
  }
  return { items: output, usage };
}
