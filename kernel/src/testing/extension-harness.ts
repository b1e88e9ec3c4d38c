import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portNames, routeName, type ExtensionManifest, type Item, type NodeUsage, type NodeWait, type RouteResponse, type WaitResolution } from '@mify/sdk';
import type { TestHarnessOptions, TestNodeInput } from '@mify/sdk/testing';
import { AuditLog } from '../audit/audit-log.js';
import { loadConfig } from '../config.js';
import { ContributionRegistry } from '../extensions/contributions.js';
import { ExtensionHost } from '../extensions/host.js';
import { LlmGateway } from '../llm/gateway.js';
import { createHostBridge, hostAuditQueueFor } from '../extensions/host-api/index.js';
import { createSharedState } from '../infra/index.js';
import { createLogger } from '../logger.js';
import { normalizeRunOutput } from '../runtime/extension-node-runner.js';
import { openDatabase } from '../storage/database.js';
import { migrate } from '../storage/migrator.js';
import { CredentialVault } from '../vault/vault.js';

/**
 * Options of `createExtensionTestHarness`. The type is declared once in the SDK, whose
 * `createTestHarness` passes its options through. The import is type-only, so it adds no
 * runtime dependency on the SDK.
 */
export type ExtensionTestHarnessOptions = TestHarnessOptions;

/** Input of a node run in the harness, as declared in the SDK. */
export type HarnessNodeInput = TestNodeInput;

/** A node's output split as the kernel's node runner splits it, with the progress it reported. */
export interface HarnessNodeResult {
  ports: Record<string, Item[]>;
  usage?: NodeUsage;
  state?: unknown;
  wait?: NodeWait;
  /** Deltas reported with `runs.progress`, in order. */
  progress: string[];
}

export interface ExtensionTestHarness {
  readonly manifest: ExtensionManifest;
  readonly workspaceId: string;
  /** Runs a node type of the extension on items, returning the items per output port; a wait request is an error. */
  runNode(type: string, input: HarnessNodeInput): Promise<Record<string, Item[]>>;
  /** Runs a node type of the extension and returns ports, usage, loop state, wait request and progress. */
  runNodeResult(type: string, input: HarnessNodeInput): Promise<HarnessNodeResult>;
  /** Calls a route the extension contributes, as the kernel would for `METHOD /api/ext/<id>/<path>`. */
  callRoute(method: string, routePath: string, request?: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> }): Promise<RouteResponse>;
  /** Stores a credential that `ctx.host.credentials.get(name)` returns. */
  addCredential(name: string, type: string, data: Record<string, unknown>): Promise<void>;
  /** Host API calls the extension made, as audited (`host.kv.get`, …). */
  hostCalls(): Promise<Array<{ action: string; allowed: boolean }>>;
  close(): Promise<void>;
}

/**
 * Loads an extension into the production sandbox (isolate or WASM runtime)
 * with the real host API over an in-memory embedded database, so extension
 * tests exercise exactly what the kernel runs.
 *
 * @example
 * const harness = await createExtensionTestHarness({ folder: '.' });
 * const out = await harness.runNode('acme.text.upper', { items: [{ json: { text: 'hi' } }] });
 * await harness.close();
 */
