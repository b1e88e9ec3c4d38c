/**
 * The contract between an extension and the kernel: the data that flows through graphs and
 * the shape of each contribution's implementation. The manifest declares a contribution;
 * the object passed to `defineExtension` implements it under the same name.
 */
import type { ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ExtensionEvent, HostApi } from './host-api.js';
import type { ImporterImplementation } from './importers.js';

/** Any value JSON can represent. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Binary data attached to an item. */
export interface BinaryData {
  /** Media type, such as `image/png`. */
  mimeType: string;
  fileName?: string;
  /** Content as base64. */
  data: string;
}

/** The unit of data that flows along an edge. One node execution processes a batch of items. */
export interface Item {
  json: Record<string, unknown>;
  /** Binary attachments by name, such as `{ photo: { mimeType: 'image/jpeg', data: '...' } }`. */
  binary?: Record<string, BinaryData>;
}

/**
 * Input of {@link NodeImplementation.execute}. `items` are the items on the node's first
 * input port. `ports` contains the items of every input port by name, including the first, for
 * nodes with several inputs (merges, joins).
 */
export interface NodeInput {
  items: Item[];
  ports?: Record<string, Item[]>;
  /** Parameters resolved for the first item. This is the same object as `ctx.node.parameters`. */
  parameters?: Record<string, unknown>;
  /** Parameters resolved per item, in item order. Present only when the parameters contain expressions. */
  itemParameters?: Array<Record<string, unknown>>;
  /**
   * Loop nodes (control `loop`) only: the `state` the node returned at its previous
   * activation. Absent at the first activation after the loop is entered.
   */
  state?: unknown;
  /** Loop nodes only: activations since the loop was entered, from 1. */
  iteration?: number;
  /** Wait nodes (control `wait`) only, at their second call: outcome of the wait they requested. */
  resume?: WaitResolution;
}

/**
 * Usage a node reports beside its items. The kernel adds it to the step and to the run's
 * totals. `tokens` defaults to `inputTokens + outputTokens`.
 */
export interface NodeUsage {
  tokens?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Cost in US dollars. */
  costUsd?: number;
}

/**
 * Wait request that a wait node returns instead of items. `timer` continues the run at
 * `until`. `approval` waits for a reviewer's decision. `resume` waits for
 * `POST /api/runs/:id/resume`. For approval and resume waits, `until` is the time at which
 * the wait expires.
 */
export interface NodeWait {
  kind: 'approval' | 'timer' | 'resume';
  /** ISO 8601 date-time. Required for `timer`. */
  until?: string;
  /** Approval waits: heading shown to the reviewer. */
  title?: string;
  /** Approval waits: instructions on what the reviewer should check. */
  instructions?: string;
  /** Approval waits: items shown to the reviewer, who may edit them when `allowEdit` is true. */
  items?: Item[];
  allowEdit?: boolean;
  /** Approval waits: JSON Schema of extra fields the reviewer fills in. */
  form?: JsonObject;
}

/** Outcome of a wait, handed to the wait node as `input.resume` when it is called again. */
export interface WaitResolution {
  waitId: string;
  kind: NodeWait['kind'];
  /**
   * `approved` or `rejected`: a reviewer decided. `resumed`: the run was resumed through the
   * API. `elapsed`: the timer passed. `expired`: `until` passed before a decision.
   */
  outcome: 'approved' | 'rejected' | 'resumed' | 'elapsed' | 'expired';
  /** Items as edited by the reviewer. Absent when the reviewer did not edit them. */
  items?: Item[];
  /** Values of the approval form. */
  form?: JsonObject;
  comment: string | null;
  /** User id of the reviewer, or null for timers and expiries. */
  decidedBy: string | null;
  /** ISO 8601 date-time. */
  decidedAt: string;
}

/** Output of a loop node: items keyed by output port, and the `state` handed back at its next activation. */
export interface LoopNodeOutput {
  /** Any JSON value. The kernel stores it in the run journal between activations. */
  state: unknown;
  usage?: NodeUsage;
  /** Items per output port, such as `loop` and `done`. */
  [port: string]: unknown;
}

