/**
 * The host API: the only way out of an extension's sandbox. Inside the sandbox the kernel
 * hands every contribution a `ctx.host` object. Its namespace methods are shortcuts that
 * forward to `ctx.host.call('<namespace>.<method>', [args...])`, so `ctx.host.kv.get('a')`
 * and `ctx.host.call('kv.get', ['a'])` are the same call.
 *
 * The kernel checks each call against the permissions in the manifest (deny by default) and
 * logs it with the extension id. Arguments and results cross the sandbox boundary as JSON,
 * so `undefined` object fields are dropped and binary data travels as base64 strings.
 *
 * A failed call rejects with a {@link HostCallError}. Codes every method may use:
 * `permission_denied` (the manifest lacks the permission named on the method),
 * `invalid_argument`, `rate_limited`, `timeout` and `internal`.
 */
import type { Permission } from './permissions.js';
import type { Item, JsonObject, JsonValue, MifyGraph } from './types.js';

/** One page of a cursor-paginated list. */
export interface Page<T> {
  data: T[];
  /** Cursor of the next page, or null on the last page. Pass it back as `cursor`. */
  nextCursor: string | null;
}

/** Options shared by the list methods. */
export interface PageOptions {
  /** Maximum number of entries in the page. The kernel sets the default and the upper bound. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Key-value storage, scoped to the extension and the workspace of the call. */
export interface KvApi {
  /**
   * Reads a value. Returns null when the key is missing or expired.
   * Needs `kv:read`.
   */
  get(key: string): Promise<JsonValue | null>;
  /**
   * Stores a value, replacing any earlier one. `ttlMs` makes the key expire after that many
   * milliseconds. Needs `kv:write`. Rejects with `invalid_argument` when the value is too large.
   */
  set(key: string, value: JsonValue, options?: { ttlMs?: number }): Promise<void>;
  /** Deletes a key. Resolves to whether it existed. Needs `kv:write`. */
  delete(key: string): Promise<boolean>;
  /** Lists keys in lexical order, optionally only those starting with `prefix`. Needs `kv:read`. */
  list(options?: PageOptions & { prefix?: string }): Promise<Page<{ key: string; value: JsonValue }>>;
  /**
   * Adds `by` (a whole number, negative to subtract) to the counter at `key`, atomically: one
   * SQL statement reads and writes the row, so concurrent calls never lose an increment and
   * never pass `max`. A missing or expired counter starts at `by`, and `windowSeconds` makes
   * it expire that many seconds after that first increment. With `max`, an increment that
   * would take the counter above `max` is not applied (`applied: false`, `value` unchanged).
   * Needs `kv:write`. Rejects with `invalid_argument` when the key holds a value that is not a number.
   *
   * @example
   * const day = new Date().toISOString().slice(0, 10);
   * const { applied } = await ctx.host.kv.increment(`quota:${widgetId}:${day}`, 1, { windowSeconds: 172_800, max: 500 });
   * if (!applied) return { status: 429, body: { detail: 'The daily quota of 500 messages is used up.' } };
   */
  increment(key: string, by: number, options?: { windowSeconds?: number; max?: number }): Promise<{ value: number; applied: boolean }>;
}

/**
 * Rate limits on the kernel's sliding-window limiter (Redis when the kernel has `REDIS_URL`,
 * in process otherwise), namespaced by extension and workspace.
 */
export interface LimitsApi {
  /**
   * Records one hit in `bucket` and resolves to whether it is within `limit` hits per
   * `windowSeconds` (1 to 86 400). A rejected hit is not recorded. Needs `kv:write`.
   *
   * @example
   * const hit = await ctx.host.limits.hit(`ip:${request.caller?.clientIp}`, 20, 60);
   * if (!hit.allowed) return { status: 429, headers: { 'retry-after': String(hit.retryAfterSeconds) } };
   */
  hit(bucket: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; limit: number; remaining: number; retryAfterSeconds: number }>;
}

/** A document of an extension collection. */
export interface CollectionDocument {
  id: string;
  data: JsonObject;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** ISO 8601 timestamp. */
  updatedAt: string;
}

/** Condition on one field of a collection document. A bare value means `{ eq: value }`. */
export type FieldCondition =
  | JsonValue
  | {
      eq?: JsonValue;
      ne?: JsonValue;
      gt?: JsonValue;
      gte?: JsonValue;
      lt?: JsonValue;
      lte?: JsonValue;
      in?: JsonValue[];
    };

/** Query of {@link CollectionsApi.find}. */
export interface FindQuery extends PageOptions {
  /** Conditions keyed by field name or dotted path (`address.city`). A document must match all of them. */
  where?: Record<string, FieldCondition>;
  /** Sort keys, first one first. The default order is by document id. */
  orderBy?: Array<{ field: string; direction?: 'asc' | 'desc' }>;
}

/**
 * Where a collection call reads and writes:
 *
 * - `workspace` (default): the documents of the call's workspace, or the extension-level
 *   documents when the call has no workspace.
 * - `extension`: the extension-level documents, which calls without a workspace (public
 *   routes, install hooks) read and write freely. A call serving a workspace reaches only
 *   ids that start with `<workspace id>:`; the kernel rejects other ids with
 *   `permission_denied`, `find` returns only those documents, and `put` without an id
 *   generates one with that prefix. So members store settings that a public route of the
 *   same extension finds by id, and no workspace reads or overwrites another's.
 */
export interface CollectionScopeOptions {
  scope?: 'workspace' | 'extension';
}

/**
 * Extension collections: namespaced JSON documents with the indexes declared under
 * `collections` in the manifest, scoped to the extension and the workspace of the call
 * (see {@link CollectionScopeOptions} for the extension-level scope).
 * Every method rejects with `not_found` when the collection is not declared in the manifest.
 */
export interface CollectionsApi {
  /** Reads one document. Returns null when it does not exist. Needs `collections:read`. */
  get(collection: string, id: string, options?: CollectionScopeOptions): Promise<CollectionDocument | null>;
  /**
   * Inserts or replaces a document. Without `id` the kernel generates one. Needs
   * `collections:write`. Rejects with `conflict` when a unique index already has the values.
   */
  put(collection: string, document: { id?: string; data: JsonObject }, options?: CollectionScopeOptions): Promise<CollectionDocument>;
  /** Deletes a document. Resolves to whether it existed. Needs `collections:write`. */
  delete(collection: string, id: string, options?: CollectionScopeOptions): Promise<boolean>;
  /** Finds documents by field conditions. Pass `null` as `query` to give only options. Needs `collections:read`. */
  find(collection: string, query?: FindQuery | null, options?: CollectionScopeOptions): Promise<Page<CollectionDocument>>;
}

/** A vector with its id, metadata and source text. */
export interface VectorPoint {
  id: string;
  vector: number[];
  metadata?: JsonObject;
  /** Source text of the vector, returned with query matches. */
  content?: string;
}

/** A query match, best first. */
export interface VectorMatch {
  id: string;
  /**
   * Ranking score of the query's mode: similarity, MMR score, or fused rank score for
   * `hybrid`. Higher scores rank first.
   */
  score: number;
  /** Similarity to the query vector. Higher is closer, whatever the metric. */
  similarity: number;
  /** pgvector's raw distance to the query vector. */
  distance: number;
  metadata: JsonObject;
  content?: string;
  /** `hybrid` only: 1-based rank in the vector list and in the full-text list, or null where absent. */
  ranks?: { vector: number | null; text: number | null };
}

/** Query of {@link VectorsApi.query}. */
export interface VectorQuery {
  vector: number[];
  /** Number of matches to return, 1 to 100. */
  topK: number;
  /** Metadata keys and the JSON values they must equal (at most 16 keys). */
  filter?: JsonObject;
  /**
   * `similarity` (default): nearest neighbours. `mmr`: nearest `candidates` re-ranked by maximal
   * marginal relevance. `hybrid`: nearest `candidates` and full-text matches of `text`
   * (any word, PostgreSQL `english` configuration) fused by reciprocal rank.
   */
  mode?: 'similarity' | 'mmr' | 'hybrid';
  /** Query words for `hybrid`, at most 4,096 characters. */
  text?: string;
  /** MMR trade-off from 0 (diverse) to 1 (relevant). Default 0.5. */
  lambda?: number;
  /**
   * Number of candidates that `mmr` re-ranks or that each `hybrid` list contains, 1 to 500.
   * Default max(4 × topK, 40).
   */
  candidates?: number;
}

/**
 * Vector collections (pgvector), scoped to the extension and the workspace of the call.
 * The server's PostgreSQL needs the pgvector extension. Without it every method rejects
 * with `unavailable`.
 */
export interface VectorsApi {
  /**
   * Creates a collection of vectors with a fixed number of dimensions. Needs `vectors:write`.
   * Rejects with `conflict` when a collection of that name exists with other settings.
   */
  createCollection(name: string, options: { dimensions: number; metric?: 'cosine' | 'l2' | 'inner_product' }): Promise<void>;
  /**
   * Inserts or replaces points by id. Needs `vectors:write`. Rejects with `invalid_argument`
   * when a vector has the wrong number of dimensions, and `not_found` for a missing collection.
   */
  upsert(collection: string, points: VectorPoint[]): Promise<void>;
  /**
   * Returns the `topK` best points for `vector` whose metadata matches every `filter` key
   * exactly, ranked by `mode`. Needs `vectors:read`.
   */
  query(collection: string, query: VectorQuery): Promise<VectorMatch[]>;
  /** Deletes points by id. Resolves to the number deleted. Needs `vectors:write`. */
  delete(collection: string, ids: string[]): Promise<number>;
}

/** Request of {@link HttpApi.fetch}. */
export interface HttpRequest {
  /** HTTP method. Defaults to GET. */
  method?: string;
  headers?: Record<string, string>;
  /** Text body. Use `bodyBase64` for binary data, such as a multipart upload. */
  body?: string;
  /** Binary body as base64. Ignored when `body` is set. */
  bodyBase64?: string;
  /** Time limit of the whole request in milliseconds. The kernel caps it by the call's own limit. */
  timeoutMs?: number;
  /** Whether to follow redirects (default true). When false, a 3xx response is returned as it is. */
  followRedirects?: boolean;
  /**
   * When true, the fetch resolves as soon as the response headers arrive, with an empty
   * `body` and a `streamId`. Read the body with {@link HttpApi.read} as it arrives. The
   * time limit then covers the whole body, and unread streams are closed when the call that
   * opened them returns.
   */
  stream?: boolean;
  /**
   * Time the kernel waits before sending, in milliseconds (0 to 60 000), such as a retry
   * backoff, because sandboxes have no timers. Not counted in `timeoutMs`.
   */
  delayMs?: number;
  /**
   * Maximum response body size to accept, in bytes after decompression. The kernel caps it at
   * its own limit (MIFY_HTTP_MAX_RESPONSE_BYTES).
   */
  maxResponseBytes?: number;
}

/** Response of {@link HttpApi.fetch}. Non-2xx statuses resolve and do not reject. */
export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Body decoded as UTF-8. Empty for a streamed response. */
  body: string;
  /** Raw body as base64, set when the response is not text. */
  bodyBase64?: string;
  /** Stream id, set for a streamed response (`stream: true`). Pass it to {@link HttpApi.read}. */
  streamId?: string;
}

