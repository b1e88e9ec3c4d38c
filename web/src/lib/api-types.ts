// Shapes of the kernel's /api resources as the studio receives them. Dates
// arrive as ISO 8601 strings because they pass through JSON.

export type Role = 'owner' | 'editor' | 'viewer';

/** Roles from least to most rights; a role may do everything the roles before it may. */
export const ROLES: readonly Role[] = ['viewer', 'editor', 'owner'];

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
}

/** A workspace together with the signed-in user's role in it. */
export interface Membership extends Workspace {
  role: Role;
}

/** The signed-in user and their workspaces (`GET /api/auth/me`, `POST /api/auth/login`). */
export interface Me {
  user: User;
  workspaces: Membership[];
}

export interface SetupInput {
  email: string;
  password: string;
  name?: string;
  /** Name of the first workspace. */
  workspace: string;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** An API key as listed: never the key itself, only its first characters. */
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The response to creating a key: the only time the full key is sent. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** A credential as listed: the names of its secret fields, never their values. */
export interface Credential {
  id: string;
  name: string;
  type: string;
  /** `global` credentials are shared by every workspace and are read-only here. */
  scope: 'workspace' | 'global';
  fields: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CredentialInput {
  name: string;
  type: string;
  data: Record<string, string>;
}

export interface HealthCheck {
  status: 'ok' | 'error';
  backend: string;
  latencyMs?: number;
  error?: string;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  checks: Record<string, HealthCheck>;
  /** `loading` is true while a starting kernel still loads its extensions. */
  extensions: { loading: boolean; active: number; failed: number };
}

export interface ItemList<T> {
  items: T[];
}

// ---------------------------------------------------------------------------
// Graph list, versions, graph settings, runs and extensions pages.
// Shapes of /api/graphs, /api/runs, /api/temporal-time-travel,
// /api/extensions and /api/workflow-endpoints responses.
// ---------------------------------------------------------------------------

/** One page of a cursor-paginated list; `nextCursor` is null on the last page. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** Access rule of a published graph's endpoint: holders of a workspace API key, or anyone. */
export type EndpointAuth = 'api_key' | 'public';

/** A schedule the graph suggests to the scheduler; it starts no runs by itself. */
export interface ScheduleHint {
  cron: string;
  timezone?: string;
  description?: string;
}

/** A graph as listed by `GET /api/graphs`: its metadata without the draft. */
export interface GraphSummary {
  id: string;
  name: string;
  description: string;
  slug: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  endpointAuth: EndpointAuth;
  scheduleHints: ScheduleHint[];
  draftUpdatedAt: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  /** The published version with the latest publishedAt, which callers of the graph get. */
  liveVersion: { id: string; number: number; publishedAt: string } | null;
}

/** A graph document (`MifyGraph`) as the pages around the editor read it; the editor owns its full model. */
export interface GraphDocument {
  nodes: Array<{ id: string; type: string; typeVersion: number; name: string; parameters: Record<string, unknown>; [key: string]: unknown }>;
  edges: Array<{ id?: string; from: { node: string; port: string }; to: { node: string; port: string } }>;
  settings?: Record<string, unknown>;
  pinnedData?: Record<string, unknown>;
  stickyNotes?: unknown[];
}

/** A graph with its draft, from `GET /api/graphs/:id`. */
export interface GraphDetail extends GraphSummary {
  draft: GraphDocument;
}

/** Metadata fields `PUT /api/graphs/:id` accepts; left-out fields stay as they are. */
export interface GraphMetadataPatch {
  name?: string;
  description?: string;
  /** Null removes the slug. */
  slug?: string | null;
  tags?: string[];
  /** Merged key by key into the stored settings; a key set to null is removed. */
  settings?: Record<string, unknown>;
  endpointAuth?: EndpointAuth;
  scheduleHints?: ScheduleHint[];
}

export interface GraphVersionInfo {
  id: string;
  graphId: string;
  number: number;
  status: 'published' | 'archived';
  /** Whether this is the version callers of the graph get. */
  live: boolean;
  /** SHA-256 of the definition as canonical JSON, hex. */
  definitionHash: string;
  createdBy: string | null;
  createdAt: string;
  publishedAt: string;
  archivedAt: string | null;
}

export interface GraphVersionDetail extends GraphVersionInfo {
  definition: GraphDocument;
}

/** A value that differs between two graphs, at a JSON path such as `$.parameters.url`. */
export interface GraphValueChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  /** diff-match-patch patch text for long strings. */
  textDelta?: string;
}

export interface GraphDiffNode {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
}

/** The kernel's structural diff of two graph versions (or a version and the draft). */
export interface GraphDiff {
  from: { ref: string; versionId: string | null; number: number | null };
  to: { ref: string; versionId: string | null; number: number | null };
  nodes: { added: GraphDiffNode[]; removed: GraphDiffNode[]; changed: Array<GraphDiffNode & { changes: GraphValueChange[] }> };
  edges: { added: GraphDocument['edges']; removed: GraphDocument['edges'] };
  settings: GraphValueChange[];
  annotations: GraphValueChange[];
  summary: Record<string, number>;
}

/** Endpoint info of a graph with a slug, from `GET /api/workflow-endpoints/:slug/info`. */
export interface WorkflowEndpointInfo {
  slug: string;
  url: string;
  method: 'POST';
  auth: 'api-key' | 'public';
  sampleCurl: string;
  rateLimit: { limit: number; windowSeconds: number; scope: 'api-key' | 'ip' };
  openapiUrl: string;
  publishedVersion: { id: string; version: number } | null;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** Every run status, in the order the run filters list them. */
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'];

/** An item flowing along an edge. */
export interface RunItem {
  json: Record<string, unknown>;
  binary?: Record<string, { mimeType: string; fileName?: string; data: string }>;
  pairedItem?: number;
}

/** Run input or output as recorded: every item, or a preview of the first 20 when `truncated`. */
export interface RecordedRunItems {
  items: RunItem[];
  itemCount: number;
  truncated: boolean;
}

export interface RunError {
  message: string;
  code: string;
  nodeId?: string;
  nodeName?: string;
  stack?: string;
}

export interface Run {
  id: string;
  workspaceId: string;
  graphId: string | null;
  versionId: string | null;
  parentRunId: string | null;
  depth: number;
  status: RunStatus;
  /** manual, api, partial, subworkflow, trigger, schedule, replay, fork, … */
  mode: string;
  rigor: 'audited' | 'experimental';
  input: RecordedRunItems | null;
  output: RecordedRunItems | null;
  error: RunError | null;
  usage: Record<string, number>;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  timeoutAt: string | null;
  cancelRequested: boolean;
}

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'waiting' | 'interrupted';

/** A step's input or output record: items by port, their counts, and whether only a preview is kept. */
export interface StepItems {
  ports: Record<string, RunItem[]>;
  itemCounts: Record<string, number>;
  truncated: boolean;
}

/** One attempt of one node activation in a run. */
export interface RunStep {
  id: string;
  seq: number;
  nodeId: string;
  nodeName: string;
  nodeType: string;
  typeVersion: number;
  activation: number;
  attempt: number;
  status: StepStatus;
  pinned: boolean;
  disabled: boolean;
  childRunId: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  inputHash: string | null;
  input: StepItems | null;
  output: StepItems | null;
  outputItemCount: number | null;
  oversized: boolean;
  error: RunError | null;
  idempotencyKey: string;
  usage: unknown;
}

export interface RunDetail extends Run {
  steps: RunStep[];
}

/** One event of a run's history, as the event stream sends it. */
export interface RunEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/** `GET /api/temporal-time-travel/history/:runId`: the run with every event, step attempt and journal entry. */
export interface RunHistory {
  run: Run;
  events: RunEvent[];
  steps: RunStep[];
  journal: Array<{ stepKey: string; seq: number; createdAt: string; result: unknown }>;
}

/** The run a replay or fork started, and where it branched off its source run. */
export interface RunBranch {
  run: Run;
  sourceRunId: string;
  /** Step key (`<nodeId>:<activation>`) of the first step that runs again. */
  fromStepKey: string;
  reusedSteps: number;
}

/** Filters of the run list; all optional. `since` and `until` are ISO 8601 timestamps. */
export interface RunListQuery {
  graphId?: string;
  status?: RunStatus;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

/** An installed extension with its state and health, from `GET /api/extensions`. */
export interface ExtensionStatus {
  id: string;
  version: string;
  name: string;
  description: string;
  runtime: 'isolate' | 'wasm';
  source: 'bundled' | 'folder' | 'package' | 'registry';
  enabled: boolean;
  state: 'active' | 'disabled' | 'failed';
  /** Sandbox state; `on-demand` starts it at the extension's first call. */
  sandbox: 'running' | 'starting' | 'on-demand' | 'stopped';
  health: 'healthy' | 'unhealthy';
  /** Failed calls counted towards marking the extension unhealthy. */
  recentFailures: number;
  lastError: string | null;
  permissions: string[];
  previousVersion: string | null;
}

/**
 * Install source of an extension: a folder or a package file on the server, or
 * a package of an extension registry (`range` defaults to any version; `url`
 * to the kernel's MIFY_REGISTRY_URL).
 */
export interface ExtensionSource {
  folder?: string;
  packageFile?: string;
  registry?: { id: string; range?: string; url?: string };
  allowUnsigned?: boolean;
}

/** Fields every listed contribution carries beside its manifest entry. */
export interface ContributionOrigin {
  extensionId: string;
  extensionVersion: string;
  healthy: boolean;
}

/** A declarative studio panel an extension contributes; `schema.kind` selects the renderer. */
export interface PanelContribution extends ContributionOrigin {
  id: string;
  title: string;
  location: 'graph-settings' | 'workspace-settings' | 'sidebar';
  schema: { kind: 'form' | 'table' | 'chart' | 'markdown'; [key: string]: unknown };
}

/** A settings page an extension contributes: a JSON Schema of an object. */
export interface SettingsContribution extends ContributionOrigin {
  id: string;
  title: string;
  schema: Record<string, unknown>;
}

/** An HTTP route an extension contributes, with the URL the kernel mounts it at. */
export interface RouteContribution extends ContributionOrigin {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: 'public' | 'user' | 'workspace';
  summary: string;
  url: string;
}

/** `GET /api/extensions/contributions`, the parts the extension pages use. */
export interface ContributionList {
  panels: PanelContribution[];
  settings: SettingsContribution[];
  routes: RouteContribution[];
  nodes: Array<ContributionOrigin & { type: string; name: string; [key: string]: unknown }>;
  [point: string]: unknown[];
}
