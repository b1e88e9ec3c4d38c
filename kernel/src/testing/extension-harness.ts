import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { normalizeNodeOutput, portNames, routeName, type ExtensionManifest, type Item, type RouteResponse } from '@mify/sdk';
import { AuditLog } from '../audit/audit-log.js';
import { loadConfig } from '../config.js';
import { ContributionRegistry } from '../extensions/contributions.js';
import { ExtensionHost } from '../extensions/host.js';
import { LlmGateway } from '../llm/gateway.js';
import { createHostBridge, hostAuditQueueFor } from '../extensions/host-api/index.js';
import { createSharedState } from '../infra/index.js';
import { createLogger } from '../logger.js';
import { openDatabase } from '../storage/database.js';
import { migrate } from '../storage/migrator.js';
import { CredentialVault } from '../vault/vault.js';

export interface ExtensionTestHarnessOptions {
  /** Extension folder holding mify.extension.json and the built entry. */
  folder: string;
  /** Workspace the calls act in (default `ws_test`). */
  workspaceId?: string;
  /** Log level of the kernel logger (default `silent`). */
  logLevel?: string;
}

export interface ExtensionTestHarness {
  readonly manifest: ExtensionManifest;
  readonly workspaceId: string;
  /** Runs a node type of the extension on items, returning the items per output port. */
  runNode(type: string, input: { items: Item[]; parameters?: Record<string, unknown>; ports?: Record<string, Item[]>; typeVersion?: number }): Promise<Record<string, Item[]>>;
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
  const config = loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: options.logLevel ?? 'silent', MIFY_SECRET_KEY: randomBytes(32).toString('hex') });
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
        { extensionId: context.extensionId, permissions: context.manifest.permissions, workspaceId: context.workspaceId, runId: context.runId, nodeId: context.nodeId, collections: (context.manifest.collections ?? []).map((c) => ({ name: c.name, indexes: c.indexes ?? [] })), dataDir },
        { db, vault, auditLog, sharedState, logger, events: { subscribe: (extensionId, topic) => host.subscribeToEvents(extensionId, topic) }, llm: llmGateway, config: { allowPrivateNetwork: config.allowPrivateNetwork, httpMaxResponseBytes: config.httpMaxResponseBytes, httpTimeoutMs: config.httpTimeoutMs } },
      ),
  });

  try {
    const status = await host.install({ folder: options.folder });
    const manifest = (await host.activeManifests()).find((entry) => entry.manifest.id === status.id)!.manifest;
    let runCount = 0;

    return {
      manifest,
      workspaceId,
      async runNode(type, input) {
        const contribution = (manifest.contributes?.nodes ?? []).find((node) => node.type === type && (input.typeVersion === undefined || node.typeVersion === input.typeVersion));
        if (!contribution) throw new Error(`Extension '${manifest.id}' declares no node type '${type}'${input.typeVersion ? ` version ${input.typeVersion}` : ''}.`);
        runCount++;
        const runId = `run_test_${runCount}`;
        const stepId = `${runId}_step_1`;
        const inputPorts = portNames(contribution.inputs);
        const output = await host.invoke(
          manifest.id,
          {
            kind: 'node',
            name: type,
            input: {
              items: input.items,
              ports: input.ports ?? { [inputPorts[0] ?? 'main']: input.items },
              parameters: input.parameters ?? {},
              node: { id: 'node_1', name: contribution.name, type, typeVersion: contribution.typeVersion, parameters: input.parameters ?? {} },
              run: { id: runId, workspaceId, stepId, idempotencyKey: `${runId}:node_1:1` },
            },
          },
          { workspaceId, runId, nodeId: 'node_1' },
        );
        return normalizeNodeOutput(output as never, portNames(contribution.outputs)) as Record<string, Item[]>;
      },
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
