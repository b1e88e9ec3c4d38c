import type {
  ApiKey,
  CreatedApiKey,
  Credential,
  CredentialInput,
  Health,
  ItemList,
  Me,
  Member,
  Membership,
  Role,
  SetupInput,
  User,
  Workspace,
} from './api-types';

export type * from './api-types';

/** One invalid field of a request, as the kernel reports it (`path` such as `body.name`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An RFC 9457 problem details object, as every kernel error response carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable code, e.g. `validation_failed`. */
  code: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

/** A failed API call. `problem.detail` is the sentence to show the user. */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem, options?: ErrorOptions) {
    super(problem.detail, options);
    this.name = 'ApiError';
    this.problem = problem;
  }

  /** HTTP status, or 0 when the server could not be reached. */
  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }

  get errors(): FieldProblem[] {
    return this.problem.errors ?? [];
  }
}

/** Name of the request header that selects the workspace of a workspace-scoped route. */
export const WORKSPACE_HEADER = 'X-Mify-Workspace';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldProblems(value: unknown): FieldProblem[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter(isRecord)
    .map((entry) => ({ path: typeof entry.path === 'string' ? entry.path : '', message: String(entry.message ?? '') }))
    .filter((entry) => entry.message !== '');
}

/**
 * Reads the problem details of a failed response. A body that is not a
 * problem (an HTML page from a proxy, an empty body) becomes a problem whose
 * detail names the status, so the caller always has a sentence to show.
 *
 * @example
 * const response = await fetch('/api/workspace');
 * if (!response.ok) throw new ApiError(await parseProblem(response));
 */
export async function parseProblem(response: Response): Promise<Problem> {
  const statusLine = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const fallback: Problem = {
    type: 'about:blank',
    title: response.statusText || 'Error',
    status: response.status,
    code: `http_${response.status}`,
    detail: `The server returned HTTP ${statusLine} without an error description. Check that the MIFY kernel is running and reachable at /api.`,
  };

  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    return fallback;
  }
  if (!isRecord(body) || typeof body.detail !== 'string' || body.detail.trim() === '') return fallback;

  const problem: Problem = {
    ...body,
    type: typeof body.type === 'string' ? body.type : fallback.type,
    title: typeof body.title === 'string' ? body.title : fallback.title,
    status: typeof body.status === 'number' ? body.status : response.status,
    code: typeof body.code === 'string' ? body.code : fallback.code,
    detail: body.detail,
  };
  const errors = fieldProblems(body.errors);
  if (errors) problem.errors = errors;
  else delete problem.errors;
  return problem;
}

/** Builds the problem for a request that never reached the server. */
function networkProblem(path: string, cause: unknown): Problem {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return {
    type: 'about:blank',
    title: 'Network error',
    status: 0,
    code: 'network_error',
    detail: `The request to ${path} failed before the server answered (${reason}). Check your connection and that the MIFY kernel is running.`,
  };
}

export interface ApiClientOptions {
  /** The fetch to use: SvelteKit's `fetch` in load functions, the global one elsewhere. */
  fetch?: typeof fetch;
  /** Id or slug of the workspace sent with workspace-scoped calls; `null` when none is selected. */
  workspace?: string | null;
}

interface RequestOptions {
  body?: unknown;
  /** Sends the X-Mify-Workspace header; the call fails locally when no workspace is selected. */
  scoped?: boolean;
  /** Non-2xx statuses whose body is still the expected result (health reports 503 with a body). */
  acceptStatuses?: number[];
}

/**
 * Creates a client for the kernel's API on the same origin. Every method
 * resolves with the parsed body and rejects with an `ApiError`.
 *
 * @example
 * const api = createApi({ fetch, workspace: 'my-team' });
 * const { items } = await api.listApiKeys();
 */
