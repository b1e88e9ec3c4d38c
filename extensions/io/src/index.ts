/**
 * The mify.io extension: the HTTP request node and Cloudflare D1, KV, R2, Vectorize and
 * Queues nodes, all through the kernel's `http.fetch`, and the webhook trigger and
 * respond-to-webhook nodes, whose HTTP side the kernel serves.
 */
import { defineExtension, type NodeContext, type NodeInput } from '@mify/sdk';
import { executeD1 } from './cloudflare/d1.js';
import { executeKv } from './cloudflare/kv.js';
import { executeQueues } from './cloudflare/queues.js';
import { executeR2 } from './cloudflare/r2.js';
import { executeVectorize } from './cloudflare/vectorize.js';
import { executeHttpRequest } from './http/node.js';
import type { IoNodeInput } from './lib/parameters.js';
import { executeRespondToWebhook } from './webhook/respond-node.js';
import { executeWebhook } from './webhook/webhook-node.js';

type Execute = (ctx: NodeContext, input: IoNodeInput) => Promise<unknown>;

/** Adapts a node function to the SDK's `execute(ctx, input)`, whose input also carries the kernel's parameters. */
function node(execute: Execute) {
  return { execute: (ctx: NodeContext, input: NodeInput) => execute(ctx, input as IoNodeInput) as never };
}

export default defineExtension({
  nodes: {
    'mify.io.http-request': node(executeHttpRequest),
    'mify.io.cloudflare-d1': node(executeD1),
    'mify.io.cloudflare-kv': node(executeKv),
    'mify.io.cloudflare-r2': node(executeR2),
    'mify.io.cloudflare-vectorize': node(executeVectorize),
    'mify.io.cloudflare-queues': node(executeQueues),
    'mify.io.webhook': node(executeWebhook),
    'mify.io.respond-to-webhook': node(executeRespondToWebhook),
  },
});
