import { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import { describe, expect, it } from 'vitest';
import { MemoRouter } from './memo-router.js';

function routerWith(routes: Array<[string, string, string]>): MemoRouter<string> {
  const router = new MemoRouter(new TrieRouter<string>());
  for (const [method, path, handler] of routes) router.add(method, path, handler);
  return router;
}

describe('MemoRouter', () => {
  it('returns the remembered match for a parameterless path', () => {
    const router = routerWith([['GET', '/api/workspace', 'workspace']]);

    const first = router.match('GET', '/api/workspace');
    const second = router.match('GET', '/api/workspace');

    expect(second).toBe(first);
    expect(first[0].map(([handler]) => handler)).toEqual(['workspace']);
  });

  it('matches again for paths with parameters', () => {
    const router = routerWith([['GET', '/api/runs/:id', 'run']]);

    const first = router.match('GET', '/api/runs/run_1');
    const second = router.match('GET', '/api/runs/run_2');

    expect(second).not.toBe(first);
    expect(second[0][0]![1]).toEqual({ id: 'run_2' });
  });

  it('keeps methods apart', () => {
    const router = routerWith([['GET', '/api/graphs', 'list'], ['POST', '/api/graphs', 'create']]);
    router.match('GET', '/api/graphs');

    expect(router.match('POST', '/api/graphs')[0].map(([handler]) => handler)).toEqual(['create']);
  });

  it('forgets its matches when a route is added', () => {
    const router = routerWith([['ALL', '/api/*', 'fallback']]);
    router.match('GET', '/api/workspace');
    router.add('GET', '/api/workspace', 'workspace');

    expect(router.match('GET', '/api/workspace')[0].map(([handler]) => handler)).toEqual(['fallback', 'workspace']);
  });

  it('stays bounded under many distinct paths', () => {
    const router = routerWith([['ALL', '/api/*', 'fallback']]);
    const first = router.match('GET', '/api/path-0');
    for (let i = 1; i <= 1_000; i++) router.match('GET', `/api/path-${i}`);

    // The 1,001st distinct path emptied the memo, so the first path is matched afresh.
    expect(router.match('GET', '/api/path-0')).not.toBe(first);
  });

  it('serves a Hono app like its inner router', async () => {
    const app = new Hono({ router: new MemoRouter(new TrieRouter()) });
    app.get('/api/extensions/contributions', (c) => c.text('contributions'));
    app.get('/api/extensions/:id', (c) => c.text(`extension ${c.req.param('id')}`));

    expect(await (await app.request('/api/extensions/contributions')).text()).toBe('contributions');
    expect(await (await app.request('/api/extensions/contributions')).text()).toBe('contributions');
    expect(await (await app.request('/api/extensions/mify.io')).text()).toBe('extension mify.io');
  });
});
