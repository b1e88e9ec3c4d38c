// awilix's build without module auto-loading: its main entry imports fast-glob for
// `loadModules`, which the kernel does not use, and took about 40 ms of every start.
import { asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix/browser';
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
import type { EndpointService } from './endpoints/endpoint-service.js';
import type { ContributionNodeTypeResolver } from './graphs/node-types.js';
import type { GraphService } from './graphs/service.js';
import type { RunService } from './runtime/run-service.js';
import type { BaselineService } from './graphs/baselines.js';
import type { GraphRunService } from './graphs/graph-runs.js';
import type { RunTemplateService } from './graphs/run-templates.js';
import type { NodeOutputCache } from './runtime/partial/output-cache.js';
import type { PartialExecutionService } from './runtime/partial/partial-execution.js';
import type { ExpressionEvaluator, SubgraphLoader } from './runtime/types.js';
import type { HomeScheduleService } from './schedules/home-schedules.js';
import type { ScheduleNotificationService } from './schedules/schedule-notifications.js';
import type { ScheduleService } from './schedules/schedule-service.js';
import type { KnowledgeBaseService } from './knowledge/knowledge-bases.js';
import type { VectorStoreService } from './knowledge/vector-store-service.js';
import type { LlmGateway } from './llm/gateway.js';
import type { WebhookService } from './webhooks/webhook-service.js';

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
  endpointService: EndpointService;
  /** Node types of the enabled extensions, read from their manifests. */
  nodeTypes: ContributionNodeTypeResolver;
  graphService: GraphService;
  runService: RunService;
  /** Runs stored graphs by version (live, draft, number). */
  graphRunService: GraphRunService;
  runTemplateService: RunTemplateService;
  /** Graph baselines and the comparison of later runs with them. */
  baselineService: BaselineService;
  /** Cached outputs of deterministic nodes, for partial execution. */
  nodeOutputCache: NodeOutputCache;
  partialExecutionService: PartialExecutionService;
  /** Schedules that start graph runs at intervals or by cron expressions. */
  scheduleService: ScheduleService;
  /** Notification URLs of schedules and their signed deliveries. */
  scheduleNotificationService: ScheduleNotificationService;
  /** Schedules from starter templates, their executions and approvals, by schedule id. */
  homeScheduleService: HomeScheduleService;
  /** Routes llm.chat and llm.embed to provider extensions. */
  llmGateway: LlmGateway;
  /** Knowledge bases: documents parsed, chunked and embedded into a vector collection each. */
  knowledgeBaseService: KnowledgeBaseService;
  /** Vector stores of the HTTP API. */
  vectorStoreService: VectorStoreService;
  /** Webhook requests: routing to live graph versions, authentication, responses. */
  webhookService: WebhookService;
  /** Loader of the graphs that sub-workflow nodes run. Optional: without it, sub-workflow nodes fail with a clear error. */
  subgraphLoader?: SubgraphLoader;
  /** Evaluator of expressions in node parameters. Optional: without it, parameters are passed as written. */
  expressionEvaluator?: ExpressionEvaluator;
  /** Routes mounted under /api, in registration order. */
  routes: RouteSpec[];
}

export type KernelContainer = AwilixContainer<KernelServices>;

export function createKernelContainer(): KernelContainer {
  return createContainer<KernelServices>({ injectionMode: InjectionMode.PROXY, strict: true });
}

export { asValue };