/** One piece of a streamed response body, as {@link HttpApi.read} returns it. */
export interface HttpStreamChunk {
  /** Text received since the previous read, for text content types. Empty ('') otherwise. */
  text: string;
  /** Bytes received since the previous read as base64, for other content types. */
  bodyBase64?: string;
  /** True when the body has ended. The stream is then closed and its id is no longer valid. */
  done: boolean;
}

/** Outgoing HTTP requests. */
export interface HttpApi {
  /**
   * Sends an HTTP request. Needs `http:fetch:<host>` for the URL's host, such as
   * `http:fetch:api.example.com` or `http:fetch:*.example.com`. Rejects with
   * `permission_denied` for any other host, `timeout` when `timeoutMs` passes, and
   * `network_error` when no response arrives (DNS failure, refused connection).
   */
  fetch(url: string, request?: HttpRequest): Promise<HttpResponse>;
  /**
   * Waits for more of a streamed response body (see `stream` in {@link HttpRequest}) and
   * returns everything received since the previous read. Needs no permission beyond the
   * fetch that opened the stream. Rejects with `not_found` for an unknown or finished
   * stream, `timeout` when the fetch's time limit passes, and `response_too_large` past the
   * kernel's response size limit.
   */
  read(streamId: string): Promise<HttpStreamChunk>;
}

