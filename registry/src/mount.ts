import type { Database, Logger } from '@mify/kernel';
import { openRegistry, type OpenedRegistry } from './open.js';

/** The shape of a kernel route declaration (`RouteSpec` in kernel/src/http/route.ts) that the registry fills. */
export interface MountedRoute {
  method: 'get' | 'post';
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  auth: 'public';
  responses: Record<number, { description: string; contentType?: string }>;
  handler: (context: { c: { req: { raw: Request } } }) => Promise<Response>;
}

const ROUTES: Array<Pick<MountedRoute, 'method' | 'path' | 'operationId' | 'summary'>> = [
  { method: 'get', path: '/api/registry/openapi.json', operationId: 'registryOpenApi', summary: 'OpenAPI 3.1 document of the registry' },
  { method: 'get', path: '/api/registry/health', operationId: 'registryHealth', summary: 'Registry health' },
  { method: 'get', path: '/api/registry/keys', operationId: 'registryKeys', summary: 'Public ed25519 keys that sign the packages of this registry' },
  { method: 'post', path: '/api/registry/tokens', operationId: 'registryCreateToken', summary: 'Create a publisher token (admin token in X-Mify-Registry-Token)' },
  { method: 'get', path: '/api/registry/whoami', operationId: 'registryWhoami', summary: 'Publisher of the token in X-Mify-Registry-Token' },
  { method: 'get', path: '/api/registry/search', operationId: 'registrySearch', summary: 'Search registry packages' },
  { method: 'post', path: '/api/registry/packages', operationId: 'registryPublish', summary: 'Publish a package tarball (token in X-Mify-Registry-Token)' },
  { method: 'get', path: '/api/registry/packages/:id', operationId: 'registryGetPackage', summary: 'A registry package with its versions' },
  { method: 'get', path: '/api/registry/packages/:id/resolve', operationId: 'registryResolve', summary: 'Resolve a semver range against a kernel version' },
  { method: 'get', path: '/api/registry/packages/:id/versions/:version', operationId: 'registryGetVersion', summary: 'One registry version with its manifest' },
  { method: 'get', path: '/api/registry/packages/:id/versions/:version/tarball', operationId: 'registryDownload', summary: 'Download a signed package tarball' },
  { method: 'post', path: '/api/registry/packages/:id/versions/:version/yank', operationId: 'registryYank', summary: 'Yank a version' },
  { method: 'post', path: '/api/registry/packages/:id/versions/:version/unyank', operationId: 'registryUnyank', summary: 'Unyank a version' },
];

/**
 * Declares the registry's routes for the kernel (`createKernel({ extraRoutes })`), which
 * serves them under /api/registry with the kernel's database. The registry opens on the
 * first request, so the kernel's start does not wait for it. Publishing through the
 * kernel is subject to the kernel's MIFY_BODY_LIMIT_BYTES as well as the registry's limit.
 *
 * @example
 * createKernel({ config, extraRoutes: (services) => registryRoutes({ dataDir, db: () => services().db, logger }) });
 */
export function registryRoutes(options: { dataDir: string; db: () => Database; logger: Logger; adminToken?: string | undefined; maxPackageBytes?: number | undefined }): MountedRoute[] {
  let opened: Promise<OpenedRegistry> | undefined;
  const app = () => {
    opened ??= openRegistry({ dataDir: options.dataDir, db: options.db(), logger: options.logger, adminToken: options.adminToken, maxPackageBytes: options.maxPackageBytes }).catch((error: unknown) => {
      // The next request tries again instead of replaying this failure.
      opened = undefined;
      throw error;
    });
    return opened;
  };

  return ROUTES.map((route) => ({
    ...route,
    tags: ['registry'],
    auth: 'public' as const,
    responses: { 200: { description: 'See /api/registry/openapi.json' } },
    handler: async ({ c }) => (await app()).app.fetch(c.req.raw),
  }));
}
