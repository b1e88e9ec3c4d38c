import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { defineRoute, type RouteSpec } from '../route.js';

const statusSchema = z.object({
  id: z.string(),
  version: z.string(),
  name: z.string(),
  description: z.string(),
  runtime: z.enum(['isolate', 'wasm']),
  source: z.enum(['bundled', 'folder', 'package', 'registry']),
  enabled: z.boolean(),
  state: z.enum(['active', 'disabled', 'failed']),
  health: z.enum(['healthy', 'unhealthy']),
  recentFailures: z.number(),
  lastError: z.string().nullable(),
  permissions: z.array(z.string()),
  previousVersion: z.string().nullable(),
});
const sourceSchema = z
  .object({
    folder: z.string().optional().describe('Folder on the server holding mify.extension.json'),
    packageFile: z.string().optional().describe('Package file (.tgz) on the server'),
    allowUnsigned: z.boolean().default(false).describe('Accept a package that is unsigned or signed by an untrusted key'),
  })
  .refine((value) => Boolean(value.folder) !== Boolean(value.packageFile), { message: 'give exactly one of folder and packageFile' });
const idParams = z.object({ id: z.string() });

export function extensionRoutes(services: () => KernelServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/extensions',
      operationId: 'listExtensions',
      summary: 'List installed extensions with their state and health',
      tags: ['extensions'],
      auth: 'workspace',
      responses: { 200: { description: 'Extensions', schema: z.object({ items: z.array(statusSchema) }) } },
      handler: async () => ({ body: { items: await services().extensionHost.list() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/extensions/contributions',
      operationId: 'listContributions',
      summary: 'Everything the active extensions contribute: nodes, routes, triggers, importers, credential types, providers, panels, settings',
      tags: ['extensions'],
      auth: 'workspace',
      responses: { 200: { description: 'Contributions grouped by point, each tagged with its extension' } },
      handler: () => ({ body: services().contributions.list() }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/extensions/:id',
      operationId: 'getExtension',
      summary: 'One installed extension',
      tags: ['extensions'],
      auth: 'workspace',
      params: idParams,
      responses: { 200: { description: 'Extension', schema: statusSchema } },
      handler: async ({ params }) => ({ body: await services().extensionHost.status(params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/extensions',
      operationId: 'installExtension',
      summary: 'Install an extension from a folder or a package file on the server',
      tags: ['extensions'],
      auth: 'admin',
      body: sourceSchema,
      responses: { 201: { description: 'Installed', schema: statusSchema } },
      handler: async ({ body }) => ({ status: 201, body: await services().extensionHost.install(body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/extensions/:id/upgrade',
      operationId: 'upgradeExtension',
      summary: 'Replace an extension with another version; rolls back when the new one fails to load',
      tags: ['extensions'],
      auth: 'admin',
      params: idParams,
      body: sourceSchema,
      responses: { 200: { description: 'Upgraded', schema: statusSchema } },
      handler: async ({ params, body }) => ({ body: await services().extensionHost.upgrade(params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/extensions/:id/enable',
      operationId: 'enableExtension',
      summary: 'Enable and load an extension',
      tags: ['extensions'],
      auth: 'admin',
      params: idParams,
      responses: { 200: { description: 'Enabled', schema: statusSchema } },
      handler: async ({ params }) => ({ body: await services().extensionHost.enable(params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/extensions/:id/disable',
      operationId: 'disableExtension',
      summary: 'Disable an extension and release its sandbox',
      tags: ['extensions'],
      auth: 'admin',
      params: idParams,
      responses: { 200: { description: 'Disabled', schema: statusSchema } },
      handler: async ({ params }) => ({ body: await services().extensionHost.disable(params.id) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/extensions/:id',
      operationId: 'uninstallExtension',
      summary: 'Uninstall an extension and delete its files',
      tags: ['extensions'],
      auth: 'admin',
      params: idParams,
      responses: { 204: { description: 'Uninstalled' } },
      handler: async ({ params }) => {
        await services().extensionHost.uninstall(params.id);
        return { status: 204 };
      },
    }),
  ];
}
