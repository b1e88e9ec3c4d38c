/**
 * Run saving of workflow endpoints (settings.endpoint.runSaving): synchronous calls of a graph
 * that does not ask for durable runs execute directly, and their records are written once the
 * run ends (`all`), only when it failed (`failed`), or never (`none`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greetingGraph, startPublishKernel, type PublishKernel } from './support/publish-kernel.js';

interface RunBody {
  id: string;
  status: string;
  mode: string;
  graphId: string;
  error: { code: string } | null;
  steps: Array<{ nodeId: string; status: string; output: unknown }>;
}

/** Webhook → code that throws when the name is "fail" → respond. */
function failingGraph(path: string): unknown {
  const graph = greetingGraph(path) as { nodes: Array<Record<string, unknown>> };
  graph.nodes[1] = {
    id: 'shape',
    name: 'Shape',
    type: 'mify.data.code',
    typeVersion: 1,
    parameters: { code: "if (items[0].json.body.name === 'fail') throw new Error('asked to fail'); return [{ greeting: 'Hello, ' + items[0].json.body.name + '!' }];" },
    position: { x: 200, y: 0 },
  };
  return graph;
}

/** Webhook → a one-second wait → respond: a direct run cannot wait. */
function waitingGraph(path: string): unknown {
  const graph = greetingGraph(path) as { nodes: Array<Record<string, unknown>> };
  graph.nodes[1] = { id: 'shape', name: 'Shape', type: 'mify.control.wait', typeVersion: 1, parameters: { mode: 'duration', amount: 1, unit: 'seconds' }, position: { x: 200, y: 0 } };
  return graph;
}