/** A decrypted credential, handed out for the duration of one call. */
export interface Credential {
  /** Credential type id, such as `acme.crm-sync.api-key`. */
  type: string;
  /** Secret fields, shaped by the credential type's `fields` JSON Schema. */
  data: Record<string, JsonValue>;
}

/** Credentials from the workspace vault. Never log or return their data. */
export interface CredentialsApi {
  /**
   * Decrypts a credential by the reference a user chose in a node's parameters. Needs
   * `credentials:read`. Rejects with `not_found` when the reference does not resolve in the
   * workspace of the call.
   */
  get(reference: string): Promise<Credential>;
}

/** One message of a chat. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Tool calls the assistant requests (assistant messages only). */
  toolCalls?: Array<{ id: string; name: string; arguments: JsonObject }>;
  /** Id of the tool call this message replies to (tool messages only). */
  toolCallId?: string;
  /** Images sent with a user message, for vision models, with `data` in base64. */
  images?: Array<{ mimeType: string; data: string }>;
}

/** A tool the model may call, with its arguments described by JSON Schema. */
export interface ChatTool {
  name: string;
  description: string;
  parameters: JsonObject;
}

/** Request of {@link LlmApi.chat}. */
export interface ChatRequest {
  /** Provider id from a `providers` contribution. Defaults to the workspace's default provider. */
  provider?: string;
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  tools?: ChatTool[];
  /** `json` requests a single JSON object from the model. */
  responseFormat?: 'text' | 'json';
  /** JSON Schema the reply must follow. Implies `responseFormat: 'json'`. */
  responseSchema?: JsonObject;
  /** Tool choice: whether the model may, must or must not call tools, or which tool it must call. Default `auto`. */
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  /** Requests that the provider use the vendor's streaming API. */
  stream?: boolean;
  /** Credential reference (id or name) the provider reads its API key from. */
  credential?: string;
}

