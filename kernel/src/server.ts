import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { attachCollab, type CollabEndpoint } from './collab/attach.js';
import type { Kernel } from './kernel.js';

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void;

/** Built studio of the repository (SvelteKit adapter-node output); the same path from `src/` and `dist/`. */
export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/build');

export interface RunningServer {
  url: string;
  server: http.Server;
  /** The live collaboration server on `/api/collab`. */
  collab: CollabEndpoint;
  /** Stops accepting connections, waits for in-flight requests up to the shutdown timeout, then closes the kernel. */
  close(): Promise<void>;
}

/**
 * Returns the studio's request handler, which imports the studio build with the first request
 * it serves, or null when there is no build. The import takes about 45 ms and 12 MiB, which a
 * kernel that only serves the API never spends.
 */
function lazyStudio(webDir: string, logger: Kernel['services']['logger']): NodeHandler | null {
  const handlerPath = path.join(webDir, 'handler.js');
  if (!fs.existsSync(handlerPath)) return null;
  let loading: Promise<NodeHandler> | undefined;
  return (req, res, next) => {
    loading ??= import(pathToFileURL(handlerPath).href).then((module: { handler: NodeHandler }) => module.handler);
    loading.then(
      (handler) => handler(req, res, next),
      (error: unknown) => {
        logger.error({ err: error, handlerPath }, 'loading the studio build failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`The studio build at ${handlerPath} could not be loaded. Rebuild it with \`npm run build\` and restart the kernel.`);
      },
    );
  };
}

/** Tells whether `url` names a built studio asset (under `/_app/`) whose file no longer exists. */
function staticFileGone(webDir: string, url: string): boolean {
  if (!url.startsWith('/_app/')) return false;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.split(/[?#]/)[0]!);
  } catch {
    return false;
  }
  const file = path.join(webDir, 'client', pathname);
  if (!file.startsWith(path.join(webDir, 'client') + path.sep)) return false;
  return !fs.existsSync(file);
}

const STUDIO_MISSING_PAGE = `<!doctype html><meta charset="utf-8"><title>MIFY</title>
<body style="font-family: system-ui; max-width: 40rem; margin: 4rem auto">
<h1>MIFY kernel is running</h1>
<p>The studio has not been built. Run <code>npm start</code> from the repository root, which builds it, or use the API under <a href="/api/openapi.json">/api</a>.</p>
</body>`;

/**
 * Serves the kernel's API under /api and the studio everywhere else on one
 * port, and drains in-flight requests on close.
 *
 * @example
 * const running = await startServer(kernel);
 * process.once('SIGTERM', () => running.close());
 */
export async function startServer(kernel: Kernel, options: { host?: string; port?: number; webDir?: string } = {}): Promise<RunningServer> {
  const { config, logger } = kernel.services;
  const host = options.host ?? config.host;
  const port = options.port ?? config.port;
  const api = getRequestListener(kernel.app.fetch);
  const studioDir = options.webDir ?? config.webDir ?? DEFAULT_WEB_DIR;
  const studio = lazyStudio(studioDir, logger);
  if (!studio) logger.warn('studio build not found; serving the API only');

  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  const server = http.createServer((req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    });
    if (draining) res.setHeader('connection', 'close');

    const url = req.url ?? '/';
    if (url === '/api' || url.startsWith('/api/') || url.startsWith('/api?')) {
      api(req, res);
    } else if (studio && staticFileGone(studioDir, url)) {
      // The studio was rebuilt under the running kernel: its file index names files that are
      // gone, and serving one would fail on a stream nobody listens to.
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found: the studio was rebuilt; reload the page.');
    } else if (studio) {
      studio(req, res, () => {
        res.statusCode = 404;
        res.end('Not found');
      });
    } else {
      res.writeHead(url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(STUDIO_MISSING_PAGE);
    }
  });
  server.keepAliveTimeout = 5_000;
  const collab = attachCollab(server, kernel.services);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  logger.info({ url }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    collab,
    close() {
      closing ??= (async () => {
        draining = true;
        logger.info({ inFlight }, 'shutting down: no new connections, draining in-flight requests');
        await collab.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();

        if (inFlight > 0) {
          const timedOut = await Promise.race([
            new Promise<false>((resolve) => (drained = () => resolve(false))),
            new Promise<true>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref()),
          ]);
          if (timedOut) logger.warn({ inFlight, timeoutMs: config.shutdownTimeoutMs }, 'shutdown timeout reached; closing remaining connections');
        }
        server.closeAllConnections();
        await closed;
        await kernel.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
