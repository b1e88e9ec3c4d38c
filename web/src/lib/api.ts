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
