export { createRegistryApp, TOKEN_HEADER } from './app.js';
export { RegistryError } from './errors.js';
export { loadOrCreateSigningKey, type SigningKey } from './keys.js';
export { migrateRegistry } from './migrate.js';
export { registryRoutes, type MountedRoute } from './mount.js';
export { openRegistry, type OpenedRegistry, type OpenRegistryOptions } from './open.js';
export { openApiDocument } from './openapi.js';
export { DEFAULT_MAX_PACKAGE_BYTES, Registry, type PackageInfo, type RegistryOptions, type VersionInfo } from './service.js';
