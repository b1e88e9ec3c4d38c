// Throughput and p99 latency of one published 3-node workflow (webhook-style input, one
// transform, JSON response) on MIFY, n8n 1.123 and Node-RED 4.1, all on 127.0.0.1.
//
// MIFY serves the graph at POST /api/workflow-endpoints/<slug> with every node in its isolate
// sandbox; n8n serves it as a production webhook; Node-RED as an http in flow. n8n and Node-RED
// are installed from npm into bench/endpoints/.cache on first run. Each system and mode is
// loaded by autocannon from this process: a warm-up, then a measured run. A system that cannot
// be installed or started is recorded with its error, and the run exits with code 1.
//
// Settings, as environment variables:
//   BENCH_DURATION_S    measured seconds per system and mode (default 10)
//   BENCH_WARMUP_S      warm-up seconds before each measured run (default 3)
//   BENCH_CONNECTIONS   concurrent connections (default 20)
//   BENCH_SYSTEMS       comma-separated subset of mify,n8n,node-red (default all three)
//   BENCH_KERNEL        source (kernel/src through tsx, default) or dist (kernel/dist)
//   BENCH_MIFY_MODES    comma-separated subset of durable,all,none (default all three)
//   BENCH_RESULT_FILE   JSON result (default bench/results/endpoints.json)
//   DATABASE_URL        when set, MIFY is measured on that PostgreSQL database as well; it must be empty
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../lib/kernel.mjs';
import { describeMachine } from '../lib/machine.mjs';
import { readSettings } from '../lib/settings.mjs';
import { markdownTable, round } from '../lib/stats.mjs';
import { measureEndpoint } from './load.mjs';
import { prepareMify } from './mify.mjs';
import { prepareN8n } from './n8n.mjs';
import { startNodeRed } from './node-red.mjs';
import { REQUEST_BODY } from './workflow.mjs';

/** MIFY's throughput with run saving off must reach this multiple of Node-RED's. */
const NODE_RED_RATIO_GOAL = 1.5;
/** MIFY's throughput with run records saved must reach this multiple of n8n's with executions saved. */
const N8N_RATIO_GOAL = 10;
const SYSTEMS = ['mify', 'n8n', 'node-red'];
/** The graph's settings.endpoint.runSaving values measured, and which goal each one counts for. */
const MIFY_MODES = [
  { runSaving: 'durable', saving: 'on', label: 'run records saved, durable (default: journaled step by step)' },
  { runSaving: 'all', saving: 'on', label: 'run records saved when the run ends (runSaving: all)' },
  { runSaving: 'none', saving: 'off', label: 'run saving off (runSaving: none)' },
];

const settings = readSettings({
  durationS: { variable: 'BENCH_DURATION_S', fallback: 10, min: 1, max: 600, unit: 'seconds' },
  warmupS: { variable: 'BENCH_WARMUP_S', fallback: 3, min: 0, max: 120, unit: 'seconds' },
  connections: { variable: 'BENCH_CONNECTIONS', fallback: 20, min: 1, max: 1000, unit: 'connections' },
});
const systems = parseSystems(process.env.BENCH_SYSTEMS);
const kernelKind = parseKernelKind(process.env.BENCH_KERNEL);
const resultFile = path.resolve(process.env.BENCH_RESULT_FILE ?? path.join(REPO_ROOT, 'bench/results/endpoints.json'));

/** Cleanup callbacks of everything started and not yet stopped, newest last. */
const cleanups = [];

function parseSystems(raw) {
  if (!raw) return SYSTEMS;
  const names = raw.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !SYSTEMS.includes(name));
  if (unknown.length > 0 || names.length === 0) throw new Error(`BENCH_SYSTEMS=${JSON.stringify(raw)} is invalid: expected a comma-separated subset of ${SYSTEMS.join(',')}.`);
  return names;
}

function parseKernelKind(raw) {
  if (!raw) return 'source';
  if (raw !== 'source' && raw !== 'dist') throw new Error(`BENCH_KERNEL=${JSON.stringify(raw)} is invalid: expected source or dist.`);
  return raw;
}

