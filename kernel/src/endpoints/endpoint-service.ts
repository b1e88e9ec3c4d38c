import { newId } from '../auth/tokens.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createDraft2020Validator, lazily } from '../infra/json-schema-validators.js';
import { roleAllows, type Role } from '../auth/roles.js';
import type { GraphRunService, ResolvedDefinition } from '../graphs/graph-runs.js';
import { mifyGraphSchema, type Item, type MifyGraph } from '../graphs/model.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { RunService } from '../runtime/run-service.js';
import type { RunRecord, StepRow } from '../runtime/run-store.js';
import type { Database } from '../storage/database.js';
import { RESPOND_NODE_TYPE, RESPONSE_PORT, webhookResponseSchema } from '../webhooks/webhook-nodes.js';
import {
  DEFAULT_ENDPOINT_RATE_LIMIT,
  DEFAULT_ENDPOINT_TIMEOUT_MS,
  DEFAULT_ENDPOINT_WINDOW_SECONDS,
  endpointShape,
  readEndpointSettings,
  type EndpointSettings,
  type EndpointShape,
  type RunSaving,
} from './endpoint-schemas.js';

/** Caller of an endpoint, as the HTTP layer authenticated the request. */
export interface EndpointCaller {
  /** Workspace of the caller's API key or session; null for an anonymous request. */
  workspaceId: string | null;
  apiKeyId: string | null;
  userId: string | null;
  role: Role | null;
  clientIp: string | null;
}

/** A published graph as programs call it (the SDK's PublishedEndpoint). */
export interface PublishedEndpoint {
  graphId: string;
  slug: string;
  name: string;
  description: string;
  auth: 'api-key' | 'public';
  publishedVersion: { id: string; version: number } | null;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  rateLimit: { limit: number; windowSeconds: number; scope: 'api-key' | 'ip' };
  timeoutMs: number;
  workspaceId: string;
}

/** A refusal or failure of an endpoint call, shaped as an RFC 9457 problem. */
export interface EndpointProblem {
  status: number;
  code: string;
  title: string;
  detail: string;
  retryAfterSeconds?: number;
  errors?: Array<{ path: string; message: string }>;
  runId?: string;
}

export type EndpointInvokeResult =
  | { ok: true; runId: string; status: string; timedOut: boolean; saved: boolean; response?: { statusCode: number; headers: Record<string, string>; body: unknown }; endpoint: PublishedEndpoint }
  | { ok: false; problem: EndpointProblem };

/** Outcome of a run started by an endpoint call (the SDK's EndpointRunResult). */
export interface EndpointRunResult {
  runId: string;
  slug: string;
  status: string;
  finished: boolean;
  response?: { statusCode: number; headers: Record<string, string>; body: unknown };
  problem?: EndpointProblem;
}

const FINISHED_RUN_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);

interface GraphRow {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  slug: string;
  settings: Record<string, unknown> | null;
  endpoint_auth: string;
  version_id: string | null;
  version_number: number | null;
}

interface CompiledVersion {
  graph: MifyGraph;
  settings: EndpointSettings;
  /** Reason the stored `settings.endpoint` is invalid, or null. */
  settingsProblem: string | null;
  shape: EndpointShape;
  validate: ValidateFunction | null;
  schemaProblem: string | null;
}

/** Compiled definitions kept in memory, by version id and endpoint settings. */
const MAX_CACHED_VERSIONS = 500;
/**
 * How long a graph found by slug is reused without asking the database, in milliseconds.
 * Changes made through this kernel process, or through another one that shares its pub/sub
 * (Redis), clear the cached graphs at once. The time limits how long any other change takes
 * to be seen, such as one from a process without shared pub/sub, or a deleted workspace.
 */
export const FOUND_TTL_MS = 1_000;
/** Pub/sub channel on which kernel processes announce graph changes, so each clears its cached graphs. */
export const ENDPOINT_CHANGES_CHANNEL = 'endpoints:graphs-changed';
const MAX_FOUND_GRAPHS = 10_000;
const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error' };

function problem(status: number, code: string, detail: string, extra: Partial<EndpointProblem> = {}): { ok: false; problem: EndpointProblem } {
  return { ok: false, problem: { status, code, title: TITLES[status] ?? 'Error', detail, ...extra } };
}

