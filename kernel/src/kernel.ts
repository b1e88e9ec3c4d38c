// See container.ts for why the browser build of awilix.
import { asValue } from 'awilix/browser';
import { ApiKeyService } from './auth/api-keys.js';
import { SessionService } from './auth/sessions.js';
import { UserService } from './auth/users.js';
import { AuditLog } from './audit/audit-log.js';
import type { KernelConfig } from './config.js';
import { createKernelContainer, type KernelContainer, type KernelServices } from './container.js';
import { createApp } from './http/app.js';
import { apiKeyRoutes } from './http/routes/api-keys.js';
import { authRoutes } from './http/routes/auth.js';
import { credentialRoutes } from './http/routes/credentials.js';
import { extensionRoutes } from './http/routes/extensions.js';
import { graphRoutes } from './http/routes/graphs.js';
import { graphImportRoutes } from './http/routes/graph-import.js';
import { aiBuilderRoutes } from './http/routes/ai-builder.js';
import { ContributionRegistry } from './extensions/contributions.js';
import { ExtensionHost } from './extensions/host.js';
import { ContributionNodeTypeResolver } from './graphs/node-types.js';
import { GraphService } from './graphs/service.js';
import { runRoutes } from './http/routes/runs.js';
import { timeTravelRoutes } from './http/routes/time-travel.js';
import { waitRoutes } from './http/routes/waits.js';
import { canvasExecuteRoutes } from './http/routes/canvas-execute.js';
import { graphBaselineRoutes } from './http/routes/graph-baselines.js';
import { graphRunRoutes } from './http/routes/graph-runs.js';
import { scheduleRoutes } from './http/routes/schedules.js';
import { ScheduleService } from './schedules/schedule-service.js';
import { ScheduleTicker } from './schedules/schedule-ticker.js';
import { HomeScheduleService } from './schedules/home-schedules.js';
import { ScheduleNotificationService } from './schedules/schedule-notifications.js';
import { homeScheduleRoutes } from './http/routes/home-schedules.js';
import { EventTriggerService } from './triggers/event-triggers.js';
import { KernelEventStore } from './triggers/kernel-events.js';
import { TriggerDispatcher } from './triggers/trigger-dispatcher.js';
import { knowledgeBaseRoutes } from './http/routes/knowledge-bases.js';
import { vectorStoreRoutes } from './http/routes/vector-stores.js';
import { KnowledgeBaseService } from './knowledge/knowledge-bases.js';
import { VectorStoreService } from './knowledge/vector-store-service.js';
import { VectorStore } from './knowledge/vector-store.js';
import { BASELINE_CHANGES_CHANNEL, BaselineService } from './graphs/baselines.js';
import { GraphRunService, StoredSubgraphLoader } from './graphs/graph-runs.js';
import { hostGraphServices } from './graphs/host-graph-services.js';
import { DemoWorkspace } from './demo/demo-workspace.js';
import { ENDPOINT_CHANGES_CHANNEL, EndpointService } from './endpoints/endpoint-service.js';
import { LlmGateway } from './llm/gateway.js';
import { RunTemplateService } from './graphs/run-templates.js';
import { NodeOutputCache } from './runtime/partial/output-cache.js';
import { PartialExecutionService } from './runtime/partial/partial-execution.js';
import { ExtensionNodeRunner } from './runtime/extension-node-runner.js';
import { RunService } from './runtime/run-service.js';
import type { RunWorker } from './runtime/temporal/worker.js';
import { createExpressionEvaluator } from './runtime/expressions/index.js';
import { hostAuditQueueFor } from './extensions/host-api/audit-queue.js';
import { purgeExpiredKeyValues } from './extensions/host-api/kv.js';
import type { HostServices } from './extensions/host-api/types.js';
import { systemRoutes } from './http/routes/system.js';
import { workspaceRoutes } from './http/routes/workspaces.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { WebhookService } from './webhooks/webhook-service.js';
import { createSharedState } from './infra/index.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, type Database } from './storage/database.js';
import { migrate } from './storage/migrator.js';
import { loadSecretKey } from './vault/secret-key.js';
import { CredentialVault } from './vault/vault.js';

