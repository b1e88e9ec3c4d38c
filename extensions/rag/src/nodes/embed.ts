/** The embed node: adds a vector to each item. */
import type { Item, NodeContext } from '@mify/sdk';
import { embedderParameters, embedTexts } from './embedding.js';
import { requiredTextField, stringParameter, type RagNodeInput } from './common.js';

export async function executeEmbed(ctx: NodeContext, input: RagNodeInput): Promise<{ items: Item[] }> {
  // One embedder for the whole batch, from the first item's parameters: vectors of one collection must come from one model.
  const parameters = input.parameters ?? {};
  const choice = embedderParameters(parameters);
  const textField = stringParameter(parameters, 'textField', 'text');
  const outputField = stringParameter(parameters, 'outputField', 'embedding');
  const texts = input.items.map((item, index) => requiredTextField(item, textField, index, 'textField'));

  const vectors = await embedTexts(ctx, choice, texts);
  return {
    items: input.items.map((item, index) => ({
      ...item,
      json: { ...item.json, [outputField]: vectors[index]!, embeddingModel: { provider: choice.provider, model: choice.model, dimensions: vectors[index]!.length } },
    })),
  };
}
