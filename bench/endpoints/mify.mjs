// A MIFY kernel serving the bench graph at POST /api/workflow-endpoints/<slug>:
// mify.io.webhook → mify.data.edit-fields → mify.io.respond-to-webhook.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { KERNEL_ENTRY, REPO_ROOT, kernelEnv, removeDataDir, spawnServer, stopServer } from '../lib/kernel.mjs';
import { waitUntilReady } from './processes.mjs';
import { checkWorkflowResponse } from './workflow.mjs';

const execFileAsync = promisify(execFile);

const KERNEL_SOURCE_ENTRY = path.join(REPO_ROOT, 'kernel/src/cli/entry.ts');
/** Bundled extensions the bench graph needs, by folder and extension id. */
const REQUIRED_EXTENSIONS = [
  { folder: 'io', id: 'mify.io' },
  { folder: 'data', id: 'mify.data' },
  { folder: 'publish-rest', id: 'mify.publish-rest' },
];
/** Rate limits high enough that no benchmark request is rejected (calls per minute). */
const UNLIMITED_PER_MINUTE = 100_000_000;
const READY_TIMEOUT_MS = 120_000;
export const GRAPH_SLUG = 'bench-greeting';
/** The graph's endpoint settings: a per-graph rate limit that no benchmark reaches. */
const ENDPOINT_SETTINGS = { rateLimit: { limit: UNLIMITED_PER_MINUTE, windowSeconds: 60 } };

/** Builds the bench graph: a webhook trigger, one transform that keeps only `greeting`, and a JSON response. */
function benchGraph(webhookPath) {
  return {
    name: 'Bench greeting',
    nodes: [
      { id: 'hook', name: 'Webhook', type: 'mify.io.webhook', typeVersion: 1, parameters: { path: webhookPath, methods: ['POST'], responseMode: 'responseNode' }, position: { x: 0, y: 0 } },
      {
        id: 'shape',
        name: 'Shape',
        type: 'mify.data.edit-fields',
        typeVersion: 1,
        parameters: { operations: [{ op: 'set', path: 'greeting', value: 'Hello, {{ $json.body.name }}!' }, { op: 'keepOnly', paths: ['greeting'] }] },
        position: { x: 200, y: 0 },
      },
      { id: 'respond', name: 'Respond', type: 'mify.io.respond-to-webhook', typeVersion: 1, parameters: { body: 'firstItemJson' }, position: { x: 400, y: 0 } },
    ],
    edges: [
      { from: { node: 'hook' }, to: { node: 'shape' } },
      { from: { node: 'shape' }, to: { node: 'respond' } },
    ],
    settings: { rigor: 'audited' },
  };
}

/**
 * Node arguments that run the `mify` CLI: from the TypeScript sources through tsx (the kernel's
 * dev dependency), or from kernel/dist. Throws with the fix when the chosen one is missing.
 */
export function kernelCommand(kind) {
  if (kind === 'dist') {
    if (!existsSync(KERNEL_ENTRY)) throw new Error(`BENCH_KERNEL=dist, but ${KERNEL_ENTRY} is missing. Run \`npx tsc -b sdk kernel\` from the repository root, or use BENCH_KERNEL=source.`);
    return ['--no-node-snapshot', KERNEL_ENTRY];
  }

  const requireFromKernel = createRequire(path.join(REPO_ROOT, 'kernel/package.json'));
  let manifestPath;
  try {
    manifestPath = requireFromKernel.resolve('tsx/package.json');
  } catch {
    throw new Error('BENCH_KERNEL=source needs tsx, a dev dependency of the kernel, which is not installed. Run `pnpm install` at the repository root, or build the kernel and use BENCH_KERNEL=dist.');
  }
  const loader = JSON.parse(readFileSync(manifestPath, 'utf8')).exports['.'];
  const loaderPath = typeof loader === 'string' ? loader : loader.import?.default ?? loader.import ?? loader.default;
  return ['--no-node-snapshot', '--import', pathToFileURL(path.join(path.dirname(manifestPath), loaderPath)).href, KERNEL_SOURCE_ENTRY];
}

function assertExtensionsBuilt() {
  const missing = REQUIRED_EXTENSIONS.filter(({ folder }) => !existsSync(path.join(REPO_ROOT, 'extensions', folder, 'dist/index.js')));
  if (missing.length === 0) return;
  const filters = missing.map(({ folder }) => `--filter @mify/ext-${folder}`).join(' ');
  throw new Error(`Bundled extensions are not built: ${missing.map(({ folder }) => `extensions/${folder}/dist/index.js`).join(', ')} missing. Run \`pnpm ${filters} build\` from the repository root.`);
}

/**
 * Prepares a kernel data directory with an owner, an editor API key and the published bench
 * graph, on PGlite or on `databaseUrl`. `serverNodeArgs` are Node options for the server only
 * (such as `--cpu-prof`). Returns `{ start(mode), dispose() }`; `start` runs the
 * kernel with the run back end of `mode` (`embedded` or `memory`) and waits until the endpoint
 * responds.
 */
