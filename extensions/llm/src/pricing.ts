/**
 * Price table in US dollars per million tokens, keyed by provider and model, used to
 * compute the cost of each call. Prices change: the node's `price` parameter overrides
 * this table, and a model missing here costs 0 with `source: 'unknown'`.
 */
import type { CallCost, Price } from './types.js';

/** Date the table's prices were copied from the vendors' public price lists. */
export const PRICES_AS_OF = '2025-06-01';

// NOTE: these are list prices for standard (not batch, cached or long-context) tokens as of
// PRICES_AS_OF. They are not fetched at run time, so they drift as vendors change prices.
const PRICE_TABLE: Record<string, Record<string, [input: number, output: number]>> = {
  openai: {
    'gpt-4.1': [2, 8],
    'gpt-4.1-mini': [0.4, 1.6],
    'gpt-4.1-nano': [0.1, 0.4],
    'gpt-4o': [2.5, 10],
    'gpt-4o-mini': [0.15, 0.6],
    'o3-mini': [1.1, 4.4],
    'o4-mini': [1.1, 4.4],
    'text-embedding-3-small': [0.02, 0],
    'text-embedding-3-large': [0.13, 0],
  },
  anthropic: {
    'claude-opus-4': [15, 75],
    'claude-sonnet-4': [3, 15],
    'claude-3-7-sonnet': [3, 15],
    'claude-3-5-haiku': [0.8, 4],
  },
  gemini: {
    'gemini-2.5-pro': [1.25, 10],
    'gemini-2.5-flash': [0.3, 2.5],
    'gemini-2.0-flash': [0.1, 0.4],
    'gemini-2.0-flash-lite': [0.075, 0.3],
    'gemini-embedding-001': [0.15, 0],
  },
  groq: {
    'llama-3.1-8b-instant': [0.05, 0.08],
    'llama-3.3-70b-versatile': [0.59, 0.79],
  },
  deepseek: {
    'deepseek-chat': [0.27, 1.1],
    'deepseek-reasoner': [0.55, 2.19],
  },
  mistral: {
    'mistral-small-latest': [0.1, 0.3],
    'mistral-medium-latest': [0.4, 2],
    'mistral-large-latest': [2, 6],
    'mistral-embed': [0.1, 0],
  },
  xai: {
    'grok-3': [3, 15],
    'grok-3-mini': [0.3, 0.5],
  },
  together: {
    'meta-llama/Llama-3.2-3B-Instruct-Turbo': [0.06, 0.06],
    'meta-llama/Llama-3.3-70B-Instruct-Turbo': [0.88, 0.88],
    'deepseek-ai/DeepSeek-V3': [1.25, 1.25],
  },
  fireworks: {
    'accounts/fireworks/models/llama-v3p1-8b-instruct': [0.2, 0.2],
    'accounts/fireworks/models/llama-v3p3-70b-instruct': [0.9, 0.9],
    'accounts/fireworks/models/deepseek-v3': [0.9, 0.9],
  },
};

/**
 * Finds the table price of a model: an exact entry, else the longest entry the model id
 * starts with followed by `-`, so dated ids such as `gpt-4.1-mini-2025-04-14` match.
 */
export function findPrice(provider: string, model: string): Price | undefined {
  const models = PRICE_TABLE[provider];
  if (!models) return undefined;

  let best: string | undefined;
  for (const key of Object.keys(models)) {
    const matches = model === key || model.startsWith(`${key}-`);
    if (matches && (best === undefined || key.length > best.length)) best = key;
  }
  if (best === undefined) return undefined;
  const [inputPerMillion, outputPerMillion] = models[best]!;
  return { inputPerMillion, outputPerMillion };
}

/** Computes the cost of a call from its token counts, preferring `override` to the table. */
export function computeCost(provider: string, model: string, usage: { inputTokens: number; outputTokens: number }, override?: Price): CallCost {
  const price = override ?? findPrice(provider, model);
  if (!price) return { inputUsd: 0, outputUsd: 0, totalUsd: 0, source: 'unknown' };

  const inputUsd = roundUsd((usage.inputTokens * price.inputPerMillion) / 1_000_000);
  const outputUsd = roundUsd((usage.outputTokens * price.outputPerMillion) / 1_000_000);
  const cost: CallCost = { inputUsd, outputUsd, totalUsd: roundUsd(inputUsd + outputUsd), source: override ? 'override' : 'table' };
  if (!override) cost.pricesAsOf = PRICES_AS_OF;
  return cost;
}

/** Rounds to 10 decimal places, below a millionth of a cent, to drop floating-point noise. */
function roundUsd(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
