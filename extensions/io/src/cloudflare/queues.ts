/**
 * Queues through the REST API: POST `…/queues/<queue id>/messages/batch` with
 * `{ messages: [{ body, content_type, delay_seconds }] }`, one request per batch of items.
 */
import type { Item, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../errors.js';
import { enumParameter, integerParameter, optionalInteger, parametersFor, requiredString, type IoNodeInput } from '../lib/parameters.js';
import { cloudflareCall, segment } from './client.js';
import { connectionCache, withOutput } from './common.js';

/** Largest number of messages Cloudflare accepts in one batch. */
export const MAX_BATCH_MESSAGES = 100;

/** Largest delay Cloudflare accepts, in seconds (12 hours). */
export const MAX_DELAY_SECONDS = 43_200;

/** Runs the Cloudflare Queues node: sends one message per item, in batches. */
export async function executeQueues(ctx: NodeContext, input: IoNodeInput): Promise<{ items: Item[] }> {
  const connectionFor = connectionCache(ctx);
  const items = input.items;
  if (items.length === 0) return { items: [] };
  const first = parametersFor(input, 0);
  const queueId = requiredString(first, 'queueId', 'the queue id from the Queues dashboard');
  const batchSize = integerParameter(first, 'batchSize', { min: 1, max: MAX_BATCH_MESSAGES, fallback: MAX_BATCH_MESSAGES });
  const call = await connectionFor(first);

  const messages = items.map((item, index) => {
    const parameters = parametersFor(input, index);
    const contentType = enumParameter(parameters, 'contentType', ['json', 'text'] as const, 'json');
    const body = parameters.body === undefined ? item.json : parameters.body;
    if (contentType === 'text' && typeof body !== 'string') throw invalidParameter(`Item ${index}: contentType text needs a string body, got ${Array.isArray(body) ? 'an array' : typeof body}; use contentType json.`);
    const message: Record<string, unknown> = { body, content_type: contentType };
    const delaySeconds = optionalInteger(parameters, 'delaySeconds', { min: 0, max: MAX_DELAY_SECONDS, unit: 'seconds' });
    if (delaySeconds !== undefined) message.delay_seconds = delaySeconds;
    return message;
  });

  const output: Item[] = [];
  for (let start = 0; start < messages.length; start += batchSize) {
    const batch = messages.slice(start, start + batchSize);
    await cloudflareCall(ctx, call.connection, { operation: `Queues send to queue '${queueId}'`, tokenPermission: 'Queues Edit', method: 'POST', path: `/queues/${segment(queueId)}/messages/batch`, json: { messages: batch } }, call.options);
    for (let index = start; index < start + batch.length; index++) output.push(withOutput(items[index]!, parametersFor(input, index), 'queue', { queueId, sent: true }));
  }
  return { items: output };
}