describe('workflow endpoint run saving', () => {
  let k: PublishKernel;
  const graphIds: Record<string, string> = {};

  beforeAll(async () => {
    k = await startPublishKernel({ extensions: ['publish-rest', 'publish-a2a', 'data', 'control'] });
    for (const saving of ['durable', 'all', 'none']) {
      graphIds[saving] = (await k.publish({ name: `Saving ${saving}`, slug: `saving-${saving}`, definition: greetingGraph(`saving-${saving}`), settings: { endpoint: { runSaving: saving } } })).id;
    }
    graphIds.failed = (await k.publish({ name: 'Saving failed', slug: 'saving-failed', definition: failingGraph('saving-failed'), settings: { endpoint: { runSaving: 'failed' } } })).id;
    graphIds.waiting = (await k.publish({ name: 'Waiting', slug: 'saving-waiting', definition: waitingGraph('saving-waiting'), settings: { endpoint: { runSaving: 'all' } } })).id;
    graphIds.invalid = (await k.publish({ name: 'Invalid', slug: 'saving-invalid', definition: greetingGraph('saving-invalid') })).id;
  });

  afterAll(async () => {
    await k?.close();
  });

  async function call(slug: string, name: string, query = ''): Promise<{ status: number; body: any; runId: string | null; saved: string | null }> {
    const response = await k.t.fetch(`/api/workflow-endpoints/${slug}${query}`, { method: 'POST', key: k.key, json: { name } });
    return { status: response.status, body: await response.json(), runId: response.headers.get('x-mify-run-id'), saved: response.headers.get('x-mify-run-saved') };
  }

  /** Sends an A2A task for `slug` and reads it back with GetTask. */
  async function a2aTask(slug: string, name: string): Promise<{ sent: any; read: any }> {
    const rpc = async (method: string, params: unknown) =>
      (await (await k.t.fetch('/api/a2a-server/rpc', { method: 'POST', key: k.key, json: { jsonrpc: '2.0', id: 1, method, params } })).json()) as any;
    const sent = await rpc('SendMessage', { message: { messageId: `m-${name}`, role: 'ROLE_USER', parts: [{ data: { name } }], metadata: { skillId: slug } } });
    const read = await rpc('GetTask', { id: sent.result.task.id });
    return { sent, read };
  }

  async function readRun(runId: string): Promise<{ status: number; body: RunBody }> {
    const response = await k.t.fetch(`/api/runs/${runId}`, { key: k.key });
    return { status: response.status, body: (await response.json()) as RunBody };
  }

  async function runsOf(graphId: string): Promise<Array<{ id: string; status: string }>> {
    const response = await k.t.fetch(`/api/runs?graphId=${graphId}&limit=100`, { key: k.key });
    return ((await response.json()) as { items: Array<{ id: string; status: string }> }).items;
  }

  it('all: saves run with steps', async () => {
    const { status, body, runId } = await call('saving-all', 'Ada');

    expect(status).toBe(200);
    expect(body).toEqual({ greeting: 'Hello, Ada!' });
    const run = await readRun(runId!);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ id: runId, status: 'succeeded', mode: 'endpoint', graphId: graphIds.all });
    expect(run.body.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['hook', 'succeeded'],
      ['shape', 'succeeded'],
      ['respond', 'succeeded'],
    ]);
    expect(JSON.stringify(run.body.steps[1]!.output)).toContain('Hello, Ada!');
  });

  it('all: stores events in order', async () => {
    const { runId } = await call('saving-all', 'Grace');
    const history = await k.t.fetch(`/api/temporal-time-travel/history/${runId}`, { key: k.key });
    const body = (await history.json()) as { events: Array<{ id: number; type: string }>; journal: unknown[] };

    expect(history.status).toBe(200);
    expect(body.events[0]!.type).toBe('run.started');
    expect(body.events.at(-1)!.type).toBe('run.finished');
    expect(body.events.map((event) => event.id)).toEqual(body.events.map((_event, index) => index + 1));
    expect(body.journal).toEqual([]);
  });

  it('durable: keeps the journal', async () => {
    const { status, runId } = await call('saving-durable', 'Alan');
    const history = (await (await k.t.fetch(`/api/temporal-time-travel/history/${runId}`, { key: k.key })).json()) as { journal: unknown[] };

    expect(status).toBe(200);
    expect(history.journal.length).toBe(3);
  });

  it('none: saves nothing', async () => {
    const calls = await Promise.all(['Edsger', 'Barbara', 'Donald'].map((name) => call('saving-none', name)));

    expect(calls.map((result) => result.body)).toEqual([{ greeting: 'Hello, Edsger!' }, { greeting: 'Hello, Barbara!' }, { greeting: 'Hello, Donald!' }]);
    for (const result of calls) expect((await readRun(result.runId!)).status).toBe(404);
    expect(await runsOf(graphIds.none!)).toEqual([]);
  });

  it('headers say whether the run is saved', async () => {
    const saved = await Promise.all(['saving-all', 'saving-durable', 'saving-none'].map(async (slug) => (await call(slug, 'Ada')).saved));

    expect(saved).toEqual(['true', 'true', 'false']);
  });

  it('A2A reads back unsaved tasks', async () => {
    const { sent, read } = await a2aTask('saving-none', 'Grace');

    expect(sent.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(read.error).toBeUndefined();
    expect(read.result.status.state).toBe('TASK_STATE_COMPLETED');
    expect(read.result.artifacts[0].parts[0].data).toEqual({ greeting: 'Hello, Grace!' });
    expect((await readRun(sent.result.task.id)).status).toBe(404);
  });

  it('A2A reads back failed tasks', async () => {
    await k.publish({ name: 'A2A failing', slug: 'saving-a2a-failing', definition: failingGraph('saving-a2a-failing'), settings: { endpoint: { runSaving: 'none' } } });
    const { sent, read } = await a2aTask('saving-a2a-failing', 'fail');

    expect(sent.result.task.status.state).toBe('TASK_STATE_FAILED');
    expect(read.result.status.state).toBe('TASK_STATE_FAILED');
    expect(read.result.status.message.parts[0].text).toContain('asked to fail');
  });

  it('async calls stay durable', async () => {
    const response = await k.t.fetch('/api/workflow-endpoints/saving-none?mode=async', { method: 'POST', key: k.key, json: { name: 'Ken' } });
    const { runId } = (await response.json()) as { runId: string };
    let run = (await readRun(runId)).body;
    for (let poll = 0; poll < 200 && run.status !== 'succeeded' && run.status !== 'failed'; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      run = (await readRun(runId)).body;
    }

    expect(response.status).toBe(202);
    expect(run.status).toBe('succeeded');
    expect(run.mode).toBe('endpoint');
  });

  it('serves more than two calls at once', async () => {
    // Each call's route keeps an isolate of the extension while its run waits one second, so
    // the calls overlap only as far as limits.concurrency of mify.publish-rest allows.
    const definition = waitingGraph('saving-concurrent');
    await k.publish({ name: 'Concurrent', slug: 'saving-concurrent', definition });
    const calls = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => call('saving-concurrent', name)));
    const runs = await Promise.all(calls.map(async (result) => (await k.t.fetch(`/api/runs/${result.runId}`, { key: k.key })).json() as Promise<{ startedAt: string; finishedAt: string }>));
    const overlapping = runs.map((run) => runs.filter((other) => other.startedAt < run.finishedAt && run.startedAt < other.finishedAt).length);

    expect(calls.map((result) => result.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(Math.max(...overlapping)).toBe(6);
  });

  it('failed: saves only failed runs', async () => {
    const succeeded = await call('saving-failed', 'Niklaus');
    const failed = await call('saving-failed', 'fail');

    expect(succeeded.status).toBe(200);
    expect(succeeded.body).toEqual({ greeting: 'Hello, Niklaus!' });
    expect((await readRun(succeeded.runId!)).status).toBe(404);

    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe('endpoint_run_failed');
    const run = await readRun(failed.body.runId);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('failed');
    expect(run.body.steps.find((step) => step.nodeId === 'shape')!.status).toBe('failed');
    expect((await runsOf(graphIds.failed!)).map((item) => item.id)).toEqual([failed.body.runId]);
  });

  it('saves sub-workflow runs with parent', async () => {
    const child = await k.publish({
      name: 'Shout',
      slug: 'saving-child',
      definition: {
        nodes: [
          { id: 'start', name: 'Start', type: 'mify.control.manual-trigger', typeVersion: 1, parameters: {}, position: { x: 0, y: 0 } },
          { id: 'shout', name: 'Shout', type: 'mify.data.edit-fields', typeVersion: 1, parameters: { operations: [{ op: 'set', path: 'greeting', value: 'HELLO, {{ $json.body.name }}!' }, { op: 'keepOnly', paths: ['greeting'] }] }, position: { x: 200, y: 0 } },
        ],
        edges: [{ from: { node: 'start', port: 'main' }, to: { node: 'shout', port: 'main' } }],
      },
    });
    const parentGraph = greetingGraph('saving-parent') as { nodes: Array<Record<string, unknown>> };
    parentGraph.nodes[1] = { id: 'shape', name: 'Shape', type: 'mify.control.sub-workflow', typeVersion: 1, parameters: { graphId: child.id }, position: { x: 200, y: 0 } };
    const parent = await k.publish({ name: 'Parent', slug: 'saving-parent', definition: parentGraph, settings: { endpoint: { runSaving: 'all' } } });

    const { status, body, runId } = await call('saving-parent', 'Ada');
    const childRuns = (await runsOf(child.id)) as Array<{ id: string; status: string; parentRunId?: string }>;

    expect(status).toBe(200);
    expect(body).toEqual({ greeting: 'HELLO, Ada!' });
    expect((await runsOf(parent.id)).map((run) => run.id)).toEqual([runId]);
    expect(childRuns).toHaveLength(1);
    expect(childRuns[0]).toMatchObject({ status: 'succeeded', parentRunId: runId });
  });

  it('fails a waiting direct run', async () => {
    const { status, body } = await call('saving-waiting', 'Tony');
    const run = await readRun(body.runId);

    expect(status).toBe(500);
    expect(run.body.error!.code).toBe('waits_unavailable');
    expect(JSON.stringify(run.body.error)).toContain("runSaving to 'durable'");
  });

  it('rejects unknown runSaving on save', async () => {
    const response = await k.t.fetch(`/api/graphs/${graphIds.invalid}`, { method: 'PUT', key: k.key, json: { settings: { endpoint: { runSaving: 'sometimes' } } } });
    const body = (await response.json()) as { detail: string };
    const stored = (await (await k.t.fetch(`/api/graphs/${graphIds.invalid}`, { key: k.key })).json()) as { settings: Record<string, unknown> };

    expect(response.status).toBe(422);
    expect(body.detail).toContain('settings.endpoint.runSaving');
    expect(stored.settings.endpoint).toBeUndefined();
  });

  it('rejects calls until invalid settings are fixed', async () => {
    const before = await call('saving-invalid', 'Ada');
    // Stored directly, as settings saved before the check existed would be.
    await k.t.kernel.services.db.query(`update graphs set settings = '{"endpoint":{"runSaving":"sometimes"}}'::jsonb where id = $1`, [graphIds.invalid]);
    k.t.kernel.services.endpointService.forgetGraphs();
    const refused = await call('saving-invalid', 'Ada');
    const fixed = await k.t.fetch(`/api/graphs/${graphIds.invalid}`, { method: 'PUT', key: k.key, json: { settings: { endpoint: null } } });
    const after = await call('saving-invalid', 'Ada');

    expect(before.status).toBe(200);
    expect(refused.status).toBe(500);
    expect(refused.body.code).toBe('endpoint_invalid_settings');
    expect(refused.body.detail).toContain('endpoint.runSaving');
    expect(fixed.status).toBe(200);
    expect(after.status).toBe(200);
  });

  it('reports unsaved failed runs', async () => {
    const graph = failingGraph('saving-none-failing');
    await k.publish({ name: 'None failing', slug: 'saving-none-failing', definition: graph, settings: { endpoint: { runSaving: 'none' } } });
    const { status, body } = await call('saving-none-failing', 'fail');

    expect(status).toBe(500);
    expect(body.detail).toContain('asked to fail');
    expect(body.detail).toContain("runSaving to 'none'");
    expect(body.detail).not.toContain('GET /api/runs');
  });

  it('saves shutdown-ended run as failed', async () => {
    const slowGraph = greetingGraph('saving-slow') as { nodes: Array<Record<string, unknown>> };
    slowGraph.nodes[1] = { id: 'shape', name: 'Shape', type: 'mify.data.code', typeVersion: 1, parameters: { code: 'const end = Date.now() + 2000; while (Date.now() < end) {} return items;', timeoutMs: 10000 }, position: { x: 200, y: 0 } };
    const slow = await k.publish({ name: 'Slow', slug: 'saving-slow', definition: slowGraph, settings: { endpoint: { runSaving: 'all' } } });
    const pending = call('saving-slow', 'Ada');
    for (let poll = 0; poll < 100 && !(k.t.kernel.services.runService as unknown as { directRuns: Set<unknown> }).directRuns.size; poll++) await new Promise((resolve) => setTimeout(resolve, 20));

    await k.t.kernel.services.runService.dispose();
    await pending.catch(() => null);
    const rows = await k.t.kernel.services.db.query<{ status: string; error: { code: string } }>('select status, error from runs where graph_id = $1', [slow.id]);

    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('failed');
  });
});
