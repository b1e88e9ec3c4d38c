/** Helpers the Cloudflare nodes share: per-item connections, the KV and R2 operation loop, and output fields. */
import type { Item, NodeContext } from '@mify/sdk';
import { enumParameter, optionalString, parametersFor, type IoNodeInput } from '../lib/parameters.js';
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

/** Resolved connection and call options for one item. */
export type CloudflareCall = Awaited<ReturnType<ReturnType<typeof connectionCache>>>;

/** Handlers of a storage node (KV or R2) for its four operations. */
export interface StorageOperations {
  get(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item>;
  put(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item>;
  remove(ctx: NodeContext, item: Item, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item>;
  list(ctx: NodeContext, parameters: Record<string, unknown>, call: CloudflareCall): Promise<Item[]>;
}

/**
 * Runs a storage node: get, put and delete once per item, or list once per item.
 * With no input items, the node runs once on an empty item.
 */
export async function executeStorageNode(ctx: NodeContext, input: IoNodeInput, operations: StorageOperations): Promise<{ items: Item[] }> {
  const connectionFor = connectionCache(ctx);
  const items = input.items.length === 0 ? [{ json: {} }] : input.items;
  const output: Item[] = [];

  for (let index = 0; index < items.length; index++) {
    const parameters = parametersFor(input, index);
    const item = items[index]!;
    const operation = enumParameter(parameters, 'operation', ['get', 'put', 'list', 'delete'] as const, 'get');
    const call = await connectionFor(parameters);
    if (operation === 'get') output.push(await operations.get(ctx, item, parameters, call));
    else if (operation === 'put') output.push(await operations.put(ctx, item, parameters, call));
    else if (operation === 'delete') output.push(await operations.remove(ctx, item, parameters, call));
    else output.push(...(await operations.list(ctx, parameters, call)));
  }
  return { items: output };
}

/** Returns the item with `value` written to the `outputField` parameter (default `fallback`). */
export function withOutput(item: Item, parameters: Record<string, unknown>, fallback: string, value: unknown): Item {
  const field = optionalString(parameters, 'outputField') ?? fallback;
  return { ...item, json: { ...item.json, [field]: value } };
}