/** Token counts reported by the provider. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Response of {@link LlmApi.chat}. */
export interface ChatResponse {
  /** Model that produced the message, as the provider names it. */
  model: string;
  message: ChatMessage;
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';
  usage: TokenUsage;
}

/** Request of {@link LlmApi.embed}. */
export interface EmbedRequest {
  provider?: string;
  model: string;
  input: string[];
  /** Credential reference (id or name) the provider reads its API key from. */
  credential?: string;
}

/** Response of {@link LlmApi.embed}: one vector per input, in input order. */
export interface EmbedResponse {
  model: string;
  vectors: number[][];
  usage: { inputTokens: number };
}

/** The LLM provider gateway. Needs `llm:invoke` for every method. */
export interface LlmApi {
  /**
   * Sends a chat to a model. Rejects with `not_found` for an unknown provider or model,
   * `rate_limited` when the provider throttles, and `unavailable` when it cannot be reached.
   */
  chat(request: ChatRequest): Promise<ChatResponse>;
  /** Embeds texts. Rejects like `chat`. */
  embed(request: EmbedRequest): Promise<EmbedResponse>;
}

/** An event delivered to the `event` hook of a subscribed extension. */
export interface ExtensionEvent {
  topic: string;
  payload: JsonValue;
  /** Extension id of the publisher. */
  source: string;
  /** ISO 8601 timestamp. */
  publishedAt: string;
}

/** Events between extensions, within one workspace. */
export interface EventsApi {
  /** Publishes an event on a topic such as `acme.crm-sync.contact-updated`. Needs `events:publish`. */
  publish(topic: string, payload: JsonValue): Promise<void>;
  /**
   * Subscribes the extension to a topic. The kernel then calls the extension's `event` hook
   * with each {@link ExtensionEvent}. Subscribing twice has no further effect. Needs
   * `events:subscribe`.
   */
  subscribe(topic: string): Promise<void>;
}

/** Metadata of a stored file. */
export interface FileInfo {
  /** Relative path such as `exports/report.csv`. */
  path: string;
  mimeType: string;
  /** Size in bytes. */
  size: number;
  /** ISO 8601 timestamp. */
  updatedAt: string;
}

/**
 * File storage, scoped to the extension and the workspace of the call. Paths are relative
 * and use `/`. Every method rejects with `invalid_argument` for an absolute path or one
 * containing `..`.
 */