const GRAPH_COLUMNS = `g.id, g.workspace_id, g.name, g.description, g.slug, g.settings, g.endpoint_auth, v.id as version_id, v.number as version_number`;
const LIVE_VERSION_JOIN = `left join lateral (select id, number from graph_versions where graph_id = g.id and status = 'published' order by published_at desc, number desc limit 1) v on true`;

/**
 * Publishes graphs to programs: finds a graph by slug in the caller's workspace (or a public
 * one), describes it with JSON Schemas, and runs its live version with the checks every
 * protocol shares: access, per-caller rate limit, input schema, and a bounded wait.
 */
export class EndpointService {
  private readonly compiled = new Map<string, CompiledVersion>();
  /** Graphs found by slug, by caller workspace, slug and workspace option; see FOUND_TTL_MS. */
  private readonly found = new Map<string, { row: GraphRow; until: number }>();
  private readonly ajv = lazily(() => createDraft2020Validator());

  constructor(
    private readonly deps: {
      db: Database;
      logger: Logger;
      sharedState: SharedState;
      graphRuns: () => GraphRunService;
      runService: () => RunService;
    },
  ) {}

  /** Lists graphs with a slug and a live version: the caller's workspace, or the public ones of `workspace` for an anonymous caller. */
  async list(caller: EndpointCaller, options: { cursor?: string; limit: number; workspace?: string }): Promise<{ data: PublishedEndpoint[]; nextCursor: string | null }> {
    const params: unknown[] = [];
    const where: string[] = ['g.slug is not null', 'v.id is not null'];
    if (caller.workspaceId) {
      params.push(caller.workspaceId);
      where.push(`g.workspace_id = $${params.length}`);
    } else {
      where.push(`g.endpoint_auth = 'public'`);
      if (options.workspace) {
        params.push(options.workspace);
        where.push(`g.workspace_id in (select id from workspaces where id = $${params.length} or slug = $${params.length})`);
      }
    }
    if (options.cursor) {
      params.push(options.cursor);
      where.push(`g.slug > $${params.length}`);
    }
    params.push(options.limit + 1);
    const rows = await this.deps.db.query<GraphRow>(`select ${GRAPH_COLUMNS} from graphs g ${LIVE_VERSION_JOIN} where ${where.join(' and ')} order by g.slug limit $${params.length}`, params);

    const page = rows.slice(0, options.limit);
    const data: PublishedEndpoint[] = [];
    for (const row of page) data.push(this.describe(row, await this.compile(row)));
    return { data, nextCursor: rows.length > options.limit ? page[page.length - 1]!.slug : null };
  }

  /** Describes a graph by slug, or returns null when the caller cannot see one. */
  async get(caller: EndpointCaller, slug: string, options: { workspace?: string } = {}): Promise<PublishedEndpoint | null> {
    const found = await this.find(caller, slug, options);
    if (!found.row) return null;
    return this.describe(found.row, found.row.version_id ? await this.compile(found.row) : null);
  }

