/**
 * The mify.publish-rest extension: workflow endpoints. Every published graph with a slug
 * answers at POST /api/workflow-endpoints/<slug>, and describes itself at
 * GET …/<slug>/openapi.json and GET …/<slug>/info. Access, rate limits and input validation
 * are the kernel's (`endpoints.invoke`); this extension maps them to HTTP.
 */
import { defineExtension, defineRoute, type JsonValue, type PublishedEndpoint, type RouteContext, type RouteRequest, type RouteResponse } from '@mify/sdk';
import { openApiDocument } from './openapi.js';
import { notFound, problemResponse } from './problem.js';

const BASE = '/api/workflow-endpoints';
type Mode = 'sync' | 'async' | 'stream';

/** The server's origin as the client addressed it, for absolute URLs. */
function origin(request: RouteRequest): string {
  const host = request.headers['x-forwarded-host'] ?? request.headers.host ?? '127.0.0.1';
  const proto = request.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

function modeOf(request: RouteRequest): Mode | null {
  const mode = request.query.mode;
  if (mode === 'sync' || mode === 'async' || mode === 'stream') return mode;
  if (mode !== undefined) return null;
  if ((request.headers.accept ?? '').includes('text/event-stream')) return 'stream';
  if (/respond-async/i.test(request.headers.prefer ?? '')) return 'async';
  return 'sync';
}

function lookupOptions(request: RouteRequest): { workspace?: string } {
  return request.query.workspace ? { workspace: request.query.workspace } : {};
}

async function findEndpoint(ctx: RouteContext, request: RouteRequest): Promise<PublishedEndpoint | RouteResponse> {
  const slug = request.params.slug ?? '';
  const endpoint = await ctx.host.endpoints.get(slug, lookupOptions(request));
  if (!endpoint || !endpoint.publishedVersion) return problemResponse(notFound(slug), `${BASE}/${slug}${request.path.endsWith('/info') ? '/info' : '/openapi.json'}`);
  return endpoint;
}

function sampleCurl(endpoint: PublishedEndpoint, url: string): string {
  const example = JSON.stringify(exampleInput(endpoint.inputSchema));
  const auth = endpoint.auth === 'api-key' ? ` \\\n  -H "Authorization: Bearer $MIFY_API_KEY"` : '';
  return `curl -X POST '${url}'${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d '${example.replace(/'/g, "'\\''")}'`;
}

/** A small input that follows the schema's property types, for the sample command. */
function exampleInput(schema: Record<string, unknown>): JsonValue {
  const properties = (schema.properties ?? {}) as Record<string, { type?: string; example?: JsonValue; default?: JsonValue }>;
  const example: Record<string, JsonValue> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property.example !== undefined) example[name] = property.example;
    else if (property.default !== undefined) example[name] = property.default;
    else if (property.type === 'number' || property.type === 'integer') example[name] = 1;
    else if (property.type === 'boolean') example[name] = true;
    else if (property.type === 'array') example[name] = [];
    else if (property.type === 'object') example[name] = {};
    else example[name] = 'text';
  }
  return example;
}

export default defineExtension({
  routes: {
    'POST :slug': defineRoute({
      async handle(ctx, request) {
        const slug = request.params.slug ?? '';
        const instance = `${BASE}/${slug}`;
        const mode = modeOf(request);
        if (!mode) {
          return problemResponse({ status: 400, code: 'invalid_mode', title: 'Bad Request', detail: `Query parameter mode is '${request.query.mode}'; use sync, async or stream.` }, instance);
        }

        const input = request.body ?? {};
        const result = await ctx.host.endpoints.invoke(slug, { input, wait: mode === 'sync', ...lookupOptions(request) });
        if (!result.ok) return problemResponse(result.problem, instance);

        const runHeaders = { 'x-mify-run-id': result.runId, 'x-mify-run-saved': String(result.saved), 'x-mify-graph-version': String(result.endpoint.publishedVersion?.version ?? '') };
        if (mode === 'stream') return { headers: runHeaders, stream: { runId: result.runId } };
        if (mode === 'async' || result.timedOut) {
          const body: Record<string, JsonValue> = { runId: result.runId, status: result.status, links: { run: `/api/runs/${result.runId}`, events: `/api/runs/${result.runId}/events` } };
          if (result.timedOut) {
            body.detail = result.saved
              ? `The run did not finish within ${result.endpoint.timeoutMs} ms; it goes on, and links.run shows its progress.`
              : `The run did not finish within ${result.endpoint.timeoutMs} ms; it goes on, but the graph's settings.endpoint.runSaving keeps no record of it if it succeeds, so links.run may answer 404.`;
          }
          return { status: 202, headers: { ...runHeaders, location: `/api/runs/${result.runId}` }, body };
        }

        const response = result.response!;
        const headers = { ...response.headers, ...runHeaders };
        if (typeof response.body === 'string') return { status: response.statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: response.body };
        return { status: response.statusCode, headers, body: response.body };
      },
    }),
    'GET :slug/openapi.json': defineRoute({
      async handle(ctx, request) {
        const found = await findEndpoint(ctx, request);
        if (!('graphId' in found)) return found;
        return { status: 200, body: openApiDocument(found, origin(request)) };
      },
    }),
    'GET :slug/info': defineRoute({
      async handle(ctx, request) {
        const found = await findEndpoint(ctx, request);
        if (!('graphId' in found)) return found;
        const url = `${origin(request)}${BASE}/${found.slug}`;
        return {
          status: 200,
          body: {
            slug: found.slug,
            url,
            method: 'POST',
            auth: found.auth,
            sampleCurl: sampleCurl(found, url),
            rateLimit: { limit: found.rateLimit.limit, windowSeconds: found.rateLimit.windowSeconds, scope: found.rateLimit.scope },
            openapiUrl: `${url}/openapi.json`,
            publishedVersion: found.publishedVersion ? { id: found.publishedVersion.id, version: found.publishedVersion.version } : null,
          },
        };
      },
    }),
  },
});
