// Baseline server: Hono on @hono/node-server with one route and no middleware,
// the floor that the kernel's own request handling is compared against.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/api/health', (c) => c.json({ status: 'ok' }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(`bare Hono is running at http://127.0.0.1:${info.port}`);
});

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
});
