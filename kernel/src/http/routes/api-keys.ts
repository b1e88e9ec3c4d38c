import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { ForbiddenError } from '../../errors.js';
import { ROLES } from '../../auth/roles.js';
import { defineRoute, type RouteSpec } from '../route.js';

const roleSchema = z.enum(['owner', 'editor', 'viewer']);
const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('First characters of the key, shown to recognise it'),
  role: roleSchema,
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

export function apiKeyRoutes(services: () => KernelServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/api-keys',
      operationId: 'listApiKeys',
      summary: 'List the API keys of the current workspace (never the keys themselves)',
      tags: ['api-keys'],
      auth: 'workspace',
      access: 'manage',
      responses: { 200: { description: 'API keys', schema: z.object({ items: z.array(apiKeySchema) }) } },
      handler: async ({ principal }) => {
        const items = await services().apiKeyService.list(principal!.workspaceId);
        return { body: { items: items.map(({ workspaceId: _w, ...rest }) => rest) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/api-keys',
      operationId: 'createApiKey',
      summary: 'Create an API key; the key is in this response only',
      tags: ['api-keys'],
      auth: 'workspace',
      access: 'manage',
      body: z.object({ name: z.string().trim().min(1).max(100), role: roleSchema.default('editor') }),
      responses: { 201: { description: 'Created', schema: apiKeySchema.extend({ key: z.string() }) } },
      handler: async ({ principal, body }) => {
        // A key may not carry more rights than the caller has.
        if (ROLES.indexOf(body.role) > ROLES.indexOf(principal!.role)) throw new ForbiddenError(`You cannot create a key with role '${body.role}' because your role is '${principal!.role}'.`);
        const { key, record } = await services().apiKeyService.create({ workspaceId: principal!.workspaceId, name: body.name, role: body.role, createdBy: principal!.userId });
        const { workspaceId: _w, ...rest } = record;
        return { status: 201, body: { ...rest, key } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/api-keys/:id',
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key; it stops working at once on every kernel process',
      tags: ['api-keys'],
      auth: 'workspace',
      access: 'manage',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'Revoked', schema: apiKeySchema } },
      handler: async ({ principal, params }) => {
        const { workspaceId: _w, ...rest } = await services().apiKeyService.revoke(principal!.workspaceId, params.id);
        return { body: rest };
      },
    }),
  ];
}