/** Interval of the purge of expired extension key-value entries, in milliseconds. */
const KV_PURGE_INTERVAL_MS = 3_600_000;

export interface Kernel {
  readonly container: KernelContainer;
  readonly services: KernelServices;
  readonly app: ReturnType<typeof createApp>;
  /** The Temporal worker this process runs, when the run back end is `temporal` and the worker is on. */
  readonly temporalWorker: RunWorker | null;
  /**
   * Starts executing queued and interrupted runs and firing schedules. createKernel calls it
   * when it loads the extensions itself. A caller that loads them later (`mify start`, which
   * serves /api/health first) calls it once they are loaded, so resumed runs find their node
   * types. Kernels opened for one-shot CLI commands never call it.
   */
  startExecution(): Promise<void>;
  /** Releases the database, shared state and background work. */
  close(): Promise<void>;
}

export interface CreateKernelOptions {
  config: KernelConfig;
  logger?: Logger;
  /** Flag to apply pending migrations before serving (default true). */
  migrate?: boolean;
  /** Services to use instead of the defaults, e.g. a database opened by a test. The caller closes them. */
  overrides?: Partial<Pick<KernelServices, 'db' | 'sharedState'>>;
  /**
   * The database of `config`, which the caller began to open earlier, e.g. while the kernel's
   * modules loaded. The kernel takes it over and closes it. Without it the kernel opens one.
   */
  database?: Promise<Database>;
  /** Flag to load enabled extensions at start (default true). One-shot CLI commands that need none skip it. */
  loadExtensions?: boolean;
  /**
   * Flag to claim and execute queued and interrupted runs (default: when extensions are loaded).
   * Without it, call `services.runService.startExecuting()` once the extensions are loaded.
   */
  executeRuns?: boolean;
  /**
   * Flag to run a Temporal worker in this process (default: MIFY_TEMPORAL_WORKER). Only used
   * with the `temporal` run back end.
   */

  temporalWorker?: boolean;
  /** Routes mounted after the kernel's own, e.g. probes used by tests. */
  extraRoutes?: (services: () => KernelServices) => KernelServices['routes'];
}

/**
 * Assembles the kernel: opens storage, applies migrations, connects shared
 * state, registers every service in the container and builds the HTTP app.
 *
 * @example
 * const kernel = await createKernel({ config: loadConfig() });
 * const response = await kernel.app.request('/api/health');
 */
