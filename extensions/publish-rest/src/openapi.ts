/** The OpenAPI 3.1 document of one published graph. */
import type { JsonObject, PublishedEndpoint } from '@mify/sdk';

const PROBLEM = { $ref: '#/components/schemas/Problem' };

function problemResponse(description: string): JsonObject {
  return { description, content: { 'application/problem+json': { schema: PROBLEM } } };
}

/** Builds the document: one POST operation whose request and response schemas are the graph's. */
export function openApiDocument(endpoint: PublishedEndpoint, serverUrl: string): JsonObject {
  const path = `/api/workflow-endpoints/${endpoint.slug}`;
  const security: JsonObject[] = endpoint.auth === 'api-key' ? [{ apiKey: [] }] : [{}, { apiKey: [] }];
  return {
    openapi: '3.1.0',
    info: { title: endpoint.name, description: endpoint.description || `Published graph '${endpoint.slug}'.`, version: String(endpoint.publishedVersion?.version ?? 0) },
    servers: [{ url: serverUrl }],
    paths: {
      [path]: {
        post: {
          operationId: `run_${endpoint.slug.replace(/-/g, '_')}`,
          summary: `Run ${endpoint.name}`,
          security,
          parameters: [
            { name: 'mode', in: 'query', required: false, schema: { type: 'string', enum: ['sync', 'async', 'stream'], default: 'sync' }, description: 'sync: wait for the response. async: answer 202 with the run id. stream: Server-Sent Events of the run.' },
            { name: 'workspace', in: 'query', required: false, schema: { type: 'string' }, description: 'Workspace slug, for a public graph whose slug several workspaces publish.' },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: endpoint.inputSchema } } },
          responses: {
            '200': { description: "The graph's response", content: { 'application/json': { schema: endpoint.outputSchema } } },
            '202': { description: 'The run started (mode async), or did not finish within the timeout', content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } },
            '401': problemResponse('An API key is missing or invalid'),
            '404': problemResponse('Unknown slug, or the graph has no published version'),
            '422': problemResponse('The input does not match the input schema; errors lists each problem'),
            '429': problemResponse(`Over the rate limit of ${endpoint.rateLimit.limit} calls per ${endpoint.rateLimit.windowSeconds} s; see retry-after`),
            '500': problemResponse('The run failed'),
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A MIFY API key of the workspace' } },
      schemas: {
        Problem: { type: 'object', required: ['type', 'title', 'status', 'detail'], properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, instance: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
        Accepted: { type: 'object', required: ['runId', 'status'], properties: { runId: { type: 'string' }, status: { type: 'string' }, links: { type: 'object', properties: { run: { type: 'string' }, events: { type: 'string' } } } } },
      },
    },
  };
}