export interface FilesApi {
  /** Reads a file as base64. Needs `files:read`. Rejects with `not_found` when it is missing. */
  read(path: string): Promise<FileInfo & { dataBase64: string }>;
  /** Writes a file, replacing any earlier one. Needs `files:write`. */
  write(path: string, file: { dataBase64: string; mimeType?: string }): Promise<FileInfo>;
  /** Lists files whose path starts with `prefix`. Needs `files:read`. */
  list(options?: PageOptions & { prefix?: string }): Promise<Page<FileInfo>>;
  /** Deletes a file. Resolves to whether it existed. Needs `files:write`. */
  delete(path: string): Promise<boolean>;
}

/** A graph in a list, without its nodes and edges. */
export interface GraphSummary {
  id: string;
  name: string;
  /** ISO 8601 timestamp. */
  updatedAt: string;
}

/** Graphs of the workspace of the call. */
export interface GraphsApi {
  /**
   * Reads a graph: its draft, or a published version when `version` is given. Needs
   * `graphs:read`. Rejects with `not_found` when the graph or version does not exist.
   */
  get(id: string, options?: { version?: number }): Promise<MifyGraph>;
  /** Lists graphs, most recently updated first. Needs `graphs:read`. */
  list(options?: PageOptions): Promise<Page<GraphSummary>>;
}

/** State of a run. */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

/** A run of a graph. */
export interface RunRecord {
  id: string;
  graphId: string;
  status: RunStatus;
  /** ISO 8601 timestamps. Null until the run starts or finishes. */
  startedAt: string | null;
  finishedAt: string | null;
  /** Message of the error that failed the run. */
  error?: string;
  /** Usage the steps reported (`tokens`, `inputTokens`, `outputTokens`, `costUsd`), summed over the run. */
  usage?: Record<string, number>;
}

/** Runs of graphs in the workspace of the call. */
export interface RunsApi {
  /**
   * Starts a run of a graph's published version with `items` as the input of its trigger.
   * Needs `runs:start`. Calls with the same `idempotencyKey` start one run and resolve to it,
   * also after a kernel crash between the two. Outside a workspace (a public route), pass a
   * `grant` from {@link RunsApi.grant}. Rejects with `not_found` when the graph does not exist
   * and `invalid_grant` for a grant of another graph.
   */
  start(graphId: string, options?: { items?: Item[]; idempotencyKey?: string; grant?: string }): Promise<RunRecord>;
  /**
   * Reads a run, with the output items of a succeeded run. With `waitMs` (at most 30 000) it
   * reads again until the run has finished or that time has passed. Outside a workspace, a
   * `grant` reads the runs of its graph. Needs `runs:read`. Rejects with `not_found` when it
   * does not exist.
   */
  get(runId: string, options?: { grant?: string; waitMs?: number }): Promise<RunRecord & { output?: Item[] }>;
  /**
   * Creates a grant with which this extension starts and reads runs of one graph of the
   * caller's workspace from calls outside a workspace, such as a public route. Call it while
   * serving a member of the workspace and store the grant. Needs `runs:start`.
   */
  grant(graphId: string): Promise<{ grant: string }>;
  /**
   * Reports partial output of the step being executed, such as the text a model has written
   * so far, as a `step.progress` event `{ nodeId, stepId, delta }` of the run. Needs no
   * permission, because it reaches only the caller's own step. Resolves to
   * `{ recorded: false }` when the call belongs to no step (a route, a hook), when a
   * provider was called without `stream: true`, or past the kernel's limit of events per
   * step. Rejects with `invalid_argument` for a delta over 64 KiB.
   */
  progress(delta: string): Promise<{ recorded: boolean }>;
  /**
   * Stores entries with the step being executed, such as an agent's thoughts, tool calls and
   * observations. `GET /api/runs/:id` and the run history return them in order as the step's
   * `trace`, each with `seq` order and `at`, the time the kernel stored it. Each entry is a
   * JSON object with a `type` (1 to 64 characters) and at most 64 KiB of JSON. Needs no
   * permission, because it reaches only the caller's own step. Resolves to
   * `{ recorded: 0, dropped: 0 }` when the call belongs to no step. A step keeps at most 2,000
   * entries, and later ones are counted in `dropped`. Rejects with `invalid_argument` for more
   * than 100 entries in one call or an entry without `type`.
   *
   * @example
   * await ctx.host.runs.trace([{ type: 'tool_call', tool: 'search', arguments: { q: 'mify' } }]);
   */
  trace(entries: Array<{ type: string } & JsonObject>): Promise<{ recorded: number; dropped: number }>;
  /**
   * Waits until a run of the workspace has finished (succeeded, failed or cancelled) and
   * resolves to it, with `output` (its output items as recorded) when it succeeded, and
   * `outputTruncated` when the record keeps only a preview. When `timeoutMs` (default 60 000,
   * at most 300 000) passes first, resolves to the unfinished run. The sandbox call's own time
   * limit still applies. Needs `runs:read`. Rejects with `not_found` for a run of another
   * workspace.
   *
   * @example
   * const run = await ctx.host.runs.start(graphId, { items: [{ json: { city: 'Oslo' } }] });
   * const done = await ctx.host.runs.wait(run.id, { timeoutMs: 20_000 });
   */
  wait(runId: string, options?: { timeoutMs?: number }): Promise<RunRecord & { output?: Item[]; outputTruncated?: boolean }>;
}