/** Output of a wait node that requests a wait. The node is called again with `input.resume`. */
export interface WaitNodeOutput {
  wait: NodeWait;
  usage?: NodeUsage;
}

/**
 * Result of {@link NodeImplementation.execute}, in one of these forms:
 *
 * - `{ items }`: all items leave through the node's first output port.
 * - `{ [portName]: items }`: items per output port, keyed by the port names declared in the
 *   manifest, such as `{ true: [...], false: [...] }` for an If node. A declared port left
 *   out emits no items, and an undeclared port name fails the step.
 * - Either form with `usage` beside the ports ({@link NodeUsage}).
 * - Loop nodes: ports and `state` ({@link LoopNodeOutput}).
 * - Wait nodes: `{ wait }` instead of items ({@link WaitNodeOutput}).
 *
 * A node that declares an output port named `items`, `usage`, `state` or `wait` uses that
 * name for the port. `normalizeNodeOutput` applies the port rules.
 */
export type NodeOutput =
  | { items: Item[]; usage?: NodeUsage }
  | Record<string, Item[]>
  | { usage: NodeUsage; [port: string]: Item[] | NodeUsage }
  | LoopNodeOutput
  | WaitNodeOutput;

/** Structured log lines, written by the kernel with the extension, run and step ids. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Context passed as `ctx` to every contribution. */
export interface ExtensionContext {
  /** Id of the extension, such as `acme.crm-sync`. */
  extensionId: string;
  host: HostApi;
  log: Logger;
}

/** The node being executed, as placed in the graph. */
export interface NodeInfo {
  /** Id of the node in the graph. */
  id: string;
  /** Name the user gave the node. */
  name: string;
  type: string;
  typeVersion: number;
  /** Parameters with expressions already evaluated, valid against the type's JSON Schema. */
  parameters: Record<string, unknown>;
}

/** The run and step a node executes in. */
export interface RunInfo {
  id: string;
  workspaceId: string;
  stepId: string;
  /**
   * Key that stays the same when the kernel retries or resumes this step. Pass it to
   * external APIs that deduplicate requests, so a retry does not repeat a side effect.
   */
  idempotencyKey: string;
}

/** `ctx` of {@link NodeImplementation.execute}. */
export interface NodeContext extends ExtensionContext {
  node: NodeInfo;
  run: RunInfo;
}

/**
 * Implementation of one node type, keyed by its type in `defineExtension({ nodes })`. One
 * implementation serves every `typeVersion` the manifest declares for the type, so it reads
 * `ctx.node.typeVersion` to keep the behaviour of old versions.
 */
export interface NodeImplementation {
  /**
   * Runs the node once on a batch of items. Throw an `ExtensionError` to fail the step with
   * a stable code. The kernel applies the node's retry and on-error settings.
   */
  execute(ctx: NodeContext, input: NodeInput): NodeOutput | Promise<NodeOutput>;
}

/** An HTTP request to an extension route. */
export interface RouteRequest {
  method: string;
  /** Path relative to `/api/ext/<extension id>/`, such as `items/42`. */
  path: string;
  /** Values of the `:name` segments of the declared path, such as `{ id: '42' }`. */
  params: Record<string, string>;
  /** Query parameters. A parameter given several times keeps its last value. */
  query: Record<string, string>;
  /** Header names in lower case. Authorization and cookie headers are removed. */
  headers: Record<string, string>;
  /** Parsed JSON body, the text of a non-JSON body, or null without a body. */
  body: JsonValue;
  /**
   * The request's `Idempotency-Key` header (1-255 characters; the kernel rejects longer ones
   * with 400), or null without one. A route that starts work passes it on, for example as
   * the `idempotencyKey` of `runs.start`, so a retried request starts no second run.
   */
  idempotencyKey?: string | null;
  /**
   * The kernel's view of the caller: the workspace and API key the request authenticated
   * with (null without one), the request id, and the client's IP address. Routes of auth
   * `optional` and `workspace` have a workspace when the caller has one. `clientIp` is the
   * socket's address, or the first `X-Forwarded-For` address when the operator sets
   * `MIFY_TRUST_PROXY`; public routes use it for per-client rate limits.
   */
  caller?: { workspaceId: string | null; userId: string | null; apiKeyId?: string | null; requestId: string; clientIp?: string | null };
}

