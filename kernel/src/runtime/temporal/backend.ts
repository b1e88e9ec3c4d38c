import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { ConflictError, MifyError } from '../../errors.js';
import type { Item } from '../../graphs/model.js';
import type { SharedState } from '../../infra/types.js';
import type { Logger } from '../../logger.js';
import type { Database } from '../../storage/database.js';
import { DurableStore } from '../durable/durable-store.js';
import type { WaitRecord } from '../durable/waits.js';
import { describeError } from '../executor/errors.js';
import type { ActivationResult } from '../executor/interpreter.js';
import type { RemoteRunBackend } from '../run-service.js';
import { RunRecorder } from '../run-recorder.js';
import { RunStore } from '../run-store.js';
import type { ExecutableGraph, NodeTypeResolver } from '../types.js';
import { RUN_SEARCH_ATTRIBUTES, RUN_SIGNALS, RUN_WORKFLOW_TYPE, type PlanNodeType, type RunWorkflowInput } from './contract.js';
import { jsonBytes, payloadTooLarge } from './payload.js';

/** Temporal's IndexedValueType KEYWORD, from temporal.api.enums.v1. */
const KEYWORD_TYPE = 2;

/** How long `pause` waits for the run to reach its next activation before it returns, in milliseconds. */
const PAUSE_SETTLE_MS = 10_000;

export interface TemporalBackendOptions {
  /** Temporal frontend, host:port. */
  address: string;
  namespace: string;
  taskQueue: string;
  heartbeatTimeoutMs: number;
  maxPayloadBytes: number;
  /** Node types of the active extensions, read when a run starts. */
  nodeTypes: () => NodeTypeResolver;
  db: Database;
  sharedState: SharedState;
  logger: Logger;
  /** Largest JSON of a run's input or output kept in full by an audited run, in bytes. */
  maxRecordBytes: number;
}

/**
 * The Temporal run back end, client side: each run is a workflow whose id is the run id,
 * on the configured task queue. Workers (the kernel process itself, or `mify worker`
 * processes) execute it; see createRunActivities and startRunWorker.
 */
export class TemporalBackend implements RemoteRunBackend {
  readonly kind = 'temporal' as const;
  private readonly log: Logger;
  private readonly store: RunStore;

  private constructor(
    private readonly options: TemporalBackendOptions,
    private readonly connection: Connection,
    /** The Temporal client; tests read workflow histories and visibility through it. */
    readonly client: Client,
  ) {
    this.log = options.logger.child({ component: 'temporal-backend' });
    this.store = new RunStore(options.db);
  }

