import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { KernelConfig } from '../config.js';
import type { KernelServices } from '../container.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';

/** The registry's mount module in this repository; the same path from `src/` and `dist/`. */
export const REGISTRY_MOUNT_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../registry/dist/mount.js');

type RouteFactory = (services: () => KernelServices) => KernelServices['routes'];

/**
 * Loads the registry (MIFY_REGISTRY_MOUNT=true) and returns its routes for
 * `createKernel({ extraRoutes })`. It keeps its signing key and tarballs in
 * MIFY_DATA_DIR/registry and its tables in the kernel's database. The kernel does
 * not depend on the registry package, so the module is loaded by path.
 */
export async function loadRegistryRoutes(config: KernelConfig, logger: Logger): Promise<RouteFactory> {
  if (!fs.existsSync(REGISTRY_MOUNT_MODULE)) {
    const message = `MIFY_REGISTRY_MOUNT=true needs the built registry at ${REGISTRY_MOUNT_MODULE}; run \`pnpm --filter @mify/registry build\`, or unset MIFY_REGISTRY_MOUNT.`;
    throw new ConfigError(message, [{ variable: 'MIFY_REGISTRY_MOUNT', message }]);
  }
  const mount = (await import(pathToFileURL(REGISTRY_MOUNT_MODULE).href)) as {
    registryRoutes(options: { dataDir: string; db: () => KernelServices['db']; logger: Logger; adminToken?: string | undefined }): unknown[];
  };
  return (services) =>
    mount.registryRoutes({ dataDir: path.join(config.dataDir, 'registry'), db: () => services().db, logger, adminToken: config.registryAdminToken }) as KernelServices['routes'];
}
