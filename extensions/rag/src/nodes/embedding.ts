/** Embedding through the local embedder or any provider of the kernel's gateway. */
import type { NodeContext } from '@mify/sdk';
import { embedLocal, LOCAL_MODEL, LOCAL_PROVIDER } from '../embed/local.js';
import { RagError } from '../errors.js';
import { stringParameter } from './common.js';

export interface EmbedderChoice {
  provider: string;
  model: string;
  credential?: string;
}

/** Texts per gateway request; providers with smaller limits reject larger batches themselves. */
export const EMBED_BATCH_SIZE = 96;

export function embedderParameters(parameters: Record<string, unknown>): EmbedderChoice {
  const provider = stringParameter(parameters, 'provider', LOCAL_PROVIDER);
  const model = stringParameter(parameters, 'model', provider === LOCAL_PROVIDER ? LOCAL_MODEL : '');
  if (model === '') throw new RagError('invalid_argument', `Parameter 'model' is empty; name the embedding model of provider '${provider}', such as text-embedding-3-small.`);
  if (provider === LOCAL_PROVIDER && model !== LOCAL_MODEL) throw new RagError('invalid_argument', `Provider '${LOCAL_PROVIDER}' has only the model '${LOCAL_MODEL}', not '${model}'.`);
  const credential = stringParameter(parameters, 'credential');
  return credential ? { provider, model, credential } : { provider, model };
}

/** Embeds texts in order: locally in the sandbox, or in batches through `llm.embed`. */
export async function embedTexts(ctx: NodeContext, choice: EmbedderChoice, texts: readonly string[]): Promise<number[][]> {
  if (choice.provider === LOCAL_PROVIDER) return texts.map((text) => embedLocal(text));

  const vectors: number[][] = [];
  for (let start = 0; start < texts.length; start += EMBED_BATCH_SIZE) {
    const batch = texts.slice(start, start + EMBED_BATCH_SIZE);
    const response = await ctx.host.llm.embed({ provider: choice.provider, model: choice.model, input: [...batch], ...(choice.credential ? { credential: choice.credential } : {}) });
    if (response.vectors.length !== batch.length) {
      throw new RagError('invalid_provider_response', `Provider '${choice.provider}' returned ${response.vectors.length} vectors for ${batch.length} texts.`);
    }
    vectors.push(...response.vectors);
  }
  return vectors;
}