async function main() {
  const machine = describeMachine();
  console.log(`Machine: ${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.memoryMiB} MiB, Node ${machine.node}, load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  console.log(`Load: POST, ${settings.connections} connections, ${settings.warmupS} s warm-up, ${settings.durationS} s measured per system and mode\n`);

  const results = [];
  const versions = {};
  if (systems.includes('node-red')) await runSystem('Node-RED', () => measureNodeRed(results, versions), results);
  if (systems.includes('mify')) {
    await runSystem('MIFY (PGlite)', () => measureMify(results, { database: 'pglite', databaseUrl: null }), results);
    if (process.env.DATABASE_URL) await runSystem('MIFY (PostgreSQL)', () => measureMify(results, { database: 'postgresql', databaseUrl: process.env.DATABASE_URL }), results);
  }
  if (systems.includes('n8n')) await runSystem('n8n', () => measureN8n(results, versions), results);

  await report(machine, versions, results);
}

/** Runs one system's measurements; a failure is recorded as a result row with the error, and the other systems still run. */
async function runSystem(label, measureAll, results) {
  console.log(`== ${label}`);
  try {
    await measureAll();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${label} failed: ${message}`);
    results.push({ system: label, mode: null, error: message, valid: false });
  } finally {
    await cleanUp();
  }
}

async function measureNodeRed(results, versions) {
  const server = track(await startNodeRed(), (nodeRed) => nodeRed.close());
  versions.nodeRed = server.version;
  results.push(await measureMode({ system: 'Node-RED', version: server.version, mode: 'no run records', saving: 'off', server }));
}

/** Returns the modes named in BENCH_MIFY_MODES, or all of them. */
function selectedModes() {
  const requested = process.env.BENCH_MIFY_MODES;
  if (!requested) return MIFY_MODES;
  const names = requested.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !MIFY_MODES.some((mode) => mode.runSaving === name));
  if (unknown.length > 0) throw new Error(`BENCH_MIFY_MODES names unknown modes: ${unknown.join(', ')}; use a comma-separated subset of ${MIFY_MODES.map((mode) => mode.runSaving).join(',')}.`);
  return MIFY_MODES.filter((mode) => names.includes(mode.runSaving));
}

async function measureMify(results, { database, databaseUrl }) {
  const prepared = track(await prepareMify({ kernel: kernelKind, databaseUrl }), (mify) => mify.dispose());
  const system = database === 'pglite' ? 'MIFY (PGlite)' : 'MIFY (PostgreSQL)';
  const server = await prepared.start('embedded');
  track(server, (running) => running.close());
  for (const mode of selectedModes()) {
    await server.setRunSaving(mode.runSaving);
    results.push(await measureMode({ system, version: 'working tree', mode: mode.label, saving: mode.saving, runSaving: mode.runSaving, kernel: kernelKind, database, server }));
  }
  await untrack(server);
}

async function measureN8n(results, versions) {
  const prepared = track(await prepareN8n(), (n8n) => n8n.dispose());
  versions.n8n = prepared.version;
  for (const saving of ['saved', 'unsaved']) {
    const server = await prepared.start(saving);
    track(server, (running) => running.close());
    const mode = saving === 'saved' ? 'executions saved (EXECUTIONS_DATA_SAVE_ON_SUCCESS=all)' : 'executions not saved (EXECUTIONS_DATA_SAVE_ON_SUCCESS=none)';
    results.push(await measureMode({ system: 'n8n', version: prepared.version, mode, saving: saving === 'saved' ? 'on' : 'off', settings: server.settings, server }));
    await untrack(server);
  }
}