  /**
   * Runs the live version of a graph for a caller. Every refusal resolves as a problem with
   * its HTTP status: 401 (an API key is needed), 403 (the key's role cannot run graphs), 404
   * (unknown slug, or no published version), 409 (a public slug in several workspaces), 422
   * (input against the schema), 429 (rate limit), 500 (the run failed).
   */
  async invoke(caller: EndpointCaller, slug: string, request: { input: unknown; wait: boolean; workspace?: string }): Promise<EndpointInvokeResult> {
    const found = await this.find(caller, slug, request);
    if (found.problem) return { ok: false, problem: found.problem };
    const row = found.row!;
    if (!row.version_id) return problem(404, 'endpoint_not_published', `Graph '${slug}' has no published version, so it does not answer; publish it with POST /api/graphs/${row.id}/publish. Drafts and archived versions never answer.`);

    const inCallerWorkspace = caller.workspaceId === row.workspace_id;
    if (inCallerWorkspace && caller.role && !roleAllows(caller.role, 'write')) {
      return problem(403, 'forbidden', `The API key's role '${caller.role}' cannot run graphs; use a key with the editor role or higher.`);
    }

    const compiled = await this.compile(row);
    const endpoint = this.describe(row, compiled);
    const limited = await this.hitRateLimit(caller, endpoint);
    if (limited) return limited;

    if (compiled.settingsProblem) return problem(500, 'endpoint_invalid_settings', `The endpoint settings of graph '${slug}' are invalid: ${compiled.settingsProblem}. Fix settings.endpoint with PUT /api/graphs/${row.id}.`);
    if (compiled.schemaProblem) return problem(500, 'endpoint_invalid_schema', `The input schema of graph '${slug}' is not a valid JSON Schema: ${compiled.schemaProblem}. Fix settings.endpoint.inputSchema or the trigger's inputSchema.`);
    if (typeof request.input !== 'object' || request.input === null || Array.isArray(request.input)) {
      return problem(422, 'invalid_input', `The input of '${slug}' must be a JSON object, got ${Array.isArray(request.input) ? 'an array' : request.input === null ? 'null' : typeof request.input}.`, { errors: [{ path: '$', message: 'expected an object' }] });
    }
    if (compiled.validate && !compiled.validate(request.input)) {
      const errors = (compiled.validate.errors ?? []).slice(0, 20).map((error) => ({ path: `$${error.instancePath.replace(/\//g, '.')}`, message: error.message ?? 'is invalid' }));
      return problem(422, 'invalid_input', `The input does not match the input schema of '${slug}': ${errors.map((error) => `${error.path} ${error.message}`).join('; ')}. The schema is in GET /api/workflow-endpoints/${slug}/openapi.json.`, { errors });
    }

    const item = this.inputItem(compiled.shape, slug, request.input as Record<string, unknown>);
    const saving = compiled.settings.runSaving ?? 'durable';
    if (request.wait && saving !== 'durable') return this.invokeDirect(caller, row, compiled, endpoint, item, saving);

    let run: RunRecord;
    try {
      run = await this.deps.graphRuns().start({ workspaceId: row.workspace_id, graphId: row.id, version: row.version_number!, definition: this.definitionOf(row, compiled), input: [item], mode: 'endpoint', createdBy: caller.apiKeyId ?? caller.userId, wait: false });
    } catch (error) {
      const failure = error as { status?: number; code?: string; message?: string };
      if (typeof failure.status === 'number' && failure.status < 500) return problem(failure.status === 422 ? 500 : failure.status, failure.code ?? 'run_not_started', `The published version of '${slug}' could not start: ${failure.message}`);
      throw error;
    }
    if (!request.wait) return { ok: true, runId: run.id, status: run.status, timedOut: false, saved: true, endpoint };

    const finished = await this.waitFor(row.workspace_id, run.id, endpoint.timeoutMs);
    if (!finished) return { ok: true, runId: run.id, status: 'running', timedOut: true, saved: true, endpoint };
    const response = await this.responseOf(finished, compiled.shape);
    if (!response.ok) return response;
    return { ok: true, runId: run.id, status: finished.status, timedOut: false, saved: true, response: response.response, endpoint };
  }

  /** Returns the published version a call runs, in the form the graph run service takes. */
  private definitionOf(row: GraphRow, compiled: CompiledVersion): ResolvedDefinition {
    return { graph: compiled.graph, versionId: row.version_id, versionNumber: row.version_number, label: `version ${row.version_number}` };
  }

