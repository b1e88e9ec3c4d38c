// n8n 1.123 serving the bench workflow: Webhook → Edit Fields (Set) → Respond to Webhook.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureInstalled } from './npm-cache.mjs';
import { freePort, startProcess, stopProcess, waitUntilReady } from './processes.mjs';
import { checkWorkflowResponse } from './workflow.mjs';

const execFileAsync = promisify(execFile);

export const N8N_RANGE = '1.123';
/** n8n compiles nothing at start, but loads about 400 node types and runs its migrations. */
const READY_TIMEOUT_MS = 240_000;
const CLI_TIMEOUT_MS = 240_000;
/** n8n workflow ids are 16 characters. */
const WORKFLOW_ID = 'BenchGreeting001';

/** Builds the same three steps as the MIFY graph. Set 3.4 without "include other fields" keeps only `greeting`. */
function benchWorkflow(webhookPath) {
  return {
    id: WORKFLOW_ID,
    name: 'Bench greeting',
    active: false,
    settings: { executionOrder: 'v1' },
    pinData: {},
    nodes: [
      { id: randomUUID(), name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: randomUUID(), parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'responseNode', options: {} } },
      {
        id: randomUUID(),
        name: 'Edit Fields',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { assignments: { assignments: [{ id: randomUUID(), name: 'greeting', value: '=Hello, {{ $json.body.name }}!', type: 'string' }] }, options: {} },
      },
      { id: randomUUID(), name: 'Respond to Webhook', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1.1, position: [400, 0], parameters: { respondWith: 'firstIncomingItem', options: {} } },
    ],
    connections: {
      Webhook: { main: [[{ node: 'Edit Fields', type: 'main', index: 0 }]] },
      'Edit Fields': { main: [[{ node: 'Respond to Webhook', type: 'main', index: 0 }]] },
    },
  };
}

/**
 * Environment of every n8n process: its own user folder (SQLite database, settings), the
 * listener on 127.0.0.1, and no calls home (telemetry, version checks, templates).
 */
function n8nEnv(userFolder, port, extra) {
  return {
    ...process.env,
    N8N_USER_FOLDER: userFolder,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PROTOCOL: 'http',
    WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    N8N_LOG_LEVEL: 'warn',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_HIRING_BANNER_ENABLED: 'false',
    N8N_SECURE_COOKIE: 'false',
    ...extra,
  };
}

/**
 * Prepares n8n once: installs it into the cache when needed, creates a user folder and imports
 * and activates the bench workflow with n8n's CLI. Returns `{ version, start(mode), dispose() }`;
 * `start` runs a server with executions saved (`saved`) or not (`unsaved`).
 */
export async function prepareN8n({ webhookPath = 'greet' } = {}) {
  const { packageDir, version } = await ensureInstalled({ name: 'n8n', range: N8N_RANGE, folder: 'n8n' });
  const bin = path.join(packageDir, 'bin', 'n8n');
  const userFolder = await mkdtemp(path.join(os.tmpdir(), 'bench-n8n-'));
  const dispose = () => rm(userFolder, { recursive: true, force: true });

  const cli = async (args, port) => {
    try {
      return await execFileAsync(process.execPath, [bin, ...args], { env: n8nEnv(userFolder, port, {}), cwd: userFolder, timeout: CLI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      throw new Error(`\`n8n ${args.join(' ')}\` failed (exit code ${error.code}): ${(error.stderr || error.stdout || error.message).slice(-4000)}`);
    }
  };

  try {
    const workflowFile = path.join(userFolder, 'bench-workflow.json');
    await writeFile(workflowFile, `${JSON.stringify(benchWorkflow(webhookPath), null, 2)}\n`);
    const port = await freePort();
    await cli(['import:workflow', `--input=${workflowFile}`], port);
    await cli(['update:workflow', `--id=${WORKFLOW_ID}`, '--active=true'], port);
  } catch (error) {
    await dispose();
    throw error;
  }

  /** Starts `n8n start` with executions saved or not, and waits until the webhook responds. */
  async function start(mode) {
    const port = await freePort();
    const saving = mode === 'saved' ? { EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all', EXECUTIONS_DATA_SAVE_ON_ERROR: 'all' } : { EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none', EXECUTIONS_DATA_SAVE_ON_ERROR: 'none' };
    const handle = startProcess('n8n', process.execPath, [bin, 'start'], { env: n8nEnv(userFolder, port, saving), cwd: userFolder });
    const url = `http://127.0.0.1:${port}/webhook/${webhookPath}`;
    try {
      await waitUntilReady(handle, async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada"}' })).status === 200, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500 });
      await checkWorkflowResponse('n8n', url, {});
    } catch (error) {
      await stopProcess(handle);
      throw error;
    }
    return { url, process: handle, headers: {}, settings: saving, close: () => stopProcess(handle, { timeoutMs: 30_000 }) };
  }

  return { version, start, dispose };
}
