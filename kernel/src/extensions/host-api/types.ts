import type { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { SharedState } from '../../infra/types.js';
import type { Logger } from '../../logger.js';
import type { Database } from '../../storage/database.js';
import type { CredentialVault } from '../../vault/vault.js';
import type { HostAuditQueue } from './audit-queue.js';
import type { EventSubscriptions } from './events.js';
import type { Role } from '../../auth/roles.js';
import type { HostDemoServices } from './demo.js';
import type { HostEndpointServices } from './endpoints.js';
import type { HostGraphServices } from './graphs-runs.js';
import type { HostKnowledgeServices } from './knowledge.js';
import type { HostLlmGateway } from './llm.js';
import type { HttpStreams } from './http-stream.js';
import type { HttpTransport } from './http-transport.js';

/** One index of an extension collection, as declared in the manifest. */
export interface CollectionIndexDeclaration {
  /** Dotted field paths inside the document, e.g. `['status', 'owner.id']`. */
  fields: string[];
  /** When true, no two documents of one workspace may share the values of all these fields. Default false. */
  unique?: boolean;
}

/** One extension collection, as declared in the manifest. */
export interface CollectionDeclaration {
  name: string;
  /** Default: none. */
  indexes?: CollectionIndexDeclaration[];
}

/** Caller of the host API: the extension, facts from its manifest, and where the call runs. */
export interface HostCallContext {
  /** Manifest id, e.g. `acme.notes`. */
  extensionId: string;
  /** The manifest's `permissions`, e.g. `['kv:read', 'http:fetch:api.example.com']`. */
  permissions: readonly string[];
  /** Workspace the call runs for; null for work of the extension itself, such as an install hook. */
  workspaceId: string | null;
  runId?: string;
  nodeId?: string;
  /** Step of the run the call works for, when it serves a node (directly or through the LLM gateway). */
  stepId?: string;
  /**
   * Records a `step.progress` event with partial output of that step and resolves to whether
   * it was recorded. Absent when the call serves no step, or serves a provider that the
   * caller did not ask to stream.
   */
  progress?: StepProgressSink;
  /** The manifest's collection declarations. */
  collections: readonly CollectionDeclaration[];
  /** Who sent the HTTP request a route call serves, as the kernel authenticated it. */
  caller?: HostCaller;
  /**
   * Runs that `endpoints.invoke` started in this invocation, with their workspace. A route may
   * stream the events of these runs even when its caller has no workspace.
   */
  startedRuns?: Map<string, string>;
  /** The kernel's data folder (`MIFY_DATA_DIR`); extension files live under `extension-files/` in it. */
  dataDir: string;
}

/** The authenticated sender of a route's HTTP request. */
export interface HostCaller {
  apiKeyId: string | null;
  userId: string | null;
  /** Role in the call's workspace; null without one. */
  role: Role | null;
  clientIp: string | null;
}

export interface HostApiConfig {
  /**
   * Operator setting that lets `http.fetch` reach loopback, private, link-local and other
   * non-public addresses. Cloud metadata, unspecified, multicast and broadcast addresses stay
   * blocked either way. When false, every non-public address is rejected before any connection.
   */
  allowPrivateNetwork: boolean;
  /** Maximum response body of one `http.fetch`, after decompression, in bytes. Default 10 MiB. */
  httpMaxResponseBytes?: number;
  /** Maximum time of one `http.fetch` including redirects, in milliseconds; also the default timeout. Default 30 000. */
  httpTimeoutMs?: number;
}

/** Kernel services the host API uses. */
export interface HostServices {
  db: Database;
  vault: CredentialVault;
  auditLog: AuditLog;
  sharedState: SharedState;
  logger: Logger;
  config: HostApiConfig;
  /**
   * Buffer for audit rows. Default: the queue shared by every bridge on the same `auditLog`
   * (see `hostAuditQueueFor`).
   */
  auditQueue?: HostAuditQueue;
  /** LLM provider gateway behind `llm.*`; without it those methods fail with `not_available`. */
  llm?: HostLlmGateway;
  /** Event delivery behind `events.subscribe`; without it that method fails with `not_available`. */
  events?: EventSubscriptions;
  /** Graph store and runtime behind `graphs.*` and `runs.*`; without it those methods fail with `not_available`. */
  graphs?: HostGraphServices;
  /** Published graphs behind `endpoints.*`; without it those methods fail with `not_available`. */
  endpoints?: HostEndpointServices;
  /** The demo workspace behind `demo.*`; without it those methods fail with `not_available`. */
  demo?: HostDemoServices;
  /** Knowledge bases behind `knowledge.search`; without them that method fails with `not_available`. */
  knowledge?: HostKnowledgeServices;
  /** DNS lookup and socket connection of `http.fetch`; tests replace them to observe connections. Default: node:dns and node:net/tls. */
  httpTransport?: Partial<HttpTransport>;
}

/** Receives one piece of a step's partial output, such as a text delta of a streamed model reply. */
export type StepProgressSink = (delta: string) => Promise<boolean>;

/** Context a host method's implementation receives besides its arguments. */
export interface HostCallScope {
  context: HostCallContext;
  /** Streamed `http.fetch` responses of this bridge's invocation. */
  streams: HttpStreams;
  services: HostServices;
  /** Child logger with `extensionId`, `workspaceId`, `runId` and `nodeId`. */
  logger: Logger;
  /** `workspace_id` column value of the caller's rows: the workspace id, or '' for extension-level data. */
  workspaceKey: string;
}

/** Parsed arguments of a host method, by parameter name. */
export type HostArguments<P extends Record<string, z.ZodType>> = { [K in keyof P]: z.output<P[K]> };

/**
 * One entry of the host API's method table. Arguments arrive positionally from the sandbox
 * and are parsed in the order of `parameters`.
 */
export interface HostMethod<P extends Record<string, z.ZodType> = Record<string, z.ZodType>> {
  /** Dotted name as the sandbox calls it, e.g. `kv.get`. */
  name: string;
  /**
   * Permission the manifest must list, checked before the arguments are parsed; null when
   * the method is always allowed. For methods with `authorize`, a template for messages and docs.
   */
  permission: string | null;
  /**
   * Checks a permission that depends on the arguments, after they are parsed. Returns null
   * when allowed, otherwise the permission the manifest would need.
   */
  authorize?(args: HostArguments<P>, permissions: readonly string[]): string | null;
  /** Positional parameters by name, in call order; a trailing optional one may be left out. */
  parameters: P;
  /** Audit `target` of the call, e.g. the collection name; never a value or a secret. */
  target?(args: HostArguments<P>): string | undefined;
  run(args: HostArguments<P>, scope: HostCallScope): Promise<unknown>;
}

/**
 * Declares a host method with argument types inferred from its zod schemas.
 *
 * @example
 * const get = defineHostMethod({
 *   name: 'kv.get',
 *   permission: 'kv:read',
 *   parameters: { key: z.string() },
 *   run: async ({ key }, scope) => readValue(scope, key),
 * });
 */
export function defineHostMethod<P extends Record<string, z.ZodType>>(method: HostMethod<P>): HostMethod {
  return method as unknown as HostMethod;
}
