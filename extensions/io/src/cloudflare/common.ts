/** Helpers the Cloudflare nodes share: per-item connections and output fields. */
import type { Item, NodeContext } from '@mify/sdk';
import { optionalString } from '../lib/parameters.js';
import { readCallOptions, resolveCloudflare, type CloudflareCallOptions, type CloudflareConnection } from './client.js';

/** Resolves each credential once per node execution, because items usually share one. */
export function connectionCache(ctx: NodeContext): (parameters: Record<string, unknown>) => Promise<{ connection: CloudflareConnection; options: CloudflareCallOptions }> {
  const cache = new Map<string, Promise<CloudflareConnection>>();
  return async (parameters) => {
    const { credential, options } = readCallOptions(parameters);
    let connection = cache.get(credential);
    if (!connection) {
      connection = resolveCloudflare(ctx, credential);
      cache.set(credential, connection);
    }
    return { connection: await connection, options };
  };
}

/** Returns the item with `value` written to the `outputField` parameter (default `fallback`). */
export function withOutput(item: Item, parameters: Record<string, unknown>, fallback: string, value: unknown): Item {
  const field = optionalString(parameters, 'outputField') ?? fallback;
  return { ...item, json: { ...item.json, [field]: value } };
}
