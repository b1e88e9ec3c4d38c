import { z } from 'zod';
import { KERNEL_VERSION } from '../version.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import type { RouteSpec } from './route.js';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'Stable URN, urn:mify:problem:<code>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const result = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete result.$schema;
  return result;
}

function securityOf(auth: RouteSpec['auth']): Array<Record<string, string[]>> {
  if (auth === 'public') return [];
  if (auth === 'user') return [{ session: [] }];
  return [{ apiKey: [] }, { session: [] }];
}

/** Converts `/api/x/:id` to `/api/x/{id}`, dropping a parameter's pattern such as the `{.+}` of `:path{.+}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
}

/** Builds the OpenAPI 3.1 document from the registered routes. */
export function buildOpenApiDocument(routes: RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};

  for (const route of routes) {
    const parameters: unknown[] = [];
    for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
      if (!schema || !(schema instanceof z.ZodObject)) continue;
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        parameters.push({ name, in: location, required: location === 'path' || !field.safeParse(undefined).success, schema: jsonSchema(field, 'input'), description: field.description });
      }
    }
    if (route.idempotent) parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'Repeating a key within 24 hours replays the first response instead of starting the work again.' });

    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } }
        : { description: response.description };
    }
    responses.default = { description: 'Error', content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } };

    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      parameters,
      responses,
      security: securityOf(route.auth),
      ...(route.auth === 'admin' ? { 'x-mify-requires': 'instance administrator' } : {}),
    };
    if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } };

    const key = openApiPath(route.path);
    paths[key] = { ...(paths[key] ?? {}), [route.method]: operation };
  }

  return {
    openapi: '3.1.0',
    info: { title: 'MIFY API', version: KERNEL_VERSION, description: 'The MIFY kernel API. Errors are RFC 9457 problem+json documents.' },
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A workspace API key: Authorization: Bearer mify_…' },
        session: { type: 'apiKey', in: 'cookie', name: 'mify_session' },
      },
    },
  };
}
