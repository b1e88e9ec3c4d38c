// Node-RED 4.1 serving the bench workflow: http in → change (JSONata) → http response.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureInstalled } from './npm-cache.mjs';
import { freePort, startProcess, stopProcess, waitUntilReady } from './processes.mjs';
import { checkWorkflowResponse } from './workflow.mjs';

export const NODE_RED_RANGE = '4.1';
const READY_TIMEOUT_MS = 120_000;

/** The same three steps as the MIFY graph: a POST route, one transform, a JSON response. */
function benchFlows(routePath) {
  return [
    { id: 'bench_tab', type: 'tab', label: 'Bench', disabled: false, info: '' },
    { id: 'bench_in', type: 'http in', z: 'bench_tab', name: 'Webhook', url: routePath, method: 'post', upload: false, swaggerDoc: '', x: 100, y: 60, wires: [['bench_shape']] },
    {
      id: 'bench_shape',
      type: 'change',
      z: 'bench_tab',
      name: 'Shape',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{ "greeting": "Hello, " & payload.name & "!" }', tot: 'jsonata' }],
      x: 300,
      y: 60,
      wires: [['bench_respond']],
    },
    { id: 'bench_respond', type: 'http response', z: 'bench_tab', name: 'Respond', statusCode: '200', headers: { 'content-type': 'application/json' }, x: 500, y: 60, wires: [] },
  ];
}

function settingsSource(port) {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    telemetry: { enabled: false },
    editorTheme: { tours: false },
  };
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}

/**
 * Installs Node-RED into the cache when needed, writes a user folder with the settings and the
 * flows file, starts Node-RED on 127.0.0.1 and waits until the flow responds. Returns
 * `{ version, url, process, headers, close() }`.
 */
export async function startNodeRed({ routePath = '/greet' } = {}) {
  const { packageDir, version } = await ensureInstalled({ name: 'node-red', range: NODE_RED_RANGE, folder: 'node-red' });
  const userDir = await mkdtemp(path.join(os.tmpdir(), 'bench-node-red-'));
  const port = await freePort();
  await writeFile(path.join(userDir, 'settings.js'), settingsSource(port));
  await writeFile(path.join(userDir, 'flows.json'), `${JSON.stringify(benchFlows(routePath), null, 2)}\n`);

  const env = { ...process.env, NODE_RED_HOME: userDir };
  const handle = startProcess('Node-RED', process.execPath, [path.join(packageDir, 'red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { env, cwd: userDir });
  const url = `http://127.0.0.1:${port}${routePath}`;
  const close = async () => {
    await stopProcess(handle);
    await rm(userDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(handle, async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada"}' })).status === 200, { timeoutMs: READY_TIMEOUT_MS });
    await checkWorkflowResponse('Node-RED', url, {});
  } catch (error) {
    await close();
    throw error;
  }
  return { version, url, process: handle, headers: {}, close };
}