export async function createKernel(options: CreateKernelOptions): Promise<Kernel> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const container = createKernelContainer();
  const closers: Array<() => Promise<void>> = [];

  try {
    const db = options.overrides?.db ?? (await (options.database ?? openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteThread: config.pgliteThread, logger })));
    if (!options.overrides?.db) closers.push(() => db.close());
    if (options.migrate !== false) await migrate(db, { logger });

    const sharedState = options.overrides?.sharedState ?? (await createSharedState({ redisUrl: config.redisUrl, logger }));
    if (!options.overrides?.sharedState) closers.push(() => sharedState.close());

    const auditLog = new AuditLog({ db, logger });
    const apiKeyService = new ApiKeyService({ db, logger, sharedState });
    await apiKeyService.start();
    closers.push(() => apiKeyService.stop());

    container.register({
      config: asValue(config),
      logger: asValue(logger),
      db: asValue(db),
      sharedState: asValue(sharedState),
      auditLog: asValue(auditLog),
      userService: asValue(new UserService({ db, logger })),
      sessionService: asValue(new SessionService({ db, logger, sessionTtlHours: config.sessionTtlHours })),
      apiKeyService: asValue(apiKeyService),
      vault: asValue(new CredentialVault({ db, logger, auditLog, key: loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir, logger }) })),
      routes: asValue([]),
    });

    // Resolved on first use: the graph services are registered after the extension host.
    const graphsForExtensions = hostGraphServices(() => container.cradle as never);
    const demoWorkspace = new DemoWorkspace({ db, logger, sharedState, config: config.demoRunner, graphService: () => container.cradle.graphService });
    const demoForExtensions = { graphFor: (templateId: string) => demoWorkspace.graphFor(templateId), settings: () => config.demoRunner };
    const endpointService = new EndpointService({ db, logger, sharedState, graphRuns: () => container.cradle.graphRunService, runService: () => container.cradle.runService });
    const llmGateway = new LlmGateway({ contributions: () => container.cradle.contributions, extensionHost: () => extensionHost, logger });
    let bridgeModule: Promise<typeof import('./extensions/host-api/bridge.js')> | undefined;
    let bridgeServices: HostServices | undefined;
    const extensionHost: ExtensionHost = new ExtensionHost({
      db,
      logger,
      config,
      sharedState,
      kernelRoutePaths: () => container.cradle.routes.map((route) => route.path),
      // The host API's modules load with the first extension call, because no sandbox starts before one.
      bridgeFactory: async (context) => {
        const { createHostBridge } = await (bridgeModule ??= import('./extensions/host-api/bridge.js'));
        // One services object serves every bridge, which the kernel makes for every invocation.
        bridgeServices ??= { db, vault: container.cradle.vault, auditLog, sharedState, logger, graphs: graphsForExtensions, demo: demoForExtensions, endpoints: endpointService, knowledge: { search: (workspaceId, id, input) => container.cradle.knowledgeBaseService.search(workspaceId, id, input) }, events: { subscribe: (extensionId, topic) => extensionHost.subscribeToEvents(extensionId, topic) }, llm: llmGateway, config: { allowPrivateNetwork: config.allowPrivateNetwork, httpMaxResponseBytes: config.httpMaxResponseBytes, httpTimeoutMs: config.httpTimeoutMs } };
        return createHostBridge(
          { extensionId: context.extensionId, permissions: context.manifest.permissions, workspaceId: context.workspaceId, runId: context.runId, nodeId: context.nodeId, stepId: context.stepId, progress: context.progress, caller: context.caller, startedRuns: context.startedRuns, collections: (context.manifest.collections ?? []).map((collection) => ({ name: collection.name, indexes: collection.indexes ?? [] })), dataDir: config.dataDir },
          bridgeServices,
        );
      },
    });
    container.register({ extensionHost: asValue(extensionHost), contributions: asValue(new ContributionRegistry(extensionHost)), endpointService: asValue(endpointService) });
    const nodeTypes = new ContributionNodeTypeResolver(container.cradle.contributions);
    container.register({ nodeTypes: asValue(nodeTypes), graphService: asValue(new GraphService({ db, logger, auditLog, nodeTypes })) });
    // Workflow endpoints keep graphs found by slug for a moment: a change clears them here at once, and in other kernel processes through pub/sub.
    const unsubscribeEndpointChanges = await sharedState.pubsub.subscribe(ENDPOINT_CHANGES_CHANNEL, () => endpointService.forgetGraphs());
    closers.push(() => unsubscribeEndpointChanges());
    container.cradle.graphService.onChanged(() => {
      endpointService.forgetGraphs();
      sharedState.pubsub.publish(ENDPOINT_CHANGES_CHANNEL, 'changed').catch((error: unknown) => logger.warn({ err: error }, 'could not tell other kernel processes about a graph change'));
    });
    if (options.loadExtensions !== false) await extensionHost.start();
    // Closers run in reverse: the sandboxes stop first, then buffered audit rows are written, then the database closes.
    closers.push(() => hostAuditQueueFor(auditLog, logger).close());
    closers.push(() => extensionHost.stop());

    const expressionEvaluator = createExpressionEvaluator({ logger });
    container.register({ expressionEvaluator: asValue(expressionEvaluator) });
    closers.push(() => expressionEvaluator.dispose());
    const optional = <K extends 'subgraphLoader' | 'expressionEvaluator'>(name: K) => (container.hasRegistration(name) ? container.cradle[name] ?? null : null);
    const runner = new ExtensionNodeRunner(extensionHost);
    const runLimits = {
      maxItemsPerStep: config.runMaxItemsPerStep,
      maxStepInputBytes: config.runMaxStepInputBytes,
      maxSubworkflowDepth: config.runMaxSubworkflowDepth,
      maxConcurrentPerWorkspace: config.runMaxConcurrentPerWorkspace,
      maxRecordBytes: config.runRecordMaxBytes,
    };
    // The Temporal SDK modules load only with the temporal back end: importing them costs about 0.3 s and 45 MiB.
    const temporal = config.runBackend === 'temporal'
      ? await (await import('./runtime/temporal/backend.js')).TemporalBackend.connect({
          // loadConfig rejects the temporal back end without TEMPORAL_ADDRESS.
          address: config.temporalAddress!,
          namespace: config.temporalNamespace,
          taskQueue: config.temporalTaskQueue,
          heartbeatTimeoutMs: config.temporalHeartbeatTimeoutMs,
          maxPayloadBytes: config.temporalMaxPayloadBytes,
          nodeTypes: () => container.cradle.nodeTypes.snapshot(),
          db,
          sharedState,
          logger,
          maxRecordBytes: config.runRecordMaxBytes,
        })
      : undefined;
    const runService = await RunService.create({
      db,
      sharedState,
      logger,
      nodeTypes: () => container.cradle.nodeTypes.snapshot(),
      runner,
      evaluator: () => optional('expressionEvaluator'),
      subgraphLoader: () => optional('subgraphLoader'),
      limits: runLimits,
      backend: config.runBackend,
      durable: { leaseMs: config.runLeaseMs, pollMs: config.runPollMs, maxPerProcess: config.runMaxPerProcess, inlineWaitMs: config.runInlineWaitMs, releaseStaleOnStart: db.kind === 'pglite' },
      ...(temporal ? { remote: temporal } : {}),
    }).catch(async (error: unknown) => {
      await temporal?.dispose();
      throw error;
    });
    container.register({ runService: asValue(runService) });
    closers.push(() => runService.dispose());

    let temporalWorker: RunWorker | null = null;
    // Bundling the workflow code takes seconds, so the worker starts with execution, after a CLI start already serves /api/health.
    const startTemporalWorker = async () => {
      if (!temporal || !(options.temporalWorker ?? config.temporalWorker)) return;
      const [{ createRunActivities }, { startRunWorker }] = await Promise.all([import('./runtime/temporal/activities.js'), import('./runtime/temporal/worker.js')]);
      const activities = createRunActivities({
        db,
        sharedState,
        logger,
        runner,
        evaluator: () => optional('expressionEvaluator'),
        subgraphLoader: () => optional('subgraphLoader'),
        childRuns: () => runService,
        limits: runLimits,
        maxPayloadBytes: config.temporalMaxPayloadBytes,
      });
      const worker = await startRunWorker({ address: config.temporalAddress!, namespace: config.temporalNamespace, taskQueue: config.temporalTaskQueue, activities, logger });
      temporalWorker = worker;
      // Closers run in reverse, so the worker stops before the schedules, the run service, the sandboxes and the database.
      closers.push(() => worker.shutdown());
    };

    const { graphService } = container.cradle;
    const baselineService = new BaselineService({
      db,
      logger,
      graphService,
      runService,
      announceChange: () => sharedState.pubsub.publish(BASELINE_CHANGES_CHANNEL, 'changed').catch((error: unknown) => logger.warn({ err: error }, 'could not tell other kernel processes about a baseline change')),
    });
    const unsubscribeBaselineChanges = await sharedState.pubsub.subscribe(BASELINE_CHANGES_CHANNEL, () => baselineService.forgetMissing());
    closers.push(() => unsubscribeBaselineChanges());
    const nodeOutputCache = new NodeOutputCache({ db, logger, limits: { maxOutputBytes: config.cacheMaxOutputBytes, maxWorkspaceBytes: config.cacheMaxWorkspaceBytes } });
    container.register({
      baselineService: asValue(baselineService),
      graphRunService: asValue(new GraphRunService({ logger, graphService, runService, baselines: baselineService })),
      runTemplateService: asValue(new RunTemplateService({ db, logger, graphService })),
      nodeOutputCache: asValue(nodeOutputCache),
      subgraphLoader: asValue(new StoredSubgraphLoader(() => container.cradle.graphRunService)),
      partialExecutionService: asValue(new PartialExecutionService({ logger, graphService, runService, nodeTypes: () => container.cradle.nodeTypes.snapshot(), contributions: container.cradle.contributions, cache: nodeOutputCache })),
    });
    // Runs before runService.dispose (closers run in reverse), so runs ending at shutdown are not compared.
    closers.push(() => baselineService.dispose());

    const kernelEvents = new KernelEventStore(db);
    const scheduleService = new ScheduleService({ db, logger, graphService, graphRuns: () => container.cradle.graphRunService, events: kernelEvents });
    const scheduleNotificationService = new ScheduleNotificationService({ db, logger, secretKey: loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir, logger }), allowPrivateNetwork: config.allowPrivateNetwork });
    container.register({
      scheduleService: asValue(scheduleService),
      scheduleNotificationService: asValue(scheduleNotificationService),
      homeScheduleService: asValue(new HomeScheduleService({ db, logger, graphService, scheduleService, notifications: scheduleNotificationService, runService: () => runService })),
    });
    const triggerDispatcher = new TriggerDispatcher({ events: kernelEvents, triggers: new EventTriggerService({ db, logger, graphRuns: () => container.cradle.graphRunService }), notifications: scheduleNotificationService, logger, pollMs: config.schedulePollMs });
    // Runs before the run service closer (closers run in reverse), so no event trigger starts a run during shutdown.
    closers.push(() => triggerDispatcher.stop());
    const vectorStore = new VectorStore({ db, logger });
    container.register({
      llmGateway: asValue(llmGateway),
      knowledgeBaseService: asValue(new KnowledgeBaseService({ db, logger, vectors: vectorStore, gateway: () => llmGateway, extensionHost: () => extensionHost })),
      vectorStoreService: asValue(new VectorStoreService({ vectors: vectorStore, logger })),
      webhookService: asValue(new WebhookService({ db, logger, userService: container.cradle.userService, vault: container.cradle.vault, graphRuns: () => container.cradle.graphRunService, runService: () => runService })),
    });
    const scheduleTicker = new ScheduleTicker({ service: scheduleService, logger, pollMs: config.schedulePollMs });
    // Runs before the run service and baseline closers (closers run in reverse), so no schedule starts a run during shutdown.
    closers.push(() => scheduleTicker.stop());
    let executing = false;
    const startExecution = async () => {
      if (executing) return;
      executing = true;
      await startTemporalWorker();
      await runService.startExecuting();
      scheduleTicker.start();
      triggerDispatcher.start();
    };
    if (options.executeRuns ?? options.loadExtensions !== false) await startExecution();

    const services = container.cradle;
    const resolve = () => container.cradle;
    services.routes.push(...systemRoutes(resolve), ...authRoutes(resolve), ...workspaceRoutes(resolve), ...apiKeyRoutes(resolve), ...credentialRoutes(resolve), ...extensionRoutes(resolve), ...graphRoutes(resolve), ...graphImportRoutes(resolve), ...aiBuilderRoutes(resolve), ...runRoutes(resolve), ...waitRoutes(resolve), ...timeTravelRoutes(resolve), ...graphRunRoutes(resolve), ...scheduleRoutes(resolve), ...homeScheduleRoutes(resolve), ...graphBaselineRoutes(resolve), ...canvasExecuteRoutes(resolve), ...knowledgeBaseRoutes(resolve), ...vectorStoreRoutes(resolve), ...webhookRoutes(resolve));
    if (options.extraRoutes) services.routes.push(...options.extraRoutes(resolve));
    // Extensions were loaded before the kernel's routes existed, so their mounts are checked now.
    await extensionHost.enforceRouteMounts();

    // Expired key-value entries are already hidden from reads; this hourly purge frees their space.
    const purgeTimer = setInterval(() => {
      purgeExpiredKeyValues(db).then(
        (count) => count > 0 && logger.info({ count }, 'purged expired extension key-value entries'),
        (error: unknown) => logger.warn({ err: error }, 'purging expired extension key-value entries failed'),
      );
    }, KV_PURGE_INTERVAL_MS);
    purgeTimer.unref();
    closers.push(async () => clearInterval(purgeTimer));

    const app = createApp(services);
    logger.info({ storage: db.location, sharedState: sharedState.kind }, 'kernel ready');

    return {
      container,
      services,
      app,
      get temporalWorker() {
        return temporalWorker;
      },
      startExecution,
      async close() {
        for (const close of closers.reverse()) {
          await close().catch((error: unknown) => logger.error({ err: error }, 'error while closing the kernel'));
        }
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw error;
  }
}
