// Probe: CPU time per run of the statement that saves finished direct runs (run saving `all`)
// in embedded PGlite, with variants of what is written. Rows come from JSON files written by
// psql from a database that `endpoint-profile.mjs all` filled (PROBE_DATABASE_URL set): the
// folder PROBE_ROWS_DIR (default /tmp/savecost) contains runs.json, steps.json and events.json,
// each written by `psql -Atc "select json_agg(r) from (select * from runs limit 400) r"` and
// the like for run_steps and run_events of those runs. PROBE_BATCH sets the runs per statement
// (default 20).
//
// Run: node --no-node-snapshot bench/probes/save-cost.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, assertKernelBuilt } from '../lib/kernel.mjs';

assertKernelBuilt();
const kernel = (file) => import(pathToFileURL(path.join(REPO_ROOT, 'kernel/dist', file)).href);
const { openDatabase } = await kernel('storage/database.js');
const { migrate } = await kernel('storage/migrator.js');
const { STEP_COLUMNS } = await kernel('runtime/run-store.js');

const dir = process.env.PROBE_ROWS_DIR ?? '/tmp/savecost';
const read = (name) => {
  try {
    return JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
  } catch (error) {
    throw new Error(`Failed to read ${path.join(dir, name)} (${error.message}): create it with psql as described at the top of this probe, or set PROBE_ROWS_DIR.`);
  }
};
const runs = read('runs.json');
const steps = read('steps.json');
const events = read('events.json');
const BATCH = Number(process.env.PROBE_BATCH ?? 20);
const RUN_COLUMNS = ['id', 'workspace_id', 'graph_id', 'version_id', 'parent_run_id', 'depth', 'status', 'mode', 'rigor', 'input', 'output', 'error', 'usage', 'created_by', 'created_at', 'started_at', 'finished_at', 'timeout_at', 'cancel_requested', 'backend', 'graph', 'input_items', 'root_run_id', 'parent_step_key'];

async function measure(label, { prepare = async () => {}, mapRun = (r) => r, withEvents = true, withSteps = true } = {}) {
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  await db.query(`insert into workspaces (id, slug, name) values ($1, 'w', 'w')`, [runs[0].workspace_id]).catch(async (error) => {
    console.error(`Failed to insert the workspace ${runs[0].workspace_id}: ${error.message}`);
  });
  await prepare(db);
  let round = 0;
  const save = async (batchRuns) => {
    round++;
    const ids = new Map(batchRuns.map((r) => [r.id, `${r.id}-${round}`]));
    const runRows = batchRuns.map((r) => ({ ...mapRun(r), id: ids.get(r.id), root_run_id: ids.get(r.id) }));
    const stepRows = withSteps ? steps.filter((s) => ids.has(s.run_id)).map((s) => ({ ...s, id: `${s.id}-${round}`, run_id: ids.get(s.run_id) })) : [];
    const eventRows = withEvents ? events.filter((e) => ids.has(e.run_id)).map((e) => ({ run_id: ids.get(e.run_id), seq: e.seq, type: e.type, data: e.data })) : [];
    await db.query(
      `with saved_runs as (insert into runs (${RUN_COLUMNS.join(', ')}) select ${RUN_COLUMNS.join(', ')} from jsonb_populate_recordset(null::runs, $1::jsonb)),
       saved_steps as (insert into run_steps (${STEP_COLUMNS.join(', ')}) select ${STEP_COLUMNS.join(', ')} from jsonb_populate_recordset(null::run_steps, $2::jsonb)),
       saved_events as (insert into run_events (run_id, seq, type, data) select run_id, seq, type, data from jsonb_populate_recordset(null::run_events, $3::jsonb))
       select 1`,
      [JSON.stringify(runRows), JSON.stringify(stepRows), JSON.stringify(eventRows)],
    );
  };
  const batches = [];
  for (let i = 0; i + BATCH <= runs.length; i += BATCH) batches.push(runs.slice(i, i + BATCH));
  for (let r = 0; r < 3; r++) for (const b of batches) await save(b);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  for (let r = 0; r < 10; r++) for (const b of batches) { await save(b); count += b.length; }
  const wall = ((performance.now() - started) * 1000) / count;
  const used = process.cpuUsage(cpu);
  console.log(`${label}: ${wall.toFixed(0)} µs wall, ${((used.user + used.system) / count).toFixed(0)} µs CPU per run`);
  await db.close();
}

await measure('as saved now');
await measure('graph left out', { mapRun: (r) => ({ ...r, graph: null }) });
await measure('no events', { withEvents: false });
await measure('no steps, no events', { withEvents: false, withSteps: false });
