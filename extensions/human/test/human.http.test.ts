import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

interface Item {
  json: Record<string, unknown>;
}
interface Run {
  id: string;
  status: string;
  output: { items: Item[] } | null;
  error: { code: string; message: string } | null;
}
interface Wait {
  id: string;
  kind: string;
  status: string;
  resumeAt: string | null;
  request: { title?: string; instructions?: string; items?: Item[]; allowEdit?: boolean; form?: { properties: Record<string, unknown>; required: string[] } };
}

/**
 * Human-in-the-loop nodes (mify.human) and the wait node (mify.control.wait) in graphs that a
 * real kernel runs over HTTP. The kernel loads the built bundles in extensions/ at start.
 */
describe('human in the loop nodes', () => {
  let t: TestKernel;
  let key: string;

  beforeAll(async () => {
    // Waits longer than 300 ms park the run, and due runs are claimed every 100 ms.
    t = await startTestKernel('pglite', { env: { MIFY_RUN_INLINE_WAIT_MS: '300', MIFY_RUN_POLL_MS: '100' } });
    const owner = await setupOwner(t);
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'human', role: 'owner' } })).json()) as { key: string }).key;
  });

  afterAll(async () => {
    await t?.close();
  });

  const api = async <T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> => {
    const response = await t.fetch(path, { ...init, key });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out after 15 s waiting for ${what}. Last value: ${JSON.stringify(value).slice(0, 400)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const getRun = async (id: string) => (await api<Run>(`/api/runs/${id}`)).body;
  const finished = (id: string) => until(() => getRun(id), (run) => ['succeeded', 'failed', 'cancelled'].includes(run.status), `run ${id} to finish`);
  const waitOf = async (runId: string) => (await until(() => api<{ items: Wait[] }>(`/api/waits?status=pending&runId=${runId}`), (response) => response.body.items.length === 1, 'a pending wait')).body.items[0]!;

  /** Starts a run of a graph that contains only the node under test, which receives the run's input items directly. */
  const start = async (node: { type: string; parameters?: Record<string, unknown> }, input: Item[]) => {
    const nodes = [{ id: 'gate', type: node.type, typeVersion: 1, name: 'Gate', position: { x: 0, y: 0 }, parameters: node.parameters ?? {} }];
    const response = await api<Run>('/api/runs', { method: 'POST', json: { graph: { nodes, edges: [] }, input } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  };

  it('review gate approves edited items', async () => {
    const run = await start({ type: 'mify.human.review-gate', parameters: { title: 'Check the refund', instructions: 'Refunds over 100 need a reason.' } }, [{ json: { refund: 140 } }]);
    const wait = await waitOf(run.id);
    expect(wait).toMatchObject({ kind: 'approval', request: { title: 'Check the refund', instructions: 'Refunds over 100 need a reason.', allowEdit: true, items: [{ json: { refund: 140 } }] } });

    const decided = await api(`/api/waits/${wait.id}/decision`, { method: 'POST', json: { decision: 'approve', comment: 'capped at 100', items: [{ json: { refund: 100 } }] } });
    expect(decided.status).toBe(200);
    const done = await finished(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.output!.items).toEqual([{ json: { refund: 100, review: expect.objectContaining({ outcome: 'approved', comment: 'capped at 100', reviewer: expect.any(String), waitId: wait.id }) } }]);
  });

  it('review gate routes rejection', async () => {
    const run = await start({ type: 'mify.human.review-gate', parameters: { allowEdit: false, includeReview: false } }, [{ json: { id: 7 } }]);
    const wait = await waitOf(run.id);
    expect(wait.request.title).toBe('Review 1 item from Gate');
    await api(`/api/waits/${wait.id}/decision`, { method: 'POST', json: { decision: 'reject' } });
    const done = await finished(run.id);
    // The graph's output is the output of every sink, and only the rejected port has items.
    expect(done.output!.items).toEqual([{ json: { id: 7 } }]);
  });

  it('review gate deadline applies onTimeout', async () => {
    const rejected = await start({ type: 'mify.human.review-gate', parameters: { timeoutMinutes: 0.01 } }, [{ json: { id: 1 } }]);
    const done = await finished(rejected.id);
    expect(done.output!.items[0]!.json).toMatchObject({ id: 1, review: { outcome: 'rejected', reviewer: null } });
    const waits = (await api<{ items: Wait[] }>(`/api/waits?runId=${rejected.id}`)).body.items;
    expect(waits.map((wait) => wait.status)).toEqual(['expired']);

    const failing = await start({ type: 'mify.human.review-gate', parameters: { timeoutMinutes: 0.01, onTimeout: 'fail' } }, [{ json: {} }]);
    const failed = await finished(failing.id);
    expect(failed.status).toBe('failed');
    expect(failed.error!.message).toContain('was not reviewed before its deadline');
  });

  it('approval form validates and adds values', async () => {
    const fields = [
      { name: 'budget', label: 'Budget', type: 'number', required: true },
      { name: 'priority', type: 'select', options: ['low', 'high'], required: true },
      { name: 'note', type: 'string' },
    ];
    const run = await start({ type: 'mify.human.approval-form', parameters: { fields } }, [{ json: { project: 'roof' } }]);
    const wait = await waitOf(run.id);
    expect(wait.request.form).toMatchObject({ required: ['budget', 'priority'], properties: { priority: { enum: ['low', 'high'] } } });

    const missing = await api<{ detail: string; errors: Array<{ path: string }> }>(`/api/waits/${wait.id}/decision`, { method: 'POST', json: { decision: 'approve', form: { budget: 'lots' } } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((error) => error.path).sort()).toEqual(['form.budget', 'form.priority']);
    expect((await api<Wait>(`/api/waits/${wait.id}`)).body.status).toBe('pending');

    await api(`/api/waits/${wait.id}/decision`, { method: 'POST', json: { decision: 'approve', form: { budget: 1200, priority: 'high' } } });
    const done = await finished(run.id);
    expect(done.output!.items[0]!.json).toMatchObject({ project: 'roof', form: { budget: 1200, priority: 'high' }, review: { outcome: 'approved' } });
  });

  it('approval form rejects invalid fields', async () => {
    const run = await start({ type: 'mify.human.approval-form', parameters: { fields: [{ name: 'level', type: 'select' }] } }, [{ json: {} }]);
    const done = await finished(run.id);
    expect(done.status).toBe('failed');
    expect(done.error!.message).toContain('fields[0] ("level") is a select and needs options');
  });

  it('pause waits for the resume endpoint', async () => {
    const run = await start({ type: 'mify.human.pause', parameters: { message: 'Check the stock first' } }, [{ json: { sku: 'A1' } }]);
    const wait = await waitOf(run.id);
    expect(wait).toMatchObject({ kind: 'resume', request: { title: 'Check the stock first' } });
    await until(() => getRun(run.id), (current) => current.status === 'waiting', 'the run to park');

    expect((await api(`/api/runs/${run.id}/resume`, { method: 'POST' })).status).toBe(200);
    const done = await finished(run.id);
    expect(done.output!.items).toEqual([{ json: { sku: 'A1' } }]);
  });

  it('wait node parks long waits and validates until', async () => {
    const short = await start({ type: 'mify.control.wait', parameters: { amount: 0.1, unit: 'seconds' } }, [{ json: { n: 1 } }]);
    const shortDone = await finished(short.id);
    expect(shortDone.status).toBe('succeeded');

    const long = await start({ type: 'mify.control.wait', parameters: { mode: 'until', until: new Date(Date.now() + 1_000).toISOString() } }, [{ json: { n: 2 } }]);
    const parked = await until(() => getRun(long.id), (current) => current.status === 'waiting', 'the run to park');
    expect(parked.status).toBe('waiting');
    const longDone = await finished(long.id);
    expect(longDone.output!.items).toEqual([{ json: { n: 2 } }]);

    // The graph validation rejects an invalid literal date before the run starts.
    const nodes = [{ id: 'gate', type: 'mify.control.wait', typeVersion: 1, name: 'Gate', position: { x: 0, y: 0 }, parameters: { mode: 'until', until: 'next tuesday' } }];
    const rejected = await api<{ errors: Array<{ path: string; message: string }> }>('/api/runs', { method: 'POST', json: { graph: { nodes, edges: [] } } });
    expect(rejected.status).toBe(422);
    expect(rejected.body.errors[0]).toMatchObject({ path: 'graph.nodes[0].parameters.until' });
    // The node itself rejects an invalid date that an expression produces during the run.
    const bad = await start({ type: 'mify.control.wait', parameters: { mode: 'until', until: '{{ $json.when }}' } }, [{ json: { when: 'next tuesday' } }]);
    const failed = await finished(bad.id);
    expect(failed.status).toBe('failed');
    expect(failed.error!.message).toContain('parameter until must be an ISO 8601 date-time');
  });
});
