// Probe: CPU time per request of the kernel's Hono app for GET /api/workspace with an API key,
// called in process through app.fetch, without sockets or a load generator, beside a bare Hono
// app with one route. It isolates the kernel's own request handling (request id, API key,
// rate limit, routing, response) from Node's HTTP server and the machine's other processes.
//
// Requests go in batches of 20 concurrent calls, like the 20 connections of bench/http. The
// request object is a plain stand-in for the lightweight Request of @hono/node-server, whose
// globals are installed first, and `c.env.incoming` carries the headers as Node parses them.
// The stand-in builds a Headers object for every request, which the adapter does only when code
// reads the headers through the Request, as `c.req.header()` does. Both apps carry that cost.
//
// Run: node --no-node-snapshot bench/probes/http-app-cost.mjs   (needs `npx tsc -b sdk kernel` first)
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { assertKernelBuilt, prepareDataDir, removeDataDir } from '../lib/kernel.mjs';
import { markdownTable, round } from '../lib/stats.mjs';

const REQUESTS = 300_000;
const ROUNDS = 3;
const CONCURRENCY = 20;
const PATH = '/api/workspace';

assertKernelBuilt();
// Installs the adapter's lightweight Response as the global one, as a running server does.
getRequestListener(() => new Response(''));

const { createKernel } = await import('../../kernel/dist/kernel.js');
const { loadConfig } = await import('../../kernel/dist/config.js');

const { dataDir, apiKey } = await prepareDataDir({ withApiKey: true });
const config = loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'warn', MIFY_RATE_LIMIT_IP_PER_MINUTE: '100000000', MIFY_RATE_LIMIT_KEY_PER_MINUTE: '100000000' });
const kernel = await createKernel({ config, loadExtensions: false, executeRuns: false });

try {
  const bare = new Hono();
  bare.get(PATH, (c) => c.json({ status: 'ok' }));

  const incoming = { method: 'GET', url: PATH, headers: { host: '127.0.0.1', authorization: `Bearer ${apiKey}`, accept: '*/*' }, socket: { remoteAddress: '127.0.0.1' } };
  // The adapter builds a Request's Headers lazily from Node's headers; here every request pays for it.
  const newRequest = () => ({ method: 'GET', url: `http://127.0.0.1${PATH}`, headers: new Headers(incoming.headers) });
  const bindings = { incoming, outgoing: {} };
  const rows = [];
  for (const [name, app] of [['bare Hono', bare], ['kernel', kernel.app]]) {
    const first = await app.fetch(newRequest(), bindings);
    if (first.status !== 200) throw new Error(`${name}: GET ${PATH} returned ${first.status}, expected 200: ${await first.text()}`);

    const perRound = [];
    for (let attempt = 0; attempt < ROUNDS; attempt++) perRound.push(await measure(app, bindings, newRequest));
    rows.push([name, ...perRound.map((us) => round(us, 2))]);
  }
  console.log(markdownTable(['app', ...Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}, CPU µs per request`)], rows));
} finally {
  await kernel.close();
  await removeDataDir(dataDir);
}

/** Returns the CPU time per request of REQUESTS calls, in microseconds. */
async function measure(app, bindings, newRequest) {
  const before = process.cpuUsage();
  for (let sent = 0; sent < REQUESTS; sent += CONCURRENCY) {
    const batch = [];
    for (let i = 0; i < CONCURRENCY; i++) batch.push(app.fetch(newRequest(), bindings));
    await Promise.all(batch);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}