export async function createExtensionTestHarness(options: ExtensionTestHarnessOptions): Promise<ExtensionTestHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-harness-'));
  const config = loadConfig({
    MIFY_DATA_DIR: dataDir,
    MIFY_LOG_LEVEL: options.logLevel ?? 'silent',
    MIFY_SECRET_KEY: randomBytes(32).toString('hex'),
    MIFY_ALLOW_PRIVATE_NETWORK: options.allowPrivateNetwork === true ? 'true' : 'false',
  });
  const logger = createLogger({ level: config.logLevel });
  const workspaceId = options.workspaceId ?? 'ws_test';

  const db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  await db.prisma.workspace.create({ data: { id: workspaceId, slug: workspaceId.replace(/[^a-z0-9-]/g, '-'), name: 'Test workspace' } });
  const sharedState = await createSharedState({ logger });
  const auditLog = new AuditLog({ db, logger });
  const vault = new CredentialVault({ db, logger, auditLog, key: Buffer.from(config.secretKey!, 'hex') });

  const llmGateway = new LlmGateway({ contributions: () => new ContributionRegistry(host), extensionHost: () => host, logger });
  const host: ExtensionHost = new ExtensionHost({
    db,
    logger,
    config,
    sharedState,
    bundledDirs: [],
    bridgeFactory: (context) =>
      createHostBridge(
        { extensionId: context.extensionId, permissions: context.manifest.permissions, workspaceId: context.workspaceId, runId: context.runId, nodeId: context.nodeId, stepId: context.stepId, progress: context.progress, collections: (context.manifest.collections ?? []).map((c) => ({ name: c.name, indexes: c.indexes ?? [] })), dataDir },
        { db, vault, auditLog, sharedState, logger, events: { subscribe: (extensionId, topic) => host.subscribeToEvents(extensionId, topic) }, llm: llmGateway, config: { allowPrivateNetwork: config.allowPrivateNetwork, httpMaxResponseBytes: config.httpMaxResponseBytes, httpTimeoutMs: config.httpTimeoutMs } },
      ),
  });

  try {
    const status = await host.install({ folder: options.folder });
    const manifest = (await host.activeManifests()).find((entry) => entry.manifest.id === status.id)!.manifest;
    let runCount = 0;

    async function runNodeResult(type: string, input: HarnessNodeInput): Promise<HarnessNodeResult> {
      const contribution = (manifest.contributes?.nodes ?? []).find((node) => node.type === type && (input.typeVersion === undefined || node.typeVersion === input.typeVersion));
      if (!contribution) throw new Error(`Extension '${manifest.id}' declares no node type '${type}'${input.typeVersion ? ` version ${input.typeVersion}` : ''}.`);
      if (input.resume !== undefined && contribution.control !== 'wait') throw new Error(`Node type '${type}' is not a wait node (control "wait"), so it never receives resume; remove resume from the input.`);
      if ((input.state !== undefined || input.iteration !== undefined) && contribution.control !== 'loop') throw new Error(`Node type '${type}' is not a loop node (control "loop"), so it never receives state or iteration; remove them from the input.`);

      runCount++;
      const runId = `run_test_${runCount}`;
      const stepId = `${runId}_step_1`;
      const inputPorts = portNames(contribution.inputs);
      const progress: string[] = [];
      const nodeInput: Record<string, unknown> = {
        items: input.items,
        ports: input.ports ?? { [inputPorts[0] ?? 'main']: input.items },
        parameters: input.parameters ?? {},
        node: { id: 'node_1', name: contribution.name, type, typeVersion: contribution.typeVersion, parameters: input.parameters ?? {} },
        run: { id: runId, workspaceId, stepId, idempotencyKey: `${runId}:node_1:1`, attempt: 1 },
      };
      if (contribution.control === 'loop') {
        if (input.state !== undefined) nodeInput.state = input.state;
        nodeInput.iteration = input.iteration ?? 1;
      }
      if (input.resume !== undefined) nodeInput.resume = input.resume;

      const output = await host.invoke(manifest.id, { kind: 'node', name: type, input: nodeInput }, {
        workspaceId,
        runId,
        nodeId: 'node_1',
        stepId,
        progress: async (delta) => {
          progress.push(delta);
          return true;
        },
      });
      // The kernel's own rules split ports, usage, loop state and wait requests.
      const result = normalizeRunOutput(output, portNames(contribution.outputs), contribution.name, contribution.control ?? null);
      return {
        ports: result.ports,
        ...(result.usage === undefined ? {} : { usage: result.usage }),
        ...(result.state === undefined ? {} : { state: result.state }),
        ...(result.wait === undefined ? {} : { wait: result.wait as NodeWait }),
        progress,
      };
    }

    return {
      manifest,
      workspaceId,
      async runNode(type, input) {
        const result = await runNodeResult(type, input);
        if (result.wait !== undefined) throw new Error(`Node type '${type}' asked to wait (${JSON.stringify(result.wait)}); use runNodeResult to read the wait, then run it again with resume.`);
        return result.ports;
      },
      runNodeResult,
      async callRoute(method, routePath, request = {}) {
        const route = (manifest.contributes?.routes ?? []).find((candidate) => candidate.method === method.toUpperCase() && matches(candidate.path, routePath));
        if (!route) throw new Error(`Extension '${manifest.id}' has no route ${method.toUpperCase()} ${routePath}.`);
        return (await host.invoke(
          manifest.id,
          { kind: 'route', name: routeName(route), input: { method: method.toUpperCase(), path: routePath, params: params(route.path, routePath), query: request.query ?? {}, headers: request.headers ?? {}, body: request.body, caller: { workspaceId: route.auth === 'workspace' ? workspaceId : null, userId: null, requestId: 'test-request' } } },
          { workspaceId: route.auth === 'workspace' ? workspaceId : null },
        )) as RouteResponse;
      },
      async addCredential(name, type, data) {
        await vault.create(workspaceId, { name, type, data });
      },
      async hostCalls() {
        await hostAuditQueueFor(auditLog, logger).flush();
        const rows = await db.prisma.auditLog.findMany({ where: { actorType: 'extension', actorId: manifest.id }, orderBy: { id: 'asc' } });
        return rows.map((row) => ({ action: row.action, allowed: Boolean((row.details as { allowed?: boolean } | null)?.allowed) }));
      },
      async close() {
        await host.stop();
        await hostAuditQueueFor(auditLog, logger).close();
        await sharedState.close();
        await db.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await host.stop();
    await sharedState.close();
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

function split(value: string): string[] {
  return value.replace(/^\/+|\/+$/g, '').split('/');
}

function matches(pattern: string, actual: string): boolean {
  const a = split(pattern);
  const b = split(actual);
  return a.length === b.length && a.every((part, index) => part.startsWith(':') || part === b[index]);
}

function params(pattern: string, actual: string): Record<string, string> {
  const b = split(actual);
  return Object.fromEntries(split(pattern).flatMap((part, index) => (part.startsWith(':') ? [[part.slice(1), decodeURIComponent(b[index]!)]] : [])));
}
