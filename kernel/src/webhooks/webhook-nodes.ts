import { z } from 'zod';

/**
 * Kernel-side schemas of the webhook nodes of the bundled mify.io extension. The extension runs
 * the nodes in its sandbox, but the kernel owns the HTTP side. The kernel therefore reads the
 * trigger's published parameters to route and authenticate requests, and the respond node's
 * recorded output to respond to them. These schemas mirror the node parameter schemas in
 * extensions/io.
 */
export const WEBHOOK_NODE_TYPE = 'mify.io.webhook';
export const RESPOND_NODE_TYPE = 'mify.io.respond-to-webhook';
/** Output port of the respond node that carries the response description. */
export const RESPONSE_PORT = 'response';

export const WEBHOOK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

/** Maximum length of a webhook path without its leading and trailing slash, in characters. */
export const MAX_WEBHOOK_PATH_LENGTH = 200;
export const WEBHOOK_PATH_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** Strips one leading and one trailing slash, as the webhook node does. */
export function normalizeWebhookPath(path: string): string {
  return path.replace(/^\//, '').replace(/\/$/, '');
}

export const webhookSettingsSchema = z.object({
  path: z
    .string()
    .transform(normalizeWebhookPath)
    .pipe(z.string().max(MAX_WEBHOOK_PATH_LENGTH).regex(WEBHOOK_PATH_PATTERN, "expected segments of letters, digits, '-' and '_' separated by '/'")),
  methods: z
    .array(z.string().transform((method) => method.toUpperCase()).pipe(z.enum(WEBHOOK_METHODS)))
    .min(1)
    .default(['POST']),
  authentication: z.enum(['none', 'apiKey', 'headerSecret']).default('none'),
  credential: z.string().min(1).optional(),
  responseMode: z.enum(['onReceived', 'lastNode', 'responseNode']).default('onReceived'),
  /** Maximum wait of the `lastNode` and `responseNode` modes, in milliseconds. */
  timeoutMs: z.number().int().min(100).max(120_000).default(30_000),
});
export type WebhookSettings = z.output<typeof webhookSettingsSchema>;

/** Item that the respond node puts on its `response` port. */

export const webhookResponseSchema = z.object({
  statusCode: z.number().int().min(200).max(599),
  headers: z.record(z.string(), z.string()).default({}),
  bodyType: z.enum(['json', 'text', 'binary', 'empty']),
  body: z.unknown().optional(),
});
export type WebhookResponseDescription = z.output<typeof webhookResponseSchema>;