export function createApi(options: ApiClientOptions = {}) {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const workspace = options.workspace ?? null;

  async function request<T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (requestOptions.body !== undefined) headers['content-type'] = 'application/json';
    if (requestOptions.scoped) {
      if (!workspace) {
        throw new ApiError({
          type: 'about:blank',
          title: 'No workspace selected',
          status: 400,
          code: 'no_workspace_selected',
          detail: 'No workspace is selected. Choose one in the workspace switcher, or create one.',
        });
      }
      headers[WORKSPACE_HEADER] = workspace;
    }

    let response: Response;
    try {
      response = await fetchImpl(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: requestOptions.body === undefined ? undefined : JSON.stringify(requestOptions.body),
      });
    } catch (cause) {
      throw new ApiError(networkProblem(path, cause), { cause });
    }

    const accepted = response.ok || (requestOptions.acceptStatuses ?? []).includes(response.status);
    if (!accepted) throw new ApiError(await parseProblem(response));
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  const segment = encodeURIComponent;

  return {
    health: () => request<Health>('GET', '/api/health', { acceptStatuses: [503] }),

    setupStatus: () => request<{ needsSetup: boolean }>('GET', '/api/setup/status'),
    setup: (input: SetupInput) => request<{ user: User; workspace: Workspace }>('POST', '/api/setup', { body: input }),

    login: (email: string, password: string) => request<Me>('POST', '/api/auth/login', { body: { email, password } }),
    logout: () => request<void>('POST', '/api/auth/logout'),
    me: () => request<Me>('GET', '/api/auth/me'),

    listWorkspaces: () => request<ItemList<Membership>>('GET', '/api/workspaces'),
    createWorkspace: (input: { name: string; slug?: string }) => request<Workspace>('POST', '/api/workspaces', { body: input }),
    currentWorkspace: () => request<Membership>('GET', '/api/workspace', { scoped: true }),

    listMembers: () => request<ItemList<Member>>('GET', '/api/workspace/members', { scoped: true }),
    /** Adds a user (by id or email) to the workspace, or changes their role. */
    setMember: (userIdOrEmail: string, role: Role) =>
      request<Member>('PUT', `/api/workspace/members/${segment(userIdOrEmail)}`, { body: { role }, scoped: true }),
    removeMember: (userId: string) => request<void>('DELETE', `/api/workspace/members/${segment(userId)}`, { scoped: true }),

    listApiKeys: () => request<ItemList<ApiKey>>('GET', '/api/api-keys', { scoped: true }),
    createApiKey: (input: { name: string; role: Role }) => request<CreatedApiKey>('POST', '/api/api-keys', { body: input, scoped: true }),
    revokeApiKey: (id: string) => request<ApiKey>('DELETE', `/api/api-keys/${segment(id)}`, { scoped: true }),

    listCredentials: () => request<ItemList<Credential>>('GET', '/api/credentials', { scoped: true }),
    createCredential: (input: CredentialInput) => request<Credential>('POST', '/api/credentials', { body: input, scoped: true }),
    updateCredential: (id: string, input: { name?: string; data?: Record<string, string> }) =>
      request<Credential>('PUT', `/api/credentials/${segment(id)}`, { body: input, scoped: true }),
    deleteCredential: (id: string) => request<void>('DELETE', `/api/credentials/${segment(id)}`, { scoped: true }),
  };
}

export type Api = ReturnType<typeof createApi>;

/** Turns any thrown value into a problem to show; errors that are not `ApiError` keep their message. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  const detail = error instanceof Error ? error.message : String(error);
  return { type: 'about:blank', title: 'Error', status: 0, code: 'client_error', detail };
}

// ---------------------------------------------------------------------------
// Graph list, versions, graph settings, runs and extensions pages.
// ---------------------------------------------------------------------------

import type {
  ContributionList,
  CursorPage,
  ExtensionSource,
  ExtensionStatus,
  GraphDetail,
  GraphDiff,
  GraphMetadataPatch,
  GraphSummary,
  GraphVersionDetail,
  GraphVersionInfo,
  Run,
  RunBranch,
  RunDetail,
  RunHistory,
  RunItem,
  RunListQuery,
  WorkflowEndpointInfo,
} from './api-types';

export interface ApiRequestOptions extends ApiClientOptions {
  body?: unknown;
  /** Non-2xx statuses whose body is still the expected result. */
  acceptStatuses?: number[];
}

/**
 * Sends one request to any `/api` path and parses the JSON response, with the
 * same error handling as `createApi`. The workspace header is sent when
 * `workspace` is set. Extension panels use it for their routes under `/api/ext`.
 *
 * @example
 * const rows = await apiRequest<{ items: unknown[] }>('GET', '/api/ext/acme.crm/contacts', { workspace: 'my-team' });
 */
