// Server of bench/probes/pglite-next-tick.mjs: the bare Hono app of bench/http, after opening
// an embedded database (PGlite, through the kernel's openDatabase) or not, depending on
// PROBE_MODE:
//   none         no database
//   pglite       opens the database before serving
//   pglite-warm  calls process.nextTick 10,000 times, then opens the database
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { openDatabase } from '../../kernel/dist/storage/database.js';

/** nextTick calls before the database opens in `pglite-warm` mode, enough for V8 to optimize nextTick. */
const WARM_UP_TICKS = 10_000;

const mode = process.env.PROBE_MODE ?? 'none';
if (!['none', 'pglite', 'pglite-warm'].includes(mode)) {
  console.error(`PROBE_MODE=${mode} is invalid: expected none, pglite or pglite-warm.`);
  process.exit(2);
}

if (mode === 'pglite-warm') {
  for (let i = 0; i < WARM_UP_TICKS; i++) process.nextTick(() => {});
  await new Promise((resolve) => setImmediate(resolve));
}

let database = null;
const dataDir = mode === 'none' ? null : mkdtempSync(path.join(os.tmpdir(), 'mify-probe-'));
if (dataDir) database = await openDatabase({ dataDir });

const app = new Hono();
app.get('/api/health', (c) => c.json({ status: 'ok' }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(`probe server (${mode}) is running at http://127.0.0.1:${info.port}`);
});

process.once('SIGTERM', () => {
  server.close(async () => {
    await database?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
  server.closeAllConnections?.();
});
