import { asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { ApiKeyService } from './auth/api-keys.js';
import type { SessionService } from './auth/sessions.js';
import type { UserService } from './auth/users.js';
import type { AuditLog } from './audit/audit-log.js';
import type { KernelConfig } from './config.js';
import type { RouteSpec } from './http/route.js';
import type { SharedState } from './infra/types.js';
import type { Logger } from './logger.js';
import type { Database } from './storage/database.js';
import type { CredentialVault } from './vault/vault.js';
import type { ContributionRegistry } from './extensions/contributions.js';
import type { ExtensionHost } from './extensions/host.js';
import type { ContributionNodeTypeResolver } from './graphs/node-types.js';
import type { GraphService } from './graphs/service.js';
import type { RunService } from './runtime/run-service.js';
import type { ExpressionEvaluator, SubgraphLoader } from './runtime/types.js';

/**
 * Every kernel service, registered once by name. Tests replace an entry with
 * `container.register(name, asValue(other))` before the kernel starts.
 */
export interface KernelServices {
  config: KernelConfig;
  logger: Logger;
  db: Database;
  sharedState: SharedState;
  auditLog: AuditLog;
  userService: UserService;
  sessionService: SessionService;
  apiKeyService: ApiKeyService;
  vault: CredentialVault;
  extensionHost: ExtensionHost;
  contributions: ContributionRegistry;
  /** Node types of the enabled extensions, read from their manifests. */
  nodeTypes: ContributionNodeTypeResolver;
  graphService: GraphService;
  runService: RunService;
  /** Loads the graphs sub-workflow nodes run; optional, sub-workflow nodes fail clearly without it. */
  subgraphLoader?: SubgraphLoader;
  /** Evaluates expressions in node parameters; optional, parameters run as written without it. */
  expressionEvaluator?: ExpressionEvaluator;
  /** Routes mounted under /api, in registration order. */
  routes: RouteSpec[];
}

export type KernelContainer = AwilixContainer<KernelServices>;

export function createKernelContainer(): KernelContainer {
  return createContainer<KernelServices>({ injectionMode: InjectionMode.PROXY, strict: true });
}

export { asValue };