/**
 * A route response that the kernel turns into Server-Sent Events of a run. Without `format`
 * each run event is sent as `id: <event id>`, `event: <event type>`, `data: <event data>`.
 * With `format`, the kernel calls the extension's `stream` hook once per run event with
 * {@link StreamEventInput} and sends the frames it returns, so the extension formats the
 * stream for its protocol. The stream ends after `run.finished`, or when the hook returns
 * `end: true`.
 */
export interface RouteStreamDirective {
  /** Run whose events are streamed; it must belong to the workspace of the route call, or to the graph of `grant`. */
  runId: string;
  /**
   * A grant from `runs.grant` (or `demo.prepare`) held by this extension. It lets a route
   * without a workspace stream a run of the grant's graph that an earlier request started.
   */
  grant?: string;
  /** Name of the extension's format, passed to its `stream` hook, such as `a2a`. */
  format?: string;
  /** JSON the hook receives with every event, such as a JSON-RPC request id. */
  context?: JsonValue;
  /** Frames sent before the first run event. */
  initialFrames?: StreamFrame[];
}

/** One Server-Sent Event. An object `data` is sent as JSON. */
export interface StreamFrame {
  event?: string;
  id?: string;
  data: JsonValue;
}

/** Input of the `stream` hook: one run event, the directive's format and context, and the hook's last state. */
export interface StreamEventInput {
  format: string;
  event: { id: number; type: string; data: JsonObject };
  context: JsonValue;
  /** `state` the hook returned for the previous event; null for the first one. */
  state: JsonValue;
}

/** Result of the `stream` hook. */
export interface StreamEventOutput {
  frames: StreamFrame[];
  state?: JsonValue;
  /** Ends the stream after these frames. */
  end?: boolean;
}

/** The response of a route. */
export interface RouteResponse {
  status?: number;
  headers?: Record<string, string>;
  /**
   * A string is sent as is when `headers` sets a content type. Any other value is sent as
   * JSON, with the content type from `headers` (such as application/problem+json) or
   * application/json.
   */
  body?: JsonValue;
  /** Answers with Server-Sent Events of a run instead of `body`. */
  stream?: RouteStreamDirective;
}

/** `ctx` of {@link RouteImplementation.handle}. */
export interface RouteContext extends ExtensionContext {
  /** Workspace of the request. Null for `public` and `user` routes without a workspace. */
  workspaceId: string | null;
  /** Signed-in user. Null for `public` routes. */
  userId: string | null;
  requestId: string;
}

/**
 * Implementation of a route, keyed in `defineExtension({ routes })` by the route's name:
 * its `handler` when the manifest sets one, otherwise `"<METHOD> <path>"` such as
 * `"GET items/:id"`. `routeName` computes it.
 */
export interface RouteImplementation {
  handle(ctx: RouteContext, request: RouteRequest): RouteResponse | Promise<RouteResponse>;
}

/** Placement of a trigger: one trigger node of one graph. */
export interface TriggerPlacement {
  graphId: string;
  nodeId: string;
  workspaceId: string;
  parameters: Record<string, unknown>;
}

/**
 * Input of {@link TriggerImplementation.handle}, one of:
 *
 * - `activate` and `deactivate`: a graph with this trigger was published or unpublished.
 * - `poll`: the kernel polls on the schedule in the parameters. `state` is the state that the
 *   last poll returned (null the first time).
 * - `webhook`: an HTTP request arrived at the trigger's webhook URL.
 */
export type TriggerInput =
  | { event: 'activate' | 'deactivate'; trigger: TriggerPlacement }
  | { event: 'poll'; trigger: TriggerPlacement; state: JsonValue }
  | { event: 'webhook'; trigger: TriggerPlacement; request: RouteRequest };

/**
 * Result of {@link TriggerImplementation.handle}:
 *
 * - `activate` and `deactivate`: nothing.
 * - `poll`: the items that start one run (no run when empty) and the state for the next poll.
 * - `webhook`: the items and the HTTP response (200 with no body when absent).
 */
export type TriggerOutput = void | { items: Item[]; state?: JsonValue; response?: RouteResponse };

