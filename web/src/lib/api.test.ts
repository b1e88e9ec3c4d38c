import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, parseProblem, toProblem, WORKSPACE_HEADER } from './api';

function problemResponse(body: unknown, status: number, contentType = 'application/problem+json'): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': contentType } });
}

const validationProblem = {
  type: 'urn:mify:problem:validation_failed',
  title: 'Unprocessable Content',
  status: 422,
  detail: 'The request is invalid: body.name: Too small.',
  code: 'validation_failed',
  instance: '/api/api-keys',
  errors: [{ path: 'body.name', message: 'Too small' }],
};

describe('parseProblem', () => {
  it('reads every member of a problem+json body', async () => {
    const problem = await parseProblem(problemResponse(validationProblem, 422));

    expect(problem.type).toBe('urn:mify:problem:validation_failed');
    expect(problem.title).toBe('Unprocessable Content');
    expect(problem.status).toBe(422);
    expect(problem.detail).toBe('The request is invalid: body.name: Too small.');
    expect(problem.code).toBe('validation_failed');
    expect(problem.instance).toBe('/api/api-keys');
    expect(problem.errors).toEqual([{ path: 'body.name', message: 'Too small' }]);
  });

  it('keeps extension members', async () => {
    const problem = await parseProblem(problemResponse({ ...validationProblem, status: 429, code: 'rate_limited', retryAfterSeconds: 7 }, 429));

    expect(problem.retryAfterSeconds).toBe(7);
  });

  it('drops malformed field errors', async () => {
    const body = { ...validationProblem, errors: [{ path: 'name', message: 'is required' }, 'oops', { path: 3 }, { message: 'no path' }] };
    const problem = await parseProblem(problemResponse(body, 422));

    expect(problem.errors).toEqual([
      { path: 'name', message: 'is required' },
      { path: '', message: 'no path' },
    ]);
  });

  it('omits errors when the body has none', async () => {
    const problem = await parseProblem(problemResponse({ ...validationProblem, errors: undefined }, 422));

    expect(problem).not.toHaveProperty('errors');
  });

  it('fills missing members from the response', async () => {
    const problem = await parseProblem(problemResponse({ detail: 'Workspace not found.' }, 404));

    expect(problem.status).toBe(404);
    expect(problem.code).toBe('http_404');
    expect(problem.type).toBe('about:blank');
    expect(problem.detail).toBe('Workspace not found.');
  });

  it('describes an HTML error page by its status', async () => {
    const response = new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } });
    const problem = await parseProblem(response);

    expect(problem.status).toBe(502);
    expect(problem.code).toBe('http_502');
    expect(problem.detail).toContain('HTTP 502 Bad Gateway');
    expect(problem.detail).toContain('MIFY kernel is running');
  });

  it('describes an empty body by its status', async () => {
    const problem = await parseProblem(new Response(null, { status: 500 }));

    expect(problem.status).toBe(500);
    expect(problem.detail).toContain('HTTP 500');
  });

  it('treats JSON without a detail as no problem', async () => {
    const problem = await parseProblem(problemResponse({ error: 'nope' }, 400, 'application/json'));

    expect(problem.code).toBe('http_400');
    expect(problem.detail).toContain('HTTP 400');
  });
});

describe('createApi', () => {
  it('sends the workspace header on workspace routes', async () => {
    const fetch = vi.fn(async () => Response.json({ items: [] }));
    const api = createApi({ fetch, workspace: 'wsp_1' });

    await api.listApiKeys();

    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/api-keys');
    expect(init.method).toBe('GET');
    expect((init.headers as Record<string, string>)[WORKSPACE_HEADER]).toBe('wsp_1');
  });

  it('omits the workspace header on user routes', async () => {
    const fetch = vi.fn(async () => Response.json({ items: [] }));
    const api = createApi({ fetch, workspace: 'wsp_1' });

    await api.listWorkspaces();

    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.headers as Record<string, string>).not.toHaveProperty(WORKSPACE_HEADER);
  });

  it('sends a JSON body', async () => {
    const fetch = vi.fn(async () => Response.json({ id: 'key_1', key: 'mify_secret' }, { status: 201 }));
    const api = createApi({ fetch, workspace: 'team' });

    const created = await api.createApiKey({ name: 'CI', role: 'viewer' });

    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/json');
    expect(JSON.parse(init.body as string)).toEqual({ name: 'CI', role: 'viewer' });
    expect(created.key).toBe('mify_secret');
  });

  it('encodes path segments', async () => {
    const fetch = vi.fn(async () => Response.json({}));
    const api = createApi({ fetch, workspace: 'team' });

    await api.setMember('ana+test@example.com', 'editor');

    const [url] = fetch.mock.calls[0] as unknown as [string];
    expect(url).toBe('/api/workspace/members/ana%2Btest%40example.com');
  });

  it('resolves undefined for 204', async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    const api = createApi({ fetch, workspace: 'team' });

    await expect(api.deleteCredential('cred_1')).resolves.toBeUndefined();
  });

  it('throws ApiError carrying the problem', async () => {
    const fetch = vi.fn(async () => problemResponse(validationProblem, 422));
    const api = createApi({ fetch, workspace: 'team' });

    const error = await api.createApiKey({ name: '', role: 'editor' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.code).toBe('validation_failed');
    expect(apiError.message).toBe(validationProblem.detail);
    expect(apiError.errors).toEqual(validationProblem.errors);
  });

  it('reports an unreachable server as status 0', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const api = createApi({ fetch });

    const error = (await api.setupStatus().catch((caught: unknown) => caught)) as ApiError;

    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.message).toContain('/api/setup/status');
    expect(error.message).toContain('Failed to fetch');
  });

  it('rejects workspace routes without a workspace before fetching', async () => {
    const fetch = vi.fn(async () => Response.json({ items: [] }));
    const api = createApi({ fetch, workspace: null });

    const error = (await api.listCredentials().catch((caught: unknown) => caught)) as ApiError;

    expect(error.code).toBe('no_workspace_selected');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('returns a degraded health report with status 503', async () => {
    const report = { status: 'degraded', version: '1.0.0', uptimeSeconds: 3, checks: {} };
    const fetch = vi.fn(async () => Response.json(report, { status: 503 }));
    const api = createApi({ fetch });

    await expect(api.health()).resolves.toEqual(report);
  });
});

describe('toProblem', () => {
  it('returns the problem of an ApiError', () => {
    const problem = { type: 'about:blank', title: 'Conflict', status: 409, code: 'conflict', detail: 'Taken.' };

    expect(toProblem(new ApiError(problem))).toBe(problem);
  });

  it('wraps other errors with their message', () => {
    const problem = toProblem(new Error('boom'));

    expect(problem.detail).toBe('boom');
    expect(problem.code).toBe('client_error');
  });
});