async function measureMode({ server, ...description }) {
  console.log(`  ${description.mode}: measuring ${server.url} ...`);
  const measured = await measureEndpoint({ url: server.url, headers: server.headers, serverPid: server.process.child.pid, connections: settings.connections, durationS: settings.durationS, warmupS: settings.warmupS });
  console.log(`    ${Math.round(measured.requestsPerSecond)} requests/s, p99 ${round(measured.latencyMs.p99, 1)} ms, non-2xx ${measured.failures.non2xx}, load average ${measured.loadAverage.before[0]} → ${measured.loadAverage.after[0]}`);
  return { ...description, url: server.url.replace(/:\d+\//, ':<port>/'), available: true, ...measured };
}

/** Registers `cleanUpResource(resource)` to run on failure or Ctrl-C, and returns `resource`. */
function track(resource, cleanUpResource) {
  const entry = () => cleanUpResource(resource);
  cleanups.push(entry);
  trackedEntries.set(resource, entry);
  return resource;
}

const trackedEntries = new WeakMap();

/** Cleans up one tracked resource now. */
async function untrack(resource) {
  const entry = trackedEntries.get(resource);
  trackedEntries.delete(resource);
  cleanups.splice(cleanups.indexOf(entry), 1);
  await entry();
}

async function cleanUp() {
  while (cleanups.length > 0) {
    const entry = cleanups.pop();
    await entry().catch((error) => console.error(`cleanup failed: ${error.message}`));
  }
}

process.once('SIGINT', () => {
  console.error('Interrupted. Stopping the servers and removing their folders.');
  cleanUp().finally(() => process.exit(130));
});

function ratioGoal(numerator, denominator, goal) {
  if (!numerator?.available || !numerator.valid || !denominator?.valid || denominator.error) return { ratio: null, goal, met: null };
  const ratio = numerator.requestsPerSecond / denominator.requestsPerSecond;
  return { ratio, goal, met: ratio >= goal };
}

async function report(machine, versions, results) {
  const rows = results.map((r) => {
    if (r.error) return [r.system, 'failed', '—', '—', '—', '—', '—', r.error.split('\n')[0].slice(0, 160)];
    if (!r.available) return [r.system, r.mode, 'n/a', 'n/a', '—', '—', '—', 'not available (see README)'];
    return [r.system, r.mode, Math.round(r.requestsPerSecond), round(r.latencyMs.p99, 1), `${r.failures.non2xx} / ${r.failures.errors + r.failures.timeouts + r.failures.resets}`, Math.round(r.serverCpuPercent), Math.round(r.otherProcessesCpuPercent), `${r.loadAverage.before[0]} → ${r.loadAverage.after[0]}`];
  });
  console.log(`\n${markdownTable(['system', 'mode', 'req/s', 'p99 ms', 'non-2xx / errors', 'server CPU %', 'other processes CPU %', 'load average (1 min)'], rows)}\n`);
  console.log(`CPU % is of one CPU, and this machine has ${machine.cpus}.`);

  const mifyOf = (runSaving) => results.find((r) => r.system === 'MIFY (PGlite)' && r.runSaving === runSaving);
  const mifyDurable = mifyOf('durable');
  const mifySaved = mifyOf('all');
  const mifyUnsaved = mifyOf('none');
  const n8nSaved = results.find((r) => r.system === 'n8n' && r.saving === 'on');
  const nodeRed = results.find((r) => r.system === 'Node-RED' && !r.error);
  const goals = {
    nodeRedRunSavingOff: ratioGoal(mifyUnsaved, nodeRed, NODE_RED_RATIO_GOAL),
    n8nExecutionsSaved: ratioGoal(mifySaved, n8nSaved, N8N_RATIO_GOAL),
    n8nExecutionsSavedWithDurableRuns: ratioGoal(mifyDurable, n8nSaved, N8N_RATIO_GOAL),
  };
  const describeGoal = (goal) => (goal.ratio === null ? 'not measured' : `${round(goal.ratio, 3)} — ${goal.met ? 'met' : 'missed'}`);
  console.log(`MIFY run saving off / Node-RED (goal ≥ ${NODE_RED_RATIO_GOAL}): ${describeGoal(goals.nodeRedRunSavingOff)}`);
  console.log(`MIFY run records saved when the run ends / n8n executions saved (goal ≥ ${N8N_RATIO_GOAL}): ${describeGoal(goals.n8nExecutionsSaved)}`);
  console.log(`MIFY durable runs / n8n executions saved (goal ≥ ${N8N_RATIO_GOAL}, shown for reference): ${describeGoal(goals.n8nExecutionsSavedWithDurableRuns)}`);

  const valid = results.every((r) => r.valid);
  if (!valid) console.log('INVALID RUN: a system failed, or some responses were not 2xx. See the table above.');
  const record = {
    benchmark: 'endpoints',
    date: new Date().toISOString(),
    command: 'pnpm --filter @mify/bench run bench:endpoints',
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((value) => round(value, 2)) },
    versions: { ...versions, mifyKernel: kernelKind === 'source' ? 'kernel/src of the working tree, through tsx' : 'kernel/dist' },
    settings: { ...settings, systems, kernel: kernelKind, method: 'POST', body: JSON.parse(REQUEST_BODY), loadGenerator: 'autocannon 9.0.0, in the bench process' },
    results,
    goals,
    valid,
  };
  await mkdir(path.dirname(resultFile), { recursive: true });
  await writeFile(resultFile, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`Result written to ${path.relative(process.cwd(), resultFile) || resultFile}`);
  process.exitCode = valid ? 0 : 1;
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await cleanUp();
  process.exit(1);
});