/** A published graph as programs call it: its slug, access rule, schemas and live version. */
export interface PublishedEndpoint {
  graphId: string;
  slug: string;
  name: string;
  description: string;
  /** `api-key`: callers send a workspace API key. `public`: anyone may call. */
  auth: 'api-key' | 'public';
  /** The live published version, or null when the graph has none (drafts and archived versions never answer). */
  publishedVersion: { id: string; version: number } | null;
  /** JSON Schema of the input object (see docs/publishing.md for where it comes from). */
  inputSchema: JsonObject;
  /** JSON Schema of the output a synchronous call returns. */
  outputSchema: JsonObject;
  /** Rate limit of calls to this graph: per API key, or per client address for public calls without a key. */
  rateLimit: { limit: number; windowSeconds: number; scope: 'api-key' | 'ip' };
  /** Time a synchronous call waits for the run, in milliseconds. */
  timeoutMs: number;
  workspaceId: string;
}

/** Options of {@link EndpointsApi.get} and {@link EndpointsApi.invoke}. */
export interface EndpointLookupOptions {
  /**
   * Workspace slug or id, for a call without an API key or session, when several workspaces
   * publish a public graph with the same slug. Ignored when the caller has a workspace.
   */
  workspace?: string;
}

/** An error of {@link EndpointsApi.invoke}, shaped as an RFC 9457 problem. */
export interface EndpointProblem {
  status: number;
  /** Stable code, such as `endpoint_not_found` or `rate_limited`. */
  code: string;
  title: string;
  detail: string;
  /** Seconds to wait, for status 429. */
  retryAfterSeconds?: number;
  /** Input problems by JSON path, for status 422. */
  errors?: Array<{ path: string; message: string }>;
  /** Run the call started, when the problem is about its outcome. */
  runId?: string;
}

/** Result of {@link EndpointsApi.invoke}. */
export type EndpointInvokeResult =
  | {
      ok: true;
      runId: string;
      /** Run status: `succeeded` for a finished synchronous call, `queued` or `running` otherwise. */
      status: string;
      /** True when `wait` was set and the run had not finished within the endpoint's timeout. */
      timedOut: boolean;
      /**
       * False when the graph's `settings.endpoint.runSaving` keeps no record of this run, so
       * `result(runId)` will resolve to null. For a run that is still going, it is whether a
       * successful end would be saved.
       */
      saved: boolean;
      /** The graph's response, for a finished run: a respond-to-webhook node's response, else the output items' JSON. */
      response?: { statusCode: number; headers: Record<string, string>; body: JsonValue };
      endpoint: PublishedEndpoint;
    }
  | { ok: false; problem: EndpointProblem };

/**
 * Published graphs of the caller's workspace, as programs reach them. With no workspace
 * (a public request without an API key) only graphs whose endpoint auth is `public` are seen.
 */
