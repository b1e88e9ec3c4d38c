import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { defineRoute, type HttpMethod, type RouteSpec } from '../route.js';

/**
 * The webhook path may contain slashes. Hono's `:name{regex}` parameter captures them, and
 * the OpenAPI document shows the parameter as `{path}` (clients must not encode its slashes).
 */
const WEBHOOK_ROUTE_PATH = '/api/webhooks/:workspace/:path{.+}';

const params = z.object({
  workspace: z.string().describe('Workspace slug or id'),
  path: z.string().describe("The webhook node's path, such as orders/new; its slashes are sent as they are"),
});

const acceptedSchema = z.object({
  runId: z.string(),
  status: z.string().describe('Run status when the response was sent'),
  links: z.object({ run: z.string(), events: z.string() }).describe('Routes that show the run; they need an API key of the workspace'),
  detail: z.string().optional().describe('Set when a waiting response mode timed out'),
});

const METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * `ANY /api/webhooks/:workspace/*path`, declared once per method because a route spec has
 * one method. The route is public: the webhook node's own authentication (none, an API key of
 * the workspace, or a shared header secret) is checked by the webhook service before a run starts.
 */
export function webhookRoutes(services: () => KernelServices): RouteSpec[] {
  return METHODS.map((method) =>
    defineRoute({
      method,
      path: WEBHOOK_ROUTE_PATH,
      operationId: `webhook${method.charAt(0).toUpperCase()}${method.slice(1)}`,
      summary: `Call a webhook with ${method.toUpperCase()}: starts a run of the published graph whose webhook node has this path and method`,
      tags: ['webhooks'],
      auth: 'public',
      params,
      responses: {
        200: { description: 'responseMode lastNode: the JSON of the run output items, as an array. responseMode responseNode: whatever the respond-to-webhook node describes (any status, headers and body)' },
        202: { description: 'responseMode onReceived, or a waiting mode that timed out: the run id and links to follow the run', schema: acceptedSchema },
        400: { description: 'A JSON content type with a malformed body (type webhook_invalid_json)' },
        401: { description: 'The webhook needs an API key or a secret header that is missing' },
        403: { description: 'The API key or secret is wrong, of another workspace, or lacks the editor role' },
        404: { description: 'No live graph version of the workspace has a webhook on this path (type webhook_not_found)' },
        405: { description: 'The path exists for other methods (type webhook_method_not_allowed, Allow header)' },
        409: { description: 'Several live graphs of the workspace have a webhook with this path and method (type webhook_conflict)' },
        413: { description: 'The body is larger than MIFY_BODY_LIMIT_BYTES' },
        500: { description: 'The run failed, or the webhook node or the response it described is invalid' },
      },
      handler: ({ c, params: { workspace, path }, requestId }) =>
        services().webhookService.handle({ request: c.req.raw, workspace, path, apiKey: c.get('request').apiKeyPrincipal, requestId }),
    }),
  );
}