  /**
   * Connects to Temporal and registers the search attributes graphId, userId and status
   * (Keyword) in the namespace when they are missing.
   *
   * @throws MifyError `temporal_unavailable` when the frontend cannot be reached.
   */
  static async connect(options: TemporalBackendOptions): Promise<TemporalBackend> {
    let connection: Connection;
    try {
      connection = await Connection.connect({ address: options.address, connectTimeout: '10 seconds' });
    } catch (error) {
      throw new MifyError('temporal_unavailable', 503, `Could not connect to Temporal at TEMPORAL_ADDRESS=${options.address}: ${error instanceof Error ? error.message : String(error)}. Start the server (scripts/services/temporal.sh start) or fix the address.`, undefined, { cause: error });
    }
    try {
      await ensureSearchAttributes(connection, options.namespace, options.logger);
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    return new TemporalBackend(options, connection, new Client({ connection, namespace: options.namespace }));
  }

  /** Starts the run's workflow. RunService calls it only for runs its admission let through the concurrency limits. */
  async start(run: { runId: string; workspaceId: string; graph: ExecutableGraph; input: Item[]; createdBy: string | null; journal: Array<{ stepKey: string; result: unknown }>; overrides: Record<string, Record<string, Item[]>> | null }): Promise<void> {
    try {
      const input: RunWorkflowInput = {
        runId: run.runId,
        workspaceId: run.workspaceId,
        graph: run.graph,
        nodeTypes: this.nodeTypesOf(run.graph),
        input: run.input,
        journal: run.journal.map((entry) => ({ stepKey: entry.stepKey, result: entry.result as ActivationResult })),
        overrides: run.overrides,
        heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
        maxPayloadBytes: this.options.maxPayloadBytes,
      };
      if (jsonBytes(input) > this.options.maxPayloadBytes) {
        const { message, code } = payloadTooLarge('the run input (graph, input items and reused step results)', this.options.maxPayloadBytes);
        throw new MifyError(code, 413, `${message.charAt(0).toUpperCase()}${message.slice(1)}.`, { maxPayloadBytes: this.options.maxPayloadBytes });
      }

      const searchAttributes: SearchAttributePair[] = [{ key: defineSearchAttributeKey('status', SearchAttributeType.KEYWORD), value: 'queued' }];
      if (run.graph.id !== null) searchAttributes.push({ key: defineSearchAttributeKey('graphId', SearchAttributeType.KEYWORD), value: run.graph.id });
      if (run.createdBy !== null) searchAttributes.push({ key: defineSearchAttributeKey('userId', SearchAttributeType.KEYWORD), value: run.createdBy });

      await this.client.workflow.start(RUN_WORKFLOW_TYPE, { workflowId: run.runId, taskQueue: this.options.taskQueue, args: [input], typedSearchAttributes: searchAttributes });
      this.log.info({ runId: run.runId, taskQueue: this.options.taskQueue }, 'run workflow started');
    } catch (error) {
      // The run is already recorded as queued; without a workflow nothing would ever end it.
      await this.failUnstarted(run.runId, run.graph, error);
      throw error;
    }
  }

  async cancel(runId: string): Promise<void> {
    await this.withWorkflow(runId, async (handle) => {
      await handle.cancel();
    });
    this.log.info({ runId }, 'run workflow cancellation requested');
  }

  /** Signals a pause, then waits up to 10 s for the run to stop at its next activation, like the embedded back end. */
  async pause(runId: string): Promise<void> {
    await this.withWorkflow(runId, (handle) => handle.signal(RUN_SIGNALS.pause));
    const deadline = Date.now() + PAUSE_SETTLE_MS;
    while (Date.now() < deadline) {
      const [row] = await this.options.db.query<{ status: string }>('select status from runs where id = $1', [runId]);
      if (!row || row.status !== 'running') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async resume(runId: string): Promise<void> {
    await this.withWorkflow(runId, (handle) => handle.signal(RUN_SIGNALS.resume));
  }

  async decided(wait: WaitRecord): Promise<void> {
    await this.withWorkflow(wait.rootRunId, (handle) => handle.signal(RUN_SIGNALS.decide, wait.id));
  }

  async dispose(): Promise<void> {
    await this.connection.close().catch((error: unknown) => this.log.warn({ err: error }, 'could not close the Temporal connection'));
  }

  /** Node types the graph uses, without their parameter schemas. Types no extension provides are left out; planning then reports them. */
  private nodeTypesOf(graph: ExecutableGraph): PlanNodeType[] {
    const resolver = this.options.nodeTypes();
    const types = new Map<string, PlanNodeType>();
    for (const node of graph.graph.nodes) {
      const key = `${node.type}@${node.typeVersion}`;
      if (types.has(key)) continue;
      const info = resolver.resolve(node.type, node.typeVersion);
      if (!info) continue;
      const { parameters: _schema, ...planType } = info;
      types.set(key, planType);
    }
    return [...types.values()];
  }

  private async withWorkflow(runId: string, action: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<void> {
    try {
      await action(this.client.workflow.getHandle(runId));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new ConflictError(`Run '${runId}' has no running workflow in Temporal namespace '${this.options.namespace}'; it has ended or was never started there.`, { runId });
      }
      throw error;
    }
  }

  private async failUnstarted(runId: string, graph: ExecutableGraph, error: unknown): Promise<void> {
    try {
      const numbers = await new DurableStore(this.options.db).lastNumbers(runId);
      const recorder = new RunRecorder({ store: this.store, pubsub: this.options.sharedState.pubsub, logger: this.log, runId, rigor: graph.graph.settings.rigor, maxRecordBytes: this.options.maxRecordBytes, lastEventId: numbers.eventId });
      const usage = { tokens: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      await recorder.runFinished({ status: 'failed', output: [], error: { ...describeError(error), code: error instanceof MifyError ? error.code : 'temporal_start_failed' }, usage }, null);
    } catch (recordError) {
      this.log.error({ runId, err: recordError }, 'could not record a run whose workflow did not start');
    }
    this.log.error({ runId, err: error }, 'run workflow did not start');
  }
}

/** Registers the run search attributes as Keyword in `namespace` unless they exist; an attribute of another type is an error. */
async function ensureSearchAttributes(connection: Connection, namespace: string, logger: Logger): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, number> = {};
  for (const name of RUN_SEARCH_ATTRIBUTES) {
    const existing = customAttributes?.[name];
    if (existing === undefined || existing === null) missing[name] = KEYWORD_TYPE;
    else if (Number(existing) !== KEYWORD_TYPE) {
      throw new MifyError('temporal_search_attribute', 500, `Temporal search attribute '${name}' in namespace '${namespace}' has another type than Keyword; MIFY needs it as Keyword. Remove it (temporal operator search-attribute remove --name ${name}) or use another namespace (MIFY_TEMPORAL_NAMESPACE).`);
    }
  }
  if (Object.keys(missing).length === 0) return;

  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    // Another kernel or worker process may have registered them a moment ago.
    const after = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    if (Object.keys(missing).some((name) => after[name] === undefined)) throw error;
    return;
  }
  logger.info({ namespace, searchAttributes: Object.keys(missing) }, 'registered Temporal search attributes');
}