export interface EndpointsApi {
  /** Lists the graphs that have a slug and a published version. Needs `endpoints:read`. */
  list(options?: PageOptions & EndpointLookupOptions): Promise<Page<PublishedEndpoint>>;
  /** Finds a graph by slug. Resolves to null when no graph visible to the caller has it. Needs `endpoints:read`. */
  get(slug: string, options?: EndpointLookupOptions): Promise<PublishedEndpoint | null>;
  /**
   * Checks the caller's access and rate limit, validates `input` against the input schema,
   * and starts a run of the live version; with `wait`, waits for its response up to the
   * endpoint's timeout. Every refusal resolves as `{ ok: false, problem }` with an HTTP
   * status (401, 404, 422, 429, 500), so the caller can answer in its own protocol.
   * Needs `endpoints:run`.
   */
  invoke(slug: string, request: { input: JsonValue; wait?: boolean } & EndpointLookupOptions): Promise<EndpointInvokeResult>;
  /**
   * Reads a run that `invoke` started: its status and, once finished, the graph's response
   * or the problem. Resolves to null for a run the caller cannot see (runs of other
   * workspaces, except those of public graphs). Needs `endpoints:run`.
   */
  result(runId: string): Promise<EndpointRunResult | null>;
}

/** Result of {@link EndpointsApi.result}. */
export interface EndpointRunResult {
  runId: string;
  slug: string;
  status: string;
  finished: boolean;
  response?: { statusCode: number; headers: Record<string, string>; body: JsonValue };
  problem?: EndpointProblem;
}

/** Query of {@link KnowledgeApi.search}. */
export interface KnowledgeSearchQuery {
  /** What to look for, 1 to 4,096 characters. */
  query: string;
  /** `similarity` (default), `mmr` or `hybrid`, as in {@link VectorQuery}. */
  mode?: 'similarity' | 'mmr' | 'hybrid';
  /** Number of results, 1 to 50 (default 5). */
  topK?: number;
  /** Metadata keys (such as `documentId`) and the JSON values they must equal. */
  filters?: JsonObject;
  /** MMR trade-off from 0 (diverse) to 1 (relevant). Default 0.5. */
  lambda?: number;
  /** Candidates that `mmr` re-ranks or that each `hybrid` list contains. */
  candidates?: number;
  /** Reorders the results with the local lexical reranker of mify.rag. Default false. */
  rerank?: boolean;
}

/** One result of {@link KnowledgeApi.search}, best first. */
export interface KnowledgeSearchResult {
  chunkId: string;
  documentId: string | null;
  /** Ranking score of the mode, or the rerank score with `rerank`. Higher first. */
  score: number;
  similarity: number;
  text: string;
  metadata: JsonObject;
}

/** The workspace's knowledge bases (`/api/knowledge-bases`), read-only. */
export interface KnowledgeApi {
  /**
   * Searches a knowledge base of the workspace of the call: embeds the query with the base's
   * embedder and retrieves its best chunks. Needs `knowledge:read`. Rejects with `not_found`
   * for a knowledge base of another workspace, and `unavailable` without pgvector.
   *
   * @example
   * const { results } = await ctx.host.knowledge.search('kb_123', { query: 'refund policy', topK: 3 });
   */
  search(knowledgeBaseId: string, query: KnowledgeSearchQuery): Promise<{ query: string; mode: string; results: KnowledgeSearchResult[] }>;
}

/** Request of {@link CodeApi.run}. */
export interface CodeRunRequest {
  /** Body of a JavaScript function, such as `return items.length;`. */
  source: string;
  /** Parameter names of the function body, such as `['items']`. */
  parameterNames?: string[];
  /**
   * One argument list per call of the function, and one result per list. Arguments must be
   * JSON values, such as items. They are typed `unknown` so that item objects need no cast.
   */
  calls: unknown[][];
  /** Time limit of all calls together, in milliseconds (default 1000, at most 30 000). */
  timeoutMs?: number;
  /** Heap limit of the code's isolate, in MiB (default 32, 8 to 128). */
  memoryLimitMb?: number;
}

/** Result of {@link CodeApi.run}. */
export interface CodeRunResult {
  /** One JSON value per entry of `calls`, in order. */
  results: JsonValue[];
  /** Console lines the code wrote, at most 100. */
  logs: string[];
  /** Console lines dropped past that limit. */
  droppedLogLines: number;
}

/** Execution of user code in a fresh isolate of its own, with its own memory and time limits. */
export interface CodeApi {
  /**
   * Runs a function body once per argument list. Needs `code:run`. Rejects with
   * `code_syntax_error`, `code_threw`, `code_timeout`, `code_memory` or
   * `code_invalid_result` (a result that is not plain JSON), with `line` and `column` in
   * the error's details when known.
   */
  run(request: CodeRunRequest): Promise<CodeRunResult>;
}

