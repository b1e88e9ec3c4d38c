/**
 * The webhook trigger (`mify.io.webhook`). The kernel receives the HTTP request at
 * `/api/webhooks/<workspace>/<path>`, checks its authentication and starts a run of the
 * published graph with one item describing the request. This node passes that item on.
 */
import type { Item, NodeContext } from '@mify/sdk';
import type { IoNodeInput } from '../lib/parameters.js';
import { readWebhookSettings } from './settings.js';

/** Checks whether an item has the shape the kernel gives a webhook request: method, path, headers, query, body, receivedAt. */
function isWebhookRequest(item: Item): boolean {
  const json = item.json as Record<string, unknown>;
  return typeof json.method === 'string' && typeof json.path === 'string' && typeof json.receivedAt === 'string' && typeof json.headers === 'object' && json.headers !== null;
}

/**
 * Outputs the run's input items. A graph may contain several webhook triggers, and every trigger
 * receives the run's input, so a request item passes only through the trigger whose path and
 * methods it matches. Items that are not requests, such as the input of a manual run, pass
 * through every trigger unchanged.
 */
export async function executeWebhook(_ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  const settings = readWebhookSettings(input.parameters ?? {});

  const items = input.items.filter((item) => {
    if (!isWebhookRequest(item)) return true;
    const json = item.json as { method: string; path: string };
    return json.path === settings.path && (settings.methods as string[]).includes(json.method);
  });
  return { items };
}