  /**
   * Runs the live version in this process, without a journal, and keeps its records according
   * to the graph's `runSaving`. When the endpoint's timeout passes first, the call gets the
   * same timed-out result as a durable one, and the run goes on. Its records are saved when it
   * ends, if at all, so the returned run id may never be readable.
   */
  private async invokeDirect(caller: EndpointCaller, row: GraphRow, compiled: CompiledVersion, endpoint: PublishedEndpoint, item: Item, saving: Exclude<RunSaving, 'durable'>): Promise<EndpointInvokeResult> {
    const definition = this.definitionOf(row, compiled);
    const runId = newId('run');
    const running = this.deps.graphRuns().runDirect({ runId, workspaceId: row.workspace_id, graphId: row.id, definition, input: [item], mode: 'endpoint', createdBy: caller.apiKeyId ?? caller.userId, saving });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), endpoint.timeoutMs);
    });
    let result: Awaited<typeof running> | null;
    try {
      result = await Promise.race([running, timeout]);
    } catch (error) {
      const failure = error as { status?: number; code?: string; message?: string };
      if (typeof failure.status === 'number' && failure.status < 500) return problem(failure.status === 422 ? 500 : failure.status, failure.code ?? 'run_not_started', `The published version of '${row.slug}' could not start: ${failure.message}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (!result) {
      running.catch((error: unknown) => this.deps.logger.error({ err: error, slug: row.slug }, 'a direct endpoint run failed after its call timed out'));
      return { ok: true, runId, status: 'running', timedOut: true, saved: saving === 'all', endpoint };
    }
    const response = await this.responseOf(result.run, compiled.shape, result.steps);
    if (!response.ok && !result.saved) {
      const error = result.run.error;
      const detail = `Run ${result.run.id} ended with status '${result.run.status}' (error code ${error?.code ?? 'unknown'}${error?.nodeName ? ` at node '${error.nodeName}'` : ''}: ${error?.message ?? 'no message'}). The run was not saved, because the graph sets settings.endpoint.runSaving to '${saving}'; set it to 'failed' or 'all' to keep failed runs.`;
      return { ok: false, problem: { ...response.problem, detail } };
    }
    if (!response.ok) return response;
    return { ok: true, runId: result.run.id, status: result.run.status, timedOut: false, saved: result.saved, response: response.response, endpoint };
  }

  /**
   * Reads the outcome of a run that an endpoint call started: its status and, once it has
   * finished, the graph's response or the problem. Returns null for a run the caller cannot
   * see: runs of the caller's workspace, and runs of public graphs, are visible.
   */
  async result(caller: EndpointCaller, runId: string): Promise<EndpointRunResult | null> {
    const [row] = await this.deps.db.query<GraphRow & { run_status: string; mode: string }>(
      `select g.id, g.workspace_id, g.name, g.description, g.slug, g.settings, g.endpoint_auth, r.version_id, v.number as version_number, r.status as run_status, r.mode
       from runs r join graphs g on g.id = r.graph_id left join graph_versions v on v.id = r.version_id where r.id = $1`,
      [runId],
    );
    if (!row || row.mode !== 'endpoint' || !row.version_id) return null;
    if (row.workspace_id !== caller.workspaceId && row.endpoint_auth !== 'public') return null;

    const base = { runId, slug: row.slug, status: row.run_status };
    if (!FINISHED_RUN_STATUSES.has(row.run_status)) return { ...base, finished: false };
    const run = await this.deps.runService().get(row.workspace_id, runId);
    const outcome = await this.responseOf(run, (await this.compile(row)).shape, run.steps);
    return outcome.ok ? { ...base, finished: true, response: outcome.response } : { ...base, finished: true, problem: outcome.problem };
  }

  /**
   * Clears the graphs cached by slug. The kernel calls it when a graph is created, changed,
   * published, archived or deleted, in this process or (through pub/sub) in another one.
   */
  forgetGraphs(): void {
    this.found.clear();
  }

  /** Looks a graph up like `lookUp`, and caches found graphs for FOUND_TTL_MS. Refusals are not cached. */
  private async find(caller: EndpointCaller, slug: string, options: { workspace?: string }): Promise<{ row: GraphRow | null; problem: EndpointProblem | null }> {
    const key = `${caller.workspaceId ?? ''}\n${slug}\n${options.workspace ?? ''}`;
    const now = Date.now();
    const kept = this.found.get(key);
    if (kept && kept.until > now) return { row: kept.row, problem: null };

    const result = await this.lookUp(caller, slug, options);
    if (result.row) {
      if (this.found.size >= MAX_FOUND_GRAPHS) this.found.clear();
      this.found.set(key, { row: result.row, until: now + FOUND_TTL_MS });
    }
    return result;
  }

  private async lookUp(caller: EndpointCaller, slug: string, options: { workspace?: string }): Promise<{ row: GraphRow | null; problem: EndpointProblem | null }> {
    const notFound = (): EndpointProblem => ({
      status: 404,
      code: 'endpoint_not_found',
      title: 'Not Found',
      detail: `No published graph has the slug '${slug}'${caller.workspaceId ? ' in your workspace, and no public one has it' : ' among public graphs'}. Check the slug, or set it on the graph with PUT /api/graphs/:id and publish the graph.`,
    });

    if (caller.workspaceId) {
      const [own] = await this.deps.db.query<GraphRow>(`select ${GRAPH_COLUMNS} from graphs g ${LIVE_VERSION_JOIN} where g.workspace_id = $1 and g.slug = $2`, [caller.workspaceId, slug]);
      if (own) return { row: own, problem: null };
    }

    const params: unknown[] = [slug];
    let workspaceFilter = '';
    if (options.workspace) {
      params.push(options.workspace);
      workspaceFilter = ` and g.workspace_id in (select id from workspaces where id = $2 or slug = $2)`;
    }
    const rows = await this.deps.db.query<GraphRow>(`select ${GRAPH_COLUMNS} from graphs g ${LIVE_VERSION_JOIN} where g.slug = $1${workspaceFilter} and v.id is not null limit 20`, params);
    const publicRows = rows.filter((row) => row.endpoint_auth === 'public');
    if (publicRows.length === 1) return { row: publicRows[0]!, problem: null };
    if (publicRows.length > 1) {
      return { row: null, problem: { status: 409, code: 'endpoint_ambiguous', title: 'Conflict', detail: `${publicRows.length} workspaces publish a public graph with the slug '${slug}'; name the workspace with the query parameter ?workspace=<workspace slug>.` } };
    }
    if (rows.length > 0 && !caller.workspaceId) {
      return { row: null, problem: { status: 401, code: 'unauthorized', title: 'Unauthorized', detail: `Graph '${slug}' needs an API key: send Authorization: Bearer <API key> of its workspace. Create one with \`mify api-key create\` or on the API keys page.` } };
    }
    return { row: null, problem: notFound() };
  }

  private async compile(row: GraphRow): Promise<CompiledVersion> {
    const { settings, problem: settingsProblem } = readEndpointSettings(row.settings ?? {});
    // Keyed by the stored value, not the parsed one: an invalid value parses to the defaults and must not share their entry.
    const key = `${row.version_id}:${JSON.stringify(row.settings?.endpoint ?? null)}`;
    const cached = this.compiled.get(key);
    if (cached) return cached;

    const [stored] = await this.deps.db.query<{ definition: unknown }>('select definition from graph_versions where id = $1', [row.version_id]);
    const graph = mifyGraphSchema.parse(stored?.definition ?? { name: row.name, nodes: [], edges: [] });
    const shape = endpointShape(graph, settings);
    let validate: ValidateFunction | null = null;
    let schemaProblem: string | null = null;
    try {
      validate = this.ajv().compile(shape.inputSchema);
    } catch (error) {
      schemaProblem = (error as Error).message;
    }

    const entry = { graph, settings, settingsProblem, shape, validate, schemaProblem };
    if (this.compiled.size >= MAX_CACHED_VERSIONS) this.compiled.delete(this.compiled.keys().next().value!);
    this.compiled.set(key, entry);
    return entry;
  }

  private describe(row: GraphRow, compiled: CompiledVersion | null): PublishedEndpoint {
    const { settings } = readEndpointSettings(row.settings ?? {});
    const auth = row.endpoint_auth === 'public' ? 'public' : 'api-key';
    return {
      graphId: row.id,
      slug: row.slug,
      name: row.name,
      description: row.description,
      auth,
      publishedVersion: row.version_id ? { id: row.version_id, version: row.version_number! } : null,
      inputSchema: compiled?.shape.inputSchema ?? { type: 'object' },
      outputSchema: compiled?.shape.outputSchema ?? {},
      rateLimit: { limit: settings.rateLimit?.limit ?? DEFAULT_ENDPOINT_RATE_LIMIT, windowSeconds: settings.rateLimit?.windowSeconds ?? DEFAULT_ENDPOINT_WINDOW_SECONDS, scope: auth === 'public' ? 'ip' : 'api-key' },
      timeoutMs: settings.timeoutMs ?? DEFAULT_ENDPOINT_TIMEOUT_MS,
      workspaceId: row.workspace_id,
    };
  }

  /** Counts the call against the graph's limit, per API key, else per session user, else per client address. */
  private async hitRateLimit(caller: EndpointCaller, endpoint: PublishedEndpoint): Promise<{ ok: false; problem: EndpointProblem } | null> {
    let bucket = `ip:${caller.clientIp ?? 'unknown'}`;
    let subject = 'your address';
    if (caller.apiKeyId) {
      bucket = `key:${caller.apiKeyId}`;
      subject = 'this API key';
    } else if (caller.userId) {
      bucket = `user:${caller.userId}`;
      subject = 'your user';
    }
    const { limit, windowSeconds } = endpoint.rateLimit;
    const result = await this.deps.sharedState.rateLimiter.hit(`rl:endpoint:${endpoint.graphId}:${bucket}`, limit, windowSeconds * 1000);
    if (result.allowed) return null;
    const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    return problem(429, 'rate_limited', `Rate limit of ${limit} calls per ${windowSeconds} s to '${endpoint.slug}' for ${subject} exceeded; retry after ${retryAfterSeconds} s.`, { retryAfterSeconds });
  }

  private inputItem(shape: EndpointShape, slug: string, input: Record<string, unknown>): Item {
    if (!shape.webhook) return { json: input as Item['json'] };
    // A webhook trigger passes only requests for its own path and method, so the item uses them.
    return { json: { method: shape.webhook.method, path: shape.webhook.path, headers: { 'content-type': 'application/json' }, query: {}, body: input, receivedAt: new Date().toISOString(), endpoint: slug } as Item['json'] };
  }

  private async waitFor(workspaceId: string, runId: string, timeoutMs: number): Promise<RunRecord | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([this.deps.runService().waitFor(workspaceId, runId), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The graph's response: what a respond-to-webhook step described, else the JSON of the output items. */
  private async responseOf(run: RunRecord, shape: EndpointShape, steps?: StepRow[]): Promise<{ ok: true; response: { statusCode: number; headers: Record<string, string>; body: unknown } } | { ok: false; problem: EndpointProblem }> {
    if (run.status !== 'succeeded') {
      return problem(500, 'endpoint_run_failed', `Run ${run.id} ended with status '${run.status}' (error code ${run.error?.code ?? 'unknown'}). Members of the workspace can read the error at GET /api/runs/${run.id}.`, { runId: run.id });
    }

    if (shape.hasRespondNode) {
      const runSteps = steps ?? (await this.deps.runService().stepsOf(run));
      const step = runSteps.find((candidate) => candidate.nodeType === RESPOND_NODE_TYPE && candidate.status === 'succeeded');
      const output = step?.output as { ports?: Record<string, Item[]>; truncated?: boolean } | null | undefined;
      const parsed = webhookResponseSchema.safeParse(output?.ports?.[RESPONSE_PORT]?.[0]?.json);
      if (step && parsed.success && !output?.truncated) {
        if (parsed.data.bodyType === 'binary') return problem(500, 'endpoint_binary_response', `The respond-to-webhook node of run ${run.id} sends a binary body, which workflow endpoints do not carry; use a webhook for binary responses.`, { runId: run.id });
        return { ok: true, response: { statusCode: parsed.data.statusCode, headers: parsed.data.headers, body: parsed.data.bodyType === 'empty' ? null : (parsed.data.body ?? null) } };
      }
      if (step) return problem(500, 'endpoint_invalid_response', `The respond-to-webhook step of run ${run.id} has no usable response record; its response may be larger than MIFY_RUN_RECORD_MAX_BYTES.`, { runId: run.id });
    }

    const output = run.output as { items?: Item[]; truncated?: boolean } | null;
    if (output?.truncated) return problem(500, 'endpoint_output_truncated', `Run ${run.id} succeeded, but its record keeps only a trimmed preview of the output; set the graph's rigor to audited or return less data.`, { runId: run.id });
    return { ok: true, response: { statusCode: 200, headers: {}, body: (output?.items ?? []).map((item) => item.json) } };
  }
}
