import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { defineRoute, type RouteSpec } from '../route.js';

const credentialSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  scope: z.enum(['workspace', 'global']),
  fields: z.array(z.string()).describe('Names of the secret fields; their values are never returned'),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const secretData = z.record(z.string(), z.unknown()).describe('Secret fields, e.g. { "apiKey": "…" }; write-only');

export function credentialRoutes(services: () => KernelServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/credentials',
      operationId: 'listCredentials',
      summary: 'List the credentials of the current workspace and the global ones it falls back to',
      tags: ['credentials'],
      auth: 'workspace',
      responses: { 200: { description: 'Credentials without secrets', schema: z.object({ items: z.array(credentialSchema) }) } },
      handler: async ({ principal }) => ({ body: { items: await services().vault.list(principal!.workspaceId) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/credentials',
      operationId: 'createCredential',
      summary: 'Store a credential, encrypted',
      tags: ['credentials'],
      auth: 'workspace',
      idempotent: true,
      body: z.object({ name: z.string().trim(), type: z.string().trim(), data: secretData }),
      responses: { 201: { description: 'Created', schema: credentialSchema } },
      handler: async ({ principal, body }) => ({ status: 201, body: await services().vault.create(principal!.workspaceId, body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/credentials/:id',
      operationId: 'getCredential',
      summary: 'Describe one credential (without its secret)',
      tags: ['credentials'],
      auth: 'workspace',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'Credential', schema: credentialSchema } },
      handler: async ({ principal, params }) => ({ body: await services().vault.get(principal!.workspaceId, params.id) }),
    }),
    defineRoute({
      method: 'put',
      path: '/api/credentials/:id',
      operationId: 'updateCredential',
      summary: 'Rename a credential or replace its secret',
      tags: ['credentials'],
      auth: 'workspace',
      params: z.object({ id: z.string() }),
      body: z.object({ name: z.string().trim().optional(), data: secretData.optional() }),
      responses: { 200: { description: 'Updated', schema: credentialSchema } },
      handler: async ({ principal, params, body }) => ({ body: await services().vault.update(principal!.workspaceId, params.id, body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/credentials/:id',
      operationId: 'deleteCredential',
      summary: 'Delete a credential',
      tags: ['credentials'],
      auth: 'workspace',
      params: z.object({ id: z.string() }),
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ principal, params }) => {
        await services().vault.delete(principal!.workspaceId, params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/audit-log',
      operationId: 'listAuditLog',
      summary: 'Read the audit log of the current workspace, newest first',
      tags: ['credentials'],
      auth: 'workspace',
      access: 'manage',
      query: z.object({ action: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'Audit entries' } },
      handler: async ({ principal, query }) => {
        const rows = await services().auditLog.list(principal!.workspaceId, { action: query.action, limit: query.limit });
        return { body: { items: rows } };
      },
    }),
  ];
}
