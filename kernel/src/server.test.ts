import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineRoute } from './http/route.js';
import { startServer } from './server.js';
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

/**
 * Starts a kernel whose studio build is `webDir`, after `prepare` has written a stand-in
 * `handler.js` (and any assets) there. Runs `check` with the server URL, then stops the server
 * and the kernel and removes the folder.
 */
async function withStudioBuild(prepare: (webDir: string) => void, check: (url: string, webDir: string) => Promise<void>): Promise<void> {
  const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-studio-'));
  prepare(webDir);
  const kernel = await startTestKernel('pglite');
  const server = await startServer(kernel.kernel, { host: '127.0.0.1', port: 0, webDir });
  try {
    await check(server.url, webDir);
  } finally {
    server.server.close();
    await kernel.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  }
}

describe('studio assets', () => {
  it('answers 404 for an asset removed by a rebuild', async () => {
    await withStudioBuild(
      (webDir) => {
        fs.mkdirSync(path.join(webDir, 'client', '_app', 'immutable'), { recursive: true });
        fs.writeFileSync(path.join(webDir, 'client', '_app', 'immutable', 'present.js'), 'export {};');
        // A stand-in for the SvelteKit handler that responds to every request it gets.
        fs.writeFileSync(path.join(webDir, 'handler.js'), "export function handler(req, res) { res.end('studio ' + req.url); }\n");
      },
      async (url) => {
        const removed = await get(`${url}/_app/immutable/gone.js`);
        const present = await get(`${url}/_app/immutable/present.js`);
        const page = await get(`${url}/graphs`);

        expect(removed.status).toBe(404);
        expect(removed.body).toContain('reload the page');
        expect(present.body).toBe('studio /_app/immutable/present.js');
        expect(page.body).toBe('studio /graphs');
      },
    );
  });

  it('imports the build on first request', async () => {
    let marker = '';
    await withStudioBuild(
      (webDir) => {
        marker = path.join(webDir, 'imported');
        // The stand-in handler writes a file when its module is evaluated.
        fs.writeFileSync(path.join(webDir, 'handler.js'), `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(marker)}, 'yes');\nexport function handler(req, res) { res.end('studio ' + req.url); }\n`);
      },
      async (url) => {
        const health = await get(`${url}/api/health`);
        expect(health.status).toBe(200);
        expect(fs.existsSync(marker)).toBe(false);

        const [first, second] = await Promise.all([get(`${url}/graphs`), get(`${url}/settings`)]);
        expect(fs.existsSync(marker)).toBe(true);
        expect(first.body).toBe('studio /graphs');
        expect(second.body).toBe('studio /settings');
      },
    );
  });

  it('returns 500 for broken build', async () => {
    await withStudioBuild(
      (webDir) => fs.writeFileSync(path.join(webDir, 'handler.js'), "throw new Error('half-written build');\n"),
      async (url, webDir) => {
        const page = await get(`${url}/graphs`);
        const api = await get(`${url}/api/health`);

        expect(page.status).toBe(500);
        expect(page.body).toContain(`The studio build at ${path.join(webDir, 'handler.js')} could not be loaded`);
        expect(api.status).toBe(200);
      },
    );
  });
});