/** Implementation of a trigger type, keyed by its type in `defineExtension({ triggers })`. */
export interface TriggerImplementation {
  handle(ctx: ExtensionContext, input: TriggerInput): TriggerOutput | Promise<TriggerOutput>;
}

/** A node placed in a graph. */
export interface GraphNode {
  id: string;
  type: string;
  typeVersion: number;
  name: string;
  parameters: Record<string, unknown>;
  /** Canvas position in pixels. */
  position: { x: number; y: number };
  settings?: {
    retries?: number;
    timeoutMs?: number;
    onError?: 'stop' | 'continue' | 'error-output';
  };
}

/** An edge from an output port of one node to an input port of another. */
export interface GraphEdge {
  from: { node: string; port: string };
  to: { node: string; port: string };
}

/** A graph as JSON. */
export interface MifyGraph {
  id?: string;
  name: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  settings?: Record<string, unknown>;
}

/** A request the kernel's provider gateway sends to a provider contribution. */
export type ProviderRequest =
  | { operation: 'chat'; request: ChatRequest }
  | { operation: 'embed'; request: EmbedRequest }
  | { operation: 'image'; request: { model: string; prompt: string; size?: string } }
  | { operation: 'speech'; request: { model: string; text: string; voice?: string } };

/** Result of {@link ProviderImplementation.call}, matching the request's operation. */
export type ProviderResponse =
  | ChatResponse
  | EmbedResponse
  | { model: string; images: BinaryData[] }
  | { model: string; audio: BinaryData }
  /**
   * A vendor failure, such as a rejected key or throttling. The gateway rejects the caller's
   * `llm.*` call with this code (`unauthorized`, `rate_limited`, `not_found`, `unavailable`,
   * `timeout`, `invalid_argument`, `invalid_provider_response`) without counting it as a
   * failure of the provider's extension.
   */
  | { error: { code: string; message: string; retryAfterSeconds?: number } };

/**
 * Implementation of a provider, keyed by its id in `defineExtension({ providers })`.
 * Providers usually call their vendor with `ctx.host.http.fetch` and a credential.
 */
export interface ProviderImplementation {
  call(ctx: ExtensionContext, input: ProviderRequest): ProviderResponse | Promise<ProviderResponse>;
}

/** Lifecycle and event hooks, all optional. */
export interface ExtensionHooks {
  /** Runs after the extension is installed or upgraded, before its first other call. */
  install?(ctx: ExtensionContext, input: { previousVersion: string | null }): void | Promise<void>;
  /** Runs when the extension is enabled, including at kernel start. */
  activate?(ctx: ExtensionContext, input: undefined): void | Promise<void>;
  /** Runs when the extension is disabled or the kernel stops. */
  deactivate?(ctx: ExtensionContext, input: undefined): void | Promise<void>;
  /** Runs before the extension is uninstalled. Its collections and files are deleted after. */
  uninstall?(ctx: ExtensionContext, input: undefined): void | Promise<void>;
  /** Receives events of the topics the extension subscribed to with `ctx.host.events.subscribe`. */
  event?(ctx: ExtensionContext, event: ExtensionEvent): void | Promise<void>;
  /** Formats one run event of a route's stream (see {@link RouteStreamDirective}) as Server-Sent Events. */
  stream?(ctx: ExtensionContext, input: StreamEventInput): StreamEventOutput | Promise<StreamEventOutput>;
}

/**
 * Default export of an extension's entry module. Each section is keyed by the name of
 * a contribution declared in the manifest.
 */
export interface ExtensionDefinition {
  /** Keyed by node type, such as `acme.crm-sync.upsert-contact`. */
  nodes?: Record<string, NodeImplementation>;
  /** Keyed by route name (see {@link RouteImplementation}). */
  routes?: Record<string, RouteImplementation>;
  /** Keyed by trigger type. */
  triggers?: Record<string, TriggerImplementation>;
  /** Keyed by importer platform. */
  importers?: Record<string, ImporterImplementation>;
  /** Keyed by provider id. */
  providers?: Record<string, ProviderImplementation>;
  hooks?: ExtensionHooks;
}
