import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { defineRoute } from './http/route.js';
import { startTestKernel, type TestKernel } from './test-support/kernel.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('server shutdown', () => {
  let t: TestKernel | undefined;
  let release: () => void = () => {};
  let entered: () => void = () => {};

  afterEach(async () => {
    release();
    await t?.close().catch(() => {});
    t = undefined;
  });

  it('drains an in-flight request, then refuses connections', async () => {
    const slowEntered = new Promise<void>((resolve) => (entered = resolve));
    t = await startTestKernel('pglite', {
      extraRoutes: () => [
        defineRoute({
          method: 'get',
          path: '/api/test/slow',
          operationId: 'slow',
          summary: 'Waits until the test releases it',
          tags: ['test'],
          auth: 'public',
          responses: { 200: { description: 'Done' } },
          handler: async () => {
            entered();
            await new Promise<void>((resolve) => (release = resolve));
            return { body: { finished: true } };
          },
        }),
      ],
    });
    const url = t.url;
    const inFlight = get(`${url}/api/test/slow`);
    await slowEntered;

    const closing = t.server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await get(`${url}/api/health`).then(() => 'answered', (error: NodeJS.ErrnoException) => error.code);
    release();
    const finished = await inFlight;
    await closing;

    expect(refused).toBe('ECONNREFUSED');
    expect(finished.status).toBe(200);
    expect(JSON.parse(finished.body)).toEqual({ finished: true });
  });

  it('serves a page for the studio path when the studio is not built', async () => {
    t = await startTestKernel('pglite');
    const response = await get(`${t.url}/`);

    expect(response.status).toBe(200);
    expect(response.body).toContain('studio has not been built');
  });
});
