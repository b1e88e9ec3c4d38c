import semver from 'semver';
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
  sandbox: z.enum(['running', 'starting', 'on-demand', 'stopped']).describe('on-demand: the sandbox starts at the extension\'s first call; stopped: the extension is not loaded'),
  health: z.enum(['healthy', 'unhealthy']),
  recentFailures: z.number(),
  lastError: z.string().nullable(),
  permissions: z.array(z.string()),
  previousVersion: z.string().nullable(),
});
const registryUrlSchema = z.url({ protocol: /^https?$/ }).describe('Registry base URL; MIFY_REGISTRY_URL when unset');
const registrySearchQuery = z.object({
  q: z.string().max(200).default(''),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  url: registryUrlSchema.optional(),
});
const registrySourceSchema = z.object({
  id: z.string().min(1).describe('Extension id in the registry, such as acme.hello'),
  range: z
    .string()
    .default('*')
    .refine((value) => semver.validRange(value) !== null, { message: 'expected a semver range such as ^1.0.0 or an exact version such as 1.2.0' })
    .describe('Semver range of versions; the highest unyanked version whose engines.mify accepts this kernel is installed'),
  url: registryUrlSchema.optional(),
});
const sourceSchema = z
  .object({
    folder: z.string().optional().describe('Folder on the server holding mify.extension.json'),
    packageFile: z.string().optional().describe('Package file (.tgz) on the server'),
    registry: registrySourceSchema.optional().describe('Extension in a registry; its signature and checksums are verified before it is installed'),
    allowUnsigned: z.boolean().default(false).describe('Accept a package that is unsigned (or, from a package file, signed by an untrusted key)'),
  })
  .refine((value) => [value.folder, value.packageFile, value.registry].filter(Boolean).length === 1, { message: 'give exactly one of folder, packageFile and registry' });
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
      path: '/api/extensions/registry/search',
      operationId: 'searchExtensionRegistry',
      summary: 'Search a registry (MIFY_REGISTRY_URL, or url) for extensions to install',
      tags: ['extensions'],
      auth: 'admin',
      query: registrySearchQuery,
      responses: { 200: { description: 'Matches: { total, items: [{ id, name, description, owner, latestVersion }] }' } },
      handler: async ({ query }) => {
        const { searchRegistry } = await import('../../extensions/registry-client.js');
        return { body: await searchRegistry(query, services().config) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/extensions/registry/packages/:id',
      operationId: 'getExtensionRegistryPackage',
      summary: 'A registry package with its versions, for choosing one to install',
      tags: ['extensions'],
      auth: 'admin',
      params: idParams,
      query: z.object({ url: registryUrlSchema.optional() }),
      responses: { 200: { description: 'Package: { id, name, description, owner, latestVersion, versions }' } },
      handler: async ({ params, query }) => {
        const { registryPackage } = await import('../../extensions/registry-client.js');
        return { body: await registryPackage(params.id, services().config, query.url) };
      },
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
      summary: 'Install an extension from a folder or a package file on the server, or from a registry (signature and checksums verified)',
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