export async function prepareMify({ kernel, databaseUrl = null, webhookPath = 'greet', serverNodeArgs = [] }) {
  assertExtensionsBuilt();
  const command = kernelCommand(kernel);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-mify-'));
  const baseEnv = (overrides) => kernelEnv(dataDir, { MIFY_LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...overrides });
  const dispose = () => removeDataDir(dataDir);

  const cli = async (args) => {
    try {
      const { stdout } = await execFileAsync(process.execPath, [...command, ...args], { cwd: REPO_ROOT, env: baseEnv({}), timeout: 180_000 });
      return stdout;
    } catch (error) {
      throw new Error(`\`mify ${args.slice(0, 2).join(' ')}\` failed (exit code ${error.code}): ${error.stderr || error.message}`);
    }
  };

  let apiKey;
  try {
    // A random owner, so that a PostgreSQL database used before reports a clear setup error rather than reusing stale rows.
    const suffix = randomBytes(4).toString('hex');
    const setupOutput = await cli(['setup', '--email', `bench-${suffix}@example.com`, `--password=${randomBytes(18).toString('base64url')}`, '--workspace', `Bench ${suffix}`]);
    const workspaceSlug = /slug ([^,\s)]+)/.exec(setupOutput)?.[1];
    if (!workspaceSlug) throw new Error(`\`mify setup\` printed no workspace slug${databaseUrl ? ' (with DATABASE_URL, the database must be empty)' : ''}; its output was: ${setupOutput}`);
    apiKey = (await cli(['api-key', 'create', '--workspace', workspaceSlug, '--name', 'bench', '--role', 'editor'])).trim();
    if (!apiKey || /\s/.test(apiKey)) throw new Error(`\`mify api-key create\` printed no single key; its output was: ${apiKey}`);
  } catch (error) {
    await dispose();
    throw error;
  }
  const headers = { authorization: `Bearer ${apiKey}` };
  let graphId = null;

  /** Starts the kernel with run back end `backend`, publishes the graph on the first start, and waits until the endpoint responds. */
  async function start(backend) {
    const env = baseEnv({ MIFY_RUN_BACKEND: backend, MIFY_RATE_LIMIT_IP_PER_MINUTE: String(UNLIMITED_PER_MINUTE), MIFY_RATE_LIMIT_KEY_PER_MINUTE: String(UNLIMITED_PER_MINUTE) });
    const server = await spawnServer([...serverNodeArgs, ...command, 'start', '--host', '127.0.0.1', '--port', '0'], { env, timeoutMs: READY_TIMEOUT_MS });
    const handle = { name: 'MIFY kernel', child: server.child, lastOutput: () => server.output.join('').slice(-4000) };
    const url = `${server.url}/api/workflow-endpoints/${GRAPH_SLUG}`;

    try {
      // Extensions load after the server listens, so wait until the three the graph needs are active.
      await waitUntilReady(handle, () => extensionsActive(server.url, headers), { timeoutMs: READY_TIMEOUT_MS });
      if (graphId === null) graphId = await publishGraph(server.url, headers, webhookPath);
      await checkWorkflowResponse('MIFY', url, headers);
    } catch (error) {
      await stopServer(server.child);
      throw error;
    }
    /** Sets the graph's settings.endpoint.runSaving and checks that the endpoint still responds. */
    const setRunSaving = async (runSaving) => {
      const response = await fetch(`${server.url}/api/graphs/${graphId}`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ settings: { endpoint: { ...ENDPOINT_SETTINGS, runSaving } } }),
      });
      if (response.status !== 200) throw new Error(`PUT /api/graphs/${graphId} with runSaving ${runSaving} returned ${response.status}: ${(await response.text()).slice(0, 1000)}`);
      await checkWorkflowResponse('MIFY', url, headers);
    };
    return { url, process: handle, headers, setRunSaving, close: () => stopServer(server.child, { timeoutMs: 30_000 }) };
  }

  return { start, dispose, dataDir };
}

async function extensionsActive(baseUrl, headers) {
  const response = await fetch(`${baseUrl}/api/extensions`, { headers });
  if (response.status !== 200) return false;
  const { items } = await response.json();
  return REQUIRED_EXTENSIONS.every(({ id }) => items.some((extension) => extension.id === id && extension.state === 'active'));
}

/**
 * Creates the graph with its slug and a per-graph rate limit no benchmark reaches, then
 * publishes it. The endpoint serves only the published version.
 */
async function publishGraph(baseUrl, headers, webhookPath) {
  const jsonHeaders = { ...headers, 'content-type': 'application/json' };
  const body = {
    name: 'Bench greeting',
    slug: GRAPH_SLUG,
    description: 'Webhook → edit fields → respond to webhook, for bench/endpoints',
    endpointAuth: 'api_key',
    settings: { endpoint: ENDPOINT_SETTINGS },
    definition: benchGraph(webhookPath),
  };
  const created = await fetch(`${baseUrl}/api/graphs`, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(body) });
  const graph = await created.json();
  if (created.status !== 201) throw new Error(`POST /api/graphs returned ${created.status}: ${JSON.stringify(graph).slice(0, 1000)}`);

  const publishedResponse = await fetch(`${baseUrl}/api/graphs/${graph.id}/publish`, { method: 'POST', headers });
  const version = await publishedResponse.json();
  if (publishedResponse.status >= 300) throw new Error(`POST /api/graphs/${graph.id}/publish returned ${publishedResponse.status}: ${JSON.stringify(version).slice(0, 1000)}`);
  return graph.id;
}
