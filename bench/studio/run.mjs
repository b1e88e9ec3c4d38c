// Measures the studio's graph editor with a 200-node graph in headless Chromium:
// (a) time from navigation until the canvas is interactive, and (b) the frame
// rate while a node is dragged. Starts its own kernel on 127.0.0.1 with a
// temporary data directory, and removes both at the end.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { assertKernelBuilt, KERNEL_ENTRY, kernelEnv, REPO_ROOT, spawnServer, trackBenchResources } from '../lib/kernel.mjs';
import { describeMachine } from '../lib/machine.mjs';
import { markdownTable, round, summarize } from '../lib/stats.mjs';

// playwright-core is a devDependency of the studio package, so it is resolved from there.
const { chromium } = createRequire(path.join(REPO_ROOT, 'web', 'package.json'))('playwright-core');

function positiveInteger(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got '${raw}'.`);
  return value;
}

const settings = {
  /** Measured page loads (each with one drag); one unrecorded load comes first. */
  runs: positiveInteger('BENCH_STUDIO_RUNS', 5),
  /** Nodes of the generated graph. */
  nodes: positiveInteger('BENCH_STUDIO_NODES', 200),
  /** Duration of the scripted drag, in milliseconds. */
  dragMs: positiveInteger('BENCH_STUDIO_DRAG_MS', 2000),
  /** Pause between two pointer moves of the drag, in milliseconds. */
  moveIntervalMs: positiveInteger('BENCH_STUDIO_MOVE_INTERVAL_MS', 8),
  viewport: { width: 1280, height: 800 },
};
const chromiumPath = process.env.MIFY_CHROMIUM_PATH ?? '/usr/bin/chromium';
const resultFile = process.env.BENCH_RESULT_FILE ?? path.join(REPO_ROOT, 'bench/results/studio.json');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Builds a chain of Edit fields nodes on a grid, each setting one field, so the graph is valid and every node has an edge. */
function generatedGraph(count) {
  const columns = 20;
  const nodes = Array.from({ length: count }, (_, index) => ({
    id: `n${index}`,
    type: 'mify.data.edit-fields',
    typeVersion: 1,
    name: `Step ${index + 1}`,
    parameters: { operations: [{ op: 'set', path: `field${index}`, value: String(index), type: 'number' }] },
    position: { x: (index % columns) * 260, y: Math.floor(index / columns) * 140 },
  }));
  const edges = nodes.slice(1).map((node, index) => ({ from: { node: nodes[index].id, port: 'main' }, to: { node: node.id, port: 'main' } }));
  return { nodes, edges };
}

/**
 * Loads the editor and returns two times in milliseconds since the navigation
 * started. `renderedMs` is when all nodes are in the DOM and measured, because
 * xyflow shows a node once it has measured its size. `interactiveMs` is when a
 * click on a node has selected it and the node panel shows its name.
 */
async function measureLoad(page, url, nodeCount) {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(
    (expected) => {
      const nodes = document.querySelectorAll('.svelte-flow__node');
      return nodes.length === expected && [...nodes].every((node) => getComputedStyle(node).visibility !== 'hidden');
    },
    nodeCount,
    { timeout: 120_000, polling: 'raf' },
  );
  const renderedMs = await page.evaluate(() => performance.now());

  const target = page.getByRole('group', { name: 'Node Step 1', exact: true });
  await target.click();
  await page.getByRole('complementary', { name: 'Selected node' }).getByRole('heading', { level: 2, name: 'Step 1' }).waitFor({ timeout: 60_000 });
  const interactiveMs = await page.evaluate(() => performance.now());
  return { renderedMs, interactiveMs };
}

/**
 * Drags a node for `dragMs` with real pointer events while the page counts
 * animation frames. Returns frames per second over the drag, the longest
 * frame, and how far the node moved (a drag that moved nothing is invalid).
 */
async function measureDrag(page, { dragMs, moveIntervalMs }) {
  const node = page.getByRole('group', { name: 'Node Step 2', exact: true });
  const before = await node.boundingBox();
  if (!before) throw new Error('Node "Step 2" is not visible, so it cannot be dragged.');

  await page.evaluate(() => {
    const state = { frames: 0, times: [], running: true };
    window.__benchFrames = state;
    const tick = (time) => {
      if (!state.running) return;
      state.frames += 1;
      state.times.push(time);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });

  const start = { x: before.x + before.width / 2, y: before.y + 12 };
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  const startedAt = performance.now();
  let step = 0;
  while (performance.now() - startedAt < dragMs) {
    step += 1;
    const angle = step / 20;
    await page.mouse.move(start.x + 120 * Math.sin(angle), start.y + 60 * Math.sin(angle * 2));
    await new Promise((resolve) => setTimeout(resolve, moveIntervalMs));
  }
  await page.mouse.move(start.x + 150, start.y + 40);
  await page.mouse.up();

  const frames = await page.evaluate(() => {
    const state = window.__benchFrames;
    state.running = false;
    const gaps = state.times.slice(1).map((time, index) => time - state.times[index]);
    return { count: state.frames, spanMs: state.times.at(-1) - state.times[0], longestMs: Math.max(...gaps) };
  });
  const after = await node.boundingBox();
  return {
    fps: ((frames.count - 1) * 1000) / frames.spanMs,
    longestFrameMs: frames.longestMs,
    moves: step,
    movedPx: after ? Math.hypot(after.x - before.x, after.y - before.y) : 0,
  };
}

async function main() {
  assertKernelBuilt();
  if (!existsSync(path.join(REPO_ROOT, 'web/build/handler.js'))) throw new Error('The studio is not built: web/build/handler.js is missing. Run `pnpm --filter @mify/web build` first.');
  if (!existsSync(chromiumPath)) throw new Error(`No Chromium at ${chromiumPath}. Install Debian's chromium or set MIFY_CHROMIUM_PATH.`);

  const resources = trackBenchResources('kernel');
  let browser;
  try {
    resources.dataDir = await mkdtemp(path.join(os.tmpdir(), 'mify-bench-studio-'));
    resources.server = await spawnServer(['--no-node-snapshot', KERNEL_ENTRY, 'start', '--host', '127.0.0.1', '--port', '0'], { env: kernelEnv(resources.dataDir, { MIFY_LOG_LEVEL: 'warn' }) });
    const { url } = resources.server;

    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL: url, viewport: settings.viewport, colorScheme: 'light' });
    const setup = await context.request.post('/api/setup', { data: { email: 'bench@example.com', password: 'bench password 1234', workspace: 'Bench' } });
    if (setup.status() !== 201) throw new Error(`POST /api/setup returned ${setup.status()}: ${await setup.text()}`);
    const workspaceId = (await setup.json()).workspace.id;

    const created = await context.request.post('/api/graphs', { data: { name: `${settings.nodes} nodes`, definition: generatedGraph(settings.nodes) }, headers: { 'x-mify-workspace': workspaceId } });
    if (created.status() !== 201) throw new Error(`POST /api/graphs returned ${created.status()}: ${await created.text()}`);
    const editorUrl = `/graphs/${(await created.json()).id}`;

    const runs = [];
    for (let index = 0; index <= settings.runs; index += 1) {
      const page = await context.newPage();
      const load = await measureLoad(page, editorUrl, settings.nodes);
      const drag = await measureDrag(page, settings);
      await page.close();
      if (drag.movedPx < 20) throw new Error(`The dragged node moved ${round(drag.movedPx)} px; the drag did not reach the canvas, so the frame rate would not describe a drag.`);
      if (index === 0) continue;
      runs.push({ ...load, ...drag });
      console.error(`run ${index}: interactive ${round(load.interactiveMs)} ms, drag ${round(drag.fps)} fps`);
    }

    const summaries = {
      renderedMs: summarize(runs.map((run) => run.renderedMs)),
      interactiveMs: summarize(runs.map((run) => run.interactiveMs)),
      dragFps: summarize(runs.map((run) => run.fps)),
      longestFrameMs: summarize(runs.map((run) => run.longestFrameMs)),
    };
    const record = {
      benchmark: 'studio',
      date: new Date().toISOString(),
      command: 'pnpm --filter @mify/bench run bench:studio',
      machine: describeMachine(),
      chromium: browser.version(),
      settings,
      summaries,
      runs,
    };
    await mkdir(path.dirname(resultFile), { recursive: true });
    await writeFile(resultFile, `${JSON.stringify(record, null, 2)}\n`);

    const cell = (summary, digits = 0) => `${round(summary.median, digits)} (${round(summary.min, digits)}–${round(summary.max, digits)})`;
    console.log(
      markdownTable(
        ['nodes', 'rendered ms', 'interactive ms', 'drag fps', 'longest frame during drag, ms'],
        [[String(settings.nodes), cell(summaries.renderedMs), cell(summaries.interactiveMs), cell(summaries.dragFps, 1), cell(summaries.longestFrameMs)]],
      ),
    );
    console.log(`\nMedians (min–max) of ${runs.length} runs. Record: ${path.relative(REPO_ROOT, resultFile)}`);
  } finally {
    await browser?.close();
    await resources.cleanUp();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