export async function apiRequest<T>(method: string, path: string, options: ApiRequestOptions = {}): Promise<T> {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.workspace) headers[WORKSPACE_HEADER] = options.workspace;

  let response: Response;
  try {
    response = await fetchImpl(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (cause) {
    throw new ApiError(networkProblem(path, cause), { cause });
  }

  const accepted = response.ok || (options.acceptStatuses ?? []).includes(response.status);
  if (!accepted) throw new ApiError(await parseProblem(response));
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Builds a query string from the defined values, with the leading `?`, or an empty string. */
export function queryString(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Returns a request function bound to the workspace of `options`. Without a
 * workspace every call rejects with a problem that asks the user to choose one.
 */
function workspaceRequest(options: ApiClientOptions): <T>(method: string, path: string, body?: unknown) => Promise<T> {
  const workspace = options.workspace ?? null;
  return <T>(method: string, path: string, body?: unknown): Promise<T> => {
    if (!workspace) {
      return Promise.reject(
        new ApiError({
          type: 'about:blank',
          title: 'No workspace selected',
          status: 400,
          code: 'no_workspace_selected',
          detail: 'No workspace is selected. Choose one in the workspace switcher, or create one.',
        }),
      );
    }
    return apiRequest<T>(method, path, { fetch: options.fetch, workspace, body });
  };
}

/**
 * Creates the client of the graph, version, run and extension pages. Every
 * call is workspace-scoped except the extension management calls, which the
 * kernel allows to instance administrators only.
 *
 * @example
 * const pages = createGraphPagesApi({ fetch, workspace: 'my-team' });
 * const { items, nextCursor } = await pages.listRuns({ status: 'failed' });
 */
export function createGraphPagesApi(options: ApiClientOptions = {}) {
  const segment = encodeURIComponent;
  const scoped = workspaceRequest(options);

  return {
    listGraphs: (query: { q?: string; tag?: string; cursor?: string; limit?: number } = {}) => scoped<CursorPage<GraphSummary>>('GET', `/api/graphs${queryString(query)}`),
    createGraph: (input: { name: string; description?: string; tags?: string[] }) => scoped<GraphDetail>('POST', '/api/graphs', input),
    getGraph: (id: string) => scoped<GraphDetail>('GET', `/api/graphs/${segment(id)}`),
    updateGraph: (id: string, patch: GraphMetadataPatch) => scoped<GraphDetail>('PUT', `/api/graphs/${segment(id)}`, patch),
    deleteGraph: (id: string) => scoped<void>('DELETE', `/api/graphs/${segment(id)}`),

    listVersions: (id: string, query: { cursor?: string; limit?: number } = {}) => scoped<CursorPage<GraphVersionInfo>>('GET', `/api/graphs/${segment(id)}/versions${queryString(query)}`),
    /** Reads a version by id or number, with its definition. */
    getVersion: (id: string, versionRef: string) => scoped<GraphVersionDetail>('GET', `/api/graphs/${segment(id)}/versions/${segment(versionRef)}`),
    /** Compares two versions (ids, numbers, or `draft`) structurally. */
    diffVersions: (id: string, from: string, to: string) => scoped<GraphDiff>('GET', `/api/graphs/${segment(id)}/versions/${segment(from)}/diff/${segment(to)}`),
    publish: (id: string) => scoped<GraphVersionInfo>('POST', `/api/graphs/${segment(id)}/publish`),
    /** Archives the version named by `versionRef`, or the live one when it is left out. */
    archive: (id: string, versionRef?: string) =>
      scoped<{ archived: GraphVersionInfo; live: GraphVersionInfo | null }>('POST', `/api/graphs/${segment(id)}/archive${queryString({ versionId: versionRef })}`),
    draftFromVersion: (id: string, versionRef: string) => scoped<GraphDetail>('POST', `/api/graphs/${segment(id)}/draft-from/${segment(versionRef)}`),
    endpointInfo: (slug: string) => scoped<WorkflowEndpointInfo>('GET', `/api/workflow-endpoints/${segment(slug)}/info`),

    listRuns: (query: RunListQuery = {}) => scoped<CursorPage<Run>>('GET', `/api/runs${queryString({ ...query })}`),
    getRun: (id: string) => scoped<RunDetail>('GET', `/api/runs/${segment(id)}`),
    runHistory: (id: string) => scoped<RunHistory>('GET', `/api/temporal-time-travel/history/${segment(id)}`),
    pauseRun: (id: string) => scoped<Run>('POST', `/api/runs/${segment(id)}/pause`),
    resumeRun: (id: string) => scoped<Run>('POST', `/api/runs/${segment(id)}/resume`),
    cancelRun: (id: string) => scoped<Run>('POST', `/api/runs/${segment(id)}/cancel`),
    /** Starts a new run that re-executes `runId` from the step with this key (`<nodeId>:<activation>`). */
    replayRun: (runId: string, stepKey: string) => scoped<RunBranch>('POST', '/api/temporal-time-travel/replay', { runId, stepKey }),
    /** Starts a new run from a step of `runId` with `input` as the items of the step's first input port. */
    forkRun: (runId: string, stepKey: string, input: RunItem[]) => scoped<RunBranch>('POST', '/api/temporal-time-travel/fork', { runId, stepKey, input }),

    listExtensions: () => scoped<ItemList<ExtensionStatus>>('GET', '/api/extensions'),
    getExtension: (id: string) => scoped<ExtensionStatus>('GET', `/api/extensions/${segment(id)}`),
    contributions: () => scoped<ContributionList>('GET', '/api/extensions/contributions'),
    enableExtension: (id: string) => scoped<ExtensionStatus>('POST', `/api/extensions/${segment(id)}/enable`),
    disableExtension: (id: string) => scoped<ExtensionStatus>('POST', `/api/extensions/${segment(id)}/disable`),
    installExtension: (source: ExtensionSource) => scoped<ExtensionStatus>('POST', '/api/extensions', source),
  };
}

export type GraphPagesApi = ReturnType<typeof createGraphPagesApi>;

// ---------------------------------------------------------------------------
// Graph editor (canvas): draft, validation, runs from the canvas.
// ---------------------------------------------------------------------------

import type { CanvasExecuteInput, CanvasExecuteResult, ContributionList as CanvasContributionList, GraphProblem, Item, MifyGraph, RunRecord } from './canvas/types';

/** A graph with its draft, as the editor loads it (`GET /api/graphs/:id`). */
export interface EditorGraph {
  id: string;
  name: string;
  description: string;
  slug: string | null;
  draft: MifyGraph;
  draftUpdatedAt: string;
  liveVersion: { id: string; number: number; publishedAt: string } | null;
}

/**
 * Creates the client of the graph editor. Every call is workspace-scoped.
 *
 * @example
 * const editor = createCanvasApi({ workspace: 'my-team' });
 * const graph = await editor.getGraph('graph_1');
 */
export function createCanvasApi(options: ApiClientOptions = {}) {
  const segment = encodeURIComponent;
  const scoped = workspaceRequest(options);

  return {
    getGraph: (id: string) => scoped<EditorGraph>('GET', `/api/graphs/${segment(id)}`),
    /** Replaces the draft; a 422 lists every problem with a path such as `$.nodes[2].parameters.url`. */
    saveDraft: (id: string, graph: MifyGraph) => scoped<EditorGraph>('PUT', `/api/graphs/${segment(id)}/definition`, graph),
    validateDraft: (id: string) => scoped<{ ok: boolean; problems: GraphProblem[] }>('GET', `/api/graphs/${segment(id)}/validation`),
    /** Reads the definition of a version by id or number. */
    getVersionDefinition: (id: string, versionRef: string) => scoped<{ id: string; number: number; definition: MifyGraph }>('GET', `/api/graphs/${segment(id)}/versions/${segment(versionRef)}`),
    contributions: () => scoped<CanvasContributionList>('GET', '/api/extensions/contributions'),
    /** Starts a run of the stored draft and returns it running or queued. */
    runDraft: (id: string, input?: Item[]) => scoped<RunRecord>('POST', `/api/graphs/${segment(id)}/runs`, { version: 'draft', ...(input ? { input } : {}) }),
    getRun: (runId: string) => scoped<RunRecord>('GET', `/api/runs/${segment(runId)}`),
    /** Lists the newest runs of a graph, without their steps. */
    recentRuns: (graphId: string, limit = 5) => scoped<{ items: RunRecord[]; nextCursor: string | null }>('GET', `/api/runs${queryString({ graphId, limit })}`),
    /** Runs the canvas state and responds when the run has finished. */
    canvasExecute: (input: CanvasExecuteInput) => scoped<CanvasExecuteResult>('POST', '/api/canvas-execute', input),
  };
}

export type CanvasApi = ReturnType<typeof createCanvasApi>;

// ---------------------------------------------------------------------------
// AI builder: POST /api/ai-builder/generate (graph from a request in words).
// ---------------------------------------------------------------------------

/** Request of the AI builder. Without `provider`, the kernel's only chat provider is used. */
export interface AiBuilderInput {
  prompt: string;
  provider?: string;
  model: string;
  credential?: string;
  /** Saves the generated graph as a new graph of the workspace. */
  save?: boolean;
  name?: string;
}

/** Result of the AI builder: the valid graph, the model calls it took, and the saved graph's id. */
export interface AiBuilderResult {
  graph: import('./canvas/types').MifyGraph;
  attempts: number;
  graphId: string | null;
}

/**
 * Creates the client of the AI builder. A 422 with code `graph_generation_failed` lists the
 * last validation problems in `errors`.
 *
 * @example
 * const builder = createAiBuilderApi({ workspace: 'my-team' });
 * const { graphId } = await builder.generate({ prompt: 'Summarise new tickets', model: 'gpt-4.1-mini', save: true });
 */
export function createAiBuilderApi(options: ApiClientOptions = {}) {
  return {
    generate: (input: AiBuilderInput) => apiRequest<AiBuilderResult>('POST', '/api/ai-builder/generate', { fetch: options.fetch, workspace: options.workspace ?? null, body: input }),
  };
}

// ---------------------------------------------------------------------------
// Workflow import: POST /api/graphs/import/<platform>, and the n8n export.
// ---------------------------------------------------------------------------

/** Platforms whose workflow exports the kernel imports. */
export type ImportPlatform = 'n8n' | 'flowise' | 'dify' | 'langflow';

/** Outcome for one node of the imported file. */
export interface ImportReportEntry {
  source: { id: string; name: string; type: string; typeVersion?: string | number | null };
  nodeId: string | null;
  nodeType: string | null;
  status: 'mapped' | 'approximated' | 'opaque';
  /** Approximated: what differs. Opaque: why there is no mapping. */
  notes: string[];
  flags: Array<'carries-code' | 'needs-python-runtime' | 'needs-credential' | 'needs-platform'>;
}

/** The importer's report: every node, the credentials to bind, schedules and warnings. */
export interface ImportReport {
  platform: string;
  format: string;
  sourceVersion: string | null;
  nodes: ImportReportEntry[];
  credentials: Array<{ nodeId: string; nodeName: string; parameter: string; platformType: string; platformName: string | null; suggestedTypes: string[] }>;
  scheduleHints: Array<{ cron: string; timezone?: string; description?: string }>;
  stickyNotes: number;
  warnings: string[];
  counts: { mapped: number; approximated: number; opaque: number };
}

/** Result of an import: the new graph (several for a Flowise workspace export) and its report. */
export interface ImportResult {
  graph: { id: string; name: string };
  report: ImportReport;
  additionalGraphs: Array<{ graph: { id: string; name: string }; report: ImportReport }>;
}

/** A file to import. `confirmNewerVersion` accepts a Dify DSL of a newer major version. */
export interface ImportFileInput {
  fileName: string;
  content: string;
  name?: string;
  confirmNewerVersion?: boolean;
}

/**
 * Creates the client of the workflow importers. A file the importer cannot read is an
 * ApiError with status 422 whose detail names the problem (with code `unsupported_version`,
 * retry with `confirmNewerVersion`).
 *
 * @example
 * const imports = createImportApi({ workspace: 'my-team' });
 * const { graph, report } = await imports.importFile('n8n', { fileName: file.name, content: await file.text() });
 */
export function createImportApi(options: ApiClientOptions = {}) {
  const request = { fetch: options.fetch, workspace: options.workspace ?? null };
  return {
    importFile: (platform: ImportPlatform, input: ImportFileInput) => apiRequest<ImportResult>('POST', `/api/graphs/import/${platform}`, { ...request, body: input }),
    /** URL of the n8n export of a graph's draft, for a download link. */
    exportN8nUrl: (graphId: string) => `/api/graphs/${encodeURIComponent(graphId)}/export/n8n`,
  };
}

// ---------------------------------------------------------------------------
// Chat widget: the public routes of mify.chat that the /embed/chat page calls
// without a session, and the members' widget settings under /api/chat/widgets.
// ---------------------------------------------------------------------------

/** The public part of a chat widget, as GET /api/chat-widget/config/:id returns it. */
export interface ChatWidgetConfig {
  id: string;
  title: string;
  greeting: string;
}

/** The answer to one visitor message. `message` is the text as stored, with personal data redacted. */
export interface ChatWidgetReply {
  reply: string;
  message: string;
  remainingToday: number;
}

/** A chat widget's settings, as members read and write them. */
export interface ChatWidgetSettings {
  id: string;
  graphId: string;
  title: string;
  greeting: string;
  dailyQuota: number;
  perIpPerMinute: number;
  memoryMessages: number;
  redactPii: boolean;
  allowedOrigins: string[];
  /** Path of the embeddable page, such as `/embed/chat?widget=…`. */
  embedPath: string;
}

/**
 * Creates the chat widget client. Visitor calls send no workspace and no session; an
 * exhausted quota or rate limit is an ApiError with status 429 (code `quota_exhausted`
 * or `rate_limited`) whose detail the page shows.
 *
 * @example
 * const chat = createChatWidgetApi();
 * const { reply } = await chat.send({ widgetId, sessionId, content: 'Hello' });
 */
export function createChatWidgetApi(options: ApiClientOptions = {}) {
  const member = workspaceRequest(options);
  const visitor = { fetch: options.fetch };
  const widgetPath = (id: string) => `/api/chat/widgets/${encodeURIComponent(id)}`;
  return {
    config: (widgetId: string) => apiRequest<ChatWidgetConfig>('GET', `/api/chat-widget/config/${encodeURIComponent(widgetId)}`, visitor),
    send: (input: { widgetId: string; sessionId: string; content: string }) => apiRequest<ChatWidgetReply>('POST', '/api/chat-widget/message', { ...visitor, body: input }),
    createWidget: (settings: Partial<Omit<ChatWidgetSettings, 'id' | 'embedPath'>> & { graphId: string }) => member<ChatWidgetSettings>('POST', '/api/chat/widgets', settings),
    getWidget: (id: string) => member<ChatWidgetSettings>('GET', widgetPath(id)),
    updateWidget: (id: string, settings: Partial<Omit<ChatWidgetSettings, 'id' | 'embedPath'>>) => member<ChatWidgetSettings>('PUT', widgetPath(id), settings),
  };
}

export type ChatWidgetApi = ReturnType<typeof createChatWidgetApi>;

// ---------------------------------------------------------------------------
// Forms: the routes of mify.forms under /api/forms, for the forms list, the
// rendered form and the builder.
// ---------------------------------------------------------------------------

/** Field types a form supports. */
export type FormFieldType = 'text' | 'textarea' | 'number' | 'email' | 'select' | 'checkbox' | 'date';

/** One field of a form, as the forms API stores it. */
export interface FormField {
  /** Key of the answer: letters, digits and `_`, unique in the form. */
  name: string;
  label: string;
  type: FormFieldType;
  required?: boolean;
  /** Bounds of a number, or lengths of a text in characters. */
  min?: number;
  max?: number;
  /** Regular expression the whole text must match. */
  pattern?: string;
  options?: Array<{ value: string; label: string }>;
  /** Shows the field only when `field` is shown and answered (with `equals`, with that value). */
  showWhen?: { field: string; equals?: string | number | boolean };
  help?: string;
}

export interface FormPage {
  title: string;
  fields: FormField[];
}

/** A form's definition: what POST /api/forms and PUT /api/forms/:id take. */
export interface FormDefinition {
  name: string;
  description: string;
  graphId: string;
  pages: FormPage[];
}

export interface FormRecord extends FormDefinition {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** A stored submission; `runId` is the run of the bound graph once it started. */
export interface FormSubmission {
  id: string;
  formId: string;
  answers: Record<string, string | number | boolean>;
  status: 'received' | 'started' | 'failed';
  runId?: string;
  createdAt?: string;
}

/**
 * Creates the forms client. Invalid answers are an ApiError with status 422 whose
 * `problem.errors` lists one entry per field, with paths such as `answers.email`.
 *
 * @example
 * const forms = createFormsApi({ workspace: 'my-team' });
 * const form = await forms.get('doc_1');
 */
export function createFormsApi(options: ApiClientOptions = {}) {
  const request = workspaceRequest(options);
  const formPath = (id: string) => `/api/forms/${encodeURIComponent(id)}`;
  return {
    list: (query: { cursor?: string } = {}) => request<{ items: FormRecord[]; nextCursor: string | null }>('GET', `/api/forms${queryString({ cursor: query.cursor })}`),
    create: (definition: FormDefinition) => request<FormRecord>('POST', '/api/forms', definition),
    get: (id: string) => request<FormRecord>('GET', formPath(id)),
    update: (id: string, definition: FormDefinition) => request<FormRecord>('PUT', formPath(id), definition),
    submit: (id: string, input: { answers: Record<string, unknown>; submissionId?: string }) => request<FormSubmission>('POST', `${formPath(id)}/submit`, input),
    submissions: (id: string) => request<{ items: FormSubmission[]; nextCursor: string | null }>('GET', `${formPath(id)}/submissions`),
  };
}

export type FormsApi = ReturnType<typeof createFormsApi>;