/**
 * The kernel's public demo workspace, which runs starter templates for anonymous callers.
 * Both methods need `demo:run`, so only an extension that declares it can start runs that
 * no workspace member pays for, and reject with `demo_disabled` (404) unless the operator
 * sets MIFY_DEMO_RUNNER=true.
 */
export interface DemoApi {
  /**
   * Returns a run grant for the demo graph of a starter template, created with the demo
   * workspace on first use. Use the grant with `runs.start`, `runs.get` and a route's
   * `stream`. Rejects with `template_not_found` (404) for an id that is not a starter template.
   */
  prepare(templateId: string): Promise<{ grant: string; graphId: string; estimatedTokens: number }>;
  /** Returns the operator's token settings: `dailyTokens` for all demo runs per UTC day, and `minTokensPerRun`. */
  settings(): Promise<{ dailyTokens: number; minTokensPerRun: number }>;
}

/** The host API on `ctx.host`. */
export interface HostApi {
  /**
   * Calls a host method by its dotted name with an array of JSON arguments. The namespace
   * methods below are shortcuts for this call.
   *
   * @example
   * const value = await ctx.host.call('kv.get', ['last-sync']);
   */
  call(method: HostMethod | (string & {}), args: JsonValue[]): Promise<unknown>;
  kv: KvApi;
  limits: LimitsApi;
  collections: CollectionsApi;
  vectors: VectorsApi;
  http: HttpApi;
  credentials: CredentialsApi;
  llm: LlmApi;
  events: EventsApi;
  files: FilesApi;
  graphs: GraphsApi;
  runs: RunsApi;
  demo: DemoApi;
  code: CodeApi;
  knowledge: KnowledgeApi;
  endpoints: EndpointsApi;
}

/**
 * The permission each host method needs. `http.fetch` needs an `http:fetch:<host>`
 * permission that matches the URL (see `isFetchAllowed`), so its entry is the prefix.
 * Null marks a method that needs none: `http.read` reads only streams the caller's own
 * fetches opened, and `runs.progress` and `runs.trace` reach only the caller's own step.
 */
export const HOST_METHOD_PERMISSIONS = {
  'kv.get': 'kv:read',
  'kv.set': 'kv:write',
  'kv.delete': 'kv:write',
  'kv.list': 'kv:read',
  'kv.increment': 'kv:write',
  'limits.hit': 'kv:write',
  'collections.get': 'collections:read',
  'collections.put': 'collections:write',
  'collections.delete': 'collections:write',
  'collections.find': 'collections:read',
  'vectors.createCollection': 'vectors:write',
  'vectors.upsert': 'vectors:write',
  'vectors.query': 'vectors:read',
  'vectors.delete': 'vectors:write',
  'http.fetch': 'http:fetch:',
  'http.read': null,
  'credentials.get': 'credentials:read',
  'llm.chat': 'llm:invoke',
  'llm.embed': 'llm:invoke',
  'events.publish': 'events:publish',
  'events.subscribe': 'events:subscribe',
  'files.read': 'files:read',
  'files.write': 'files:write',
  'files.list': 'files:read',
  'files.delete': 'files:write',
  'graphs.get': 'graphs:read',
  'graphs.list': 'graphs:read',
  'runs.start': 'runs:start',
  'runs.get': 'runs:read',
  'runs.grant': 'runs:start',
  'demo.prepare': 'demo:run',
  'demo.settings': 'demo:run',
  'runs.progress': null,
  'runs.trace': null,
  'runs.wait': 'runs:read',
  'code.run': 'code:run',
  'knowledge.search': 'knowledge:read',
  'endpoints.list': 'endpoints:read',
  'endpoints.get': 'endpoints:read',
  'endpoints.invoke': 'endpoints:run',
  'endpoints.result': 'endpoints:run',
} as const satisfies Record<string, Permission | null>;

/** Dotted name of a host method, such as `kv.get`. */
export type HostMethod = keyof typeof HOST_METHOD_PERMISSIONS;

/** Every host method name, in the order of {@link HOST_METHOD_PERMISSIONS}. */
export const HOST_METHODS = Object.keys(HOST_METHOD_PERMISSIONS) as HostMethod[];
