import { describe, expect, it, vi } from 'vitest';
import { apiRequest, ApiError, createGraphPagesApi, queryString } from '$lib/api';

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' } });
}

describe('queryString', () => {
  it('leaves out empty values', () => {
    expect(queryString({ graphId: 'g 1', status: undefined, q: '', limit: 20, cursor: null })).toBe('?graphId=g+1&limit=20');
    expect(queryString({ q: undefined })).toBe('');
  });
});

describe('apiRequest', () => {
  it('sends the workspace header and JSON body', async () => {
    const fetch = vi.fn(async () => jsonResponse({ ok: true }));

    await expect(apiRequest('POST', '/api/ext/acme.crm/contacts', { fetch, workspace: 'ws_1', body: { email: 'a@example.com' } })).resolves.toEqual({ ok: true });

    const [path, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe('/api/ext/acme.crm/contacts');
    expect((init.headers as Record<string, string>)['X-Mify-Workspace']).toBe('ws_1');
    expect(init.body).toBe('{"email":"a@example.com"}');
  });

  it('rejects with the problem', async () => {
    const fetch = vi.fn(async () => jsonResponse({ type: 'about:blank', title: 'Not found', status: 404, code: 'not_found', detail: "Run 'run_x' was not found." }, 404));

    const error = await apiRequest('GET', '/api/runs/run_x', { fetch }).catch((cause: unknown) => cause);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem.detail).toBe("Run 'run_x' was not found.");
  });
});

describe('createGraphPagesApi', () => {
  it('builds the kernel paths', async () => {
    const fetch = vi.fn(async () => jsonResponse({}));
    const api = createGraphPagesApi({ fetch, workspace: 'ws_1' });

    await api.diffVersions('graph/1', '1', 'draft');
    await api.archive('graph_1', 'gver_2');
    await api.listRuns({ graphId: 'graph_1', status: 'failed' });
    await api.forkRun('run_1', 'greet:1', [{ json: { name: 'Grace' } }]);

    const calls = fetch.mock.calls as unknown as Array<[string, RequestInit]>;
    expect(calls.map(([path, init]) => `${init.method} ${path}`)).toEqual([
      'GET /api/graphs/graph%2F1/versions/1/diff/draft',
      'POST /api/graphs/graph_1/archive?versionId=gver_2',
      'GET /api/runs?graphId=graph_1&status=failed',
      'POST /api/temporal-time-travel/fork',
    ]);
    expect(JSON.parse(calls[3]![1].body as string)).toEqual({ runId: 'run_1', stepKey: 'greet:1', input: [{ json: { name: 'Grace' } }] });
  });

  it('rejects without a workspace', async () => {
    const fetch = vi.fn();

    await expect(createGraphPagesApi({ fetch, workspace: null }).listGraphs()).rejects.toMatchObject({ problem: { code: 'no_workspace_selected' } });
    expect(fetch).not.toHaveBeenCalled();
  });
});
