import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyNotification } from '../schedules/notification-signature.js';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

interface Received {
  event: string;
  delivery: string;
  verified: boolean;
  body: { event: string; scheduleId: string; data: Record<string, unknown> };
}

interface RunSummary {
  id: string;
  mode: string;
  status: string;
  input?: { items?: Array<{ json: Record<string, any> }> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` every 100 ms until `done` accepts its value, for at most `timeoutMs`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

/** A notification receiver on 127.0.0.1 that checks each signature with the secret it is given. */
async function startReceiver(options: { failFirst: number }) {
  const received: Received[] = [];
  let secret = '';
  let failuresLeft = options.failFirst;
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      const verified = verifyNotification(secret, { timestamp: request.headers['mify-timestamp'] as string, signature: request.headers['mify-signature'] as string }, text, { nowSeconds: Math.floor(Date.now() / 1000), toleranceSeconds: 300 });
      received.push({ event: String(request.headers['mify-event']), delivery: String(request.headers['mify-delivery']), verified, body: JSON.parse(text) });
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        response.writeHead(500).end();
        return;
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/mify`,
    received,
    setSecret: (value: string) => (secret = value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const node = (id: string, type: string, parameters: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, name: id, position: { x: 0, y: 0 }, parameters });
const edge = (from: string, to: string) => ({ from: { node: from, port: 'main' }, to: { node: to, port: 'main' } });

describe.each(databaseBackends)('triggers and home schedules on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let cookie = '';

    async function api<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
      const response = await t.fetch(path, { method: init.method ?? 'GET', cookie, ...(init.json !== undefined ? { json: init.json } : {}) });
      return { status: response.status, body: (await response.json().catch(() => null)) as T };
    }

    async function publishedGraph(name: string, definition: unknown, publish = true): Promise<string> {
      const created = await api<{ id: string }>('/api/graphs', { method: 'POST', json: { name, definition } });
      expect(created.status).toBe(201);
      if (publish) expect((await api(`/api/graphs/${created.body.id}/publish`, { method: 'POST' })).status).toBeLessThan(300);
      return created.body.id;
    }

    const runsOf = async (graphId: string) => (await api<{ items: RunSummary[] }>(`/api/runs?graphId=${graphId}&limit=100`)).body.items;

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_SCHEDULE_POLL_MS: '200', MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
      cookie = (await setupOwner(t)).cookie;
    });

    afterAll(async () => {
      await t?.close();
    });

    describe('event trigger', () => {
      it('starts the published listener once per finished run', { timeout: 120_000 }, async () => {
        const source = await publishedGraph('Source', { nodes: [node('start', 'mify.control.manual-trigger'), node('pass', 'mify.control.no-op')], edges: [edge('start', 'pass')] });
        const listener = await publishedGraph('Listener', {
          nodes: [node('on', 'mify.triggers.event', { event: 'run.finished', graphIds: [source], statuses: ['succeeded'] }), node('note', 'mify.data.template', { template: 'source run ${event.runId} ${event.status}', outputField: 'note' })],
          edges: [edge('on', 'note')],
        });
        const draftOnly = await publishedGraph('Draft listener', { nodes: [node('on', 'mify.triggers.event', { event: 'run.finished', graphIds: [source] })], edges: [] }, false);

        const started = await api<{ id: string }>(`/api/graphs/${source}/runs`, { method: 'POST', json: { version: 'live', wait: true } });
        expect(started.status).toBeLessThan(300);
        const triggered = await until(() => runsOf(listener), (runs) => runs.some((run) => run.status === 'succeeded'));
        await sleep(1_000);
        const afterwards = await runsOf(listener);

        expect(triggered.filter((run) => run.mode === 'event')).toHaveLength(1);
        expect(afterwards).toHaveLength(1);
        const detail = await api<{ output: { items: Array<{ json: { note: string } }> } }>(`/api/runs/${afterwards[0]!.id}`);
        expect(detail.body.output.items[0]!.json.note).toBe(`source run ${started.body.id} succeeded`);
        expect(await runsOf(draftOnly)).toHaveLength(0);
      });

      it('starts one run per event of a batch', { timeout: 120_000 }, async () => {
        const source = await publishedGraph('Busy source', { nodes: [node('start', 'mify.control.manual-trigger'), node('pass', 'mify.control.no-op')], edges: [edge('start', 'pass')] });
        const listener = await publishedGraph('Busy listener', { nodes: [node('on', 'mify.triggers.event', { event: 'run.finished', graphIds: [source] })], edges: [] });

        // Runs that finish between two polls (200 ms apart here) reach the dispatcher together.
        const started = await Promise.all([1, 2, 3, 4].map(() => api<{ id: string }>(`/api/graphs/${source}/runs`, { method: 'POST', json: { version: 'live', wait: true } })));
        await until(() => runsOf(listener), (runs) => runs.length >= 4 && runs.every((run) => run.status === 'succeeded'));
        await sleep(1_000);
        const runs = await runsOf(listener);
        const details = await Promise.all(runs.map((run) => api<{ input: { items: Array<{ json: { event: { runId: string } } }> } }>(`/api/runs/${run.id}`)));

        expect(runs).toHaveLength(4);
        expect(details.map((detail) => detail.body.input.items[0]!.json.event.runId).sort()).toEqual(started.map((run) => run.body.id).sort());
      });

      it('ignores a status the filter leaves out', { timeout: 90_000 }, async () => {
        const source = await publishedGraph('Failing source', { nodes: [node('start', 'mify.control.manual-trigger'), node('bad', 'mify.data.template', { template: '${missing}', missing: 'error' })], edges: [edge('start', 'bad')] });
        const listener = await publishedGraph('Success listener', { nodes: [node('on', 'mify.triggers.event', { event: 'run.finished', graphIds: [source], statuses: ['succeeded'] })], edges: [] });
        const failureListener = await publishedGraph('Failure listener', { nodes: [node('on', 'mify.triggers.event', { event: 'run.finished', graphIds: [source], statuses: ['failed'] })], edges: [] });

        const run = await api<{ status: string }>(`/api/graphs/${source}/runs`, { method: 'POST', json: { version: 'live', wait: true } });
        expect(run.body.status).toBe('failed');
        const failures = await until(() => runsOf(failureListener), (runs) => runs.length > 0);

        expect(failures).toHaveLength(1);
        expect(await runsOf(listener)).toHaveLength(0);
      });

      it('never reacts to its own runs', { timeout: 90_000 }, async () => {
        const selfListener = await publishedGraph('Self listener', { nodes: [], edges: [] }, false);
        await api(`/api/graphs/${selfListener}/definition`, { method: 'PUT', json: { nodes: [node('on', 'mify.triggers.event', { event: 'run.finished', graphIds: [selfListener] })], edges: [] } });
        await api(`/api/graphs/${selfListener}/publish`, { method: 'POST' });
        await api(`/api/graphs/${selfListener}/runs`, { method: 'POST', json: { version: 'live', wait: true } });
        await sleep(1_500);

        expect(await runsOf(selfListener)).toHaveLength(1);
      });
    });

    describe('schedules from templates', () => {
      it('fires, waits, approves and notifies with signed POSTs', { timeout: 120_000 }, async () => {
        const receiver = await startReceiver({ failFirst: 1 });
        try {
          const created = await api<{ graph: { id: string }; schedule: { id: string; enabled: boolean }; notifications: Array<{ id: string; secret: string }> }>('/api/home/schedules/from-template', {
            method: 'POST',
            json: { templateId: 'approval-report', schedule: { name: 'Hourly report', kind: 'interval', intervalMs: 1_000, input: [{ json: { topic: 'sales' } }] }, notifications: [{ url: receiver.url }] },
          });
          expect(created.status).toBe(201);
          expect(created.body.notifications[0]!.secret).toMatch(/^whsec_/);
          receiver.setSecret(created.body.notifications[0]!.secret);
          const scheduleId = created.body.schedule.id;

          const waiting = await until(() => api<{ items: Array<{ waitId: string; runId: string; items: Array<{ json: Record<string, unknown> }> }> }>(`/api/home/schedules/${scheduleId}/waiting`), (page) => page.body.items.length > 0);
          await api(`/api/graphs/${created.body.graph.id}/schedules/${scheduleId}`, { method: 'PATCH', json: { enabled: false } });
          expect(waiting.body.items[0]!.items[0]!.json).toMatchObject({ topic: 'sales', report: 'Report on sales: ready for review.' });

          const pending = (await api<{ items: Array<{ waitId: string; runId: string }> }>(`/api/home/schedules/${scheduleId}/waiting`)).body.items;
          if (pending.length > 1) expect((await api(`/api/home/schedules/${scheduleId}/approve`, { method: 'POST', json: {} })).status).toBe(409);
          for (const wait of pending) {
            const approved = await api<{ status: string }>(`/api/home/schedules/${scheduleId}/approve`, { method: 'POST', json: { waitId: wait.waitId, comment: 'fine' } });
            expect(approved.status).toBe(200);
            expect(approved.body.status).toBe('approved');
          }
          const nothingLeft = await api<{ code: string }>(`/api/home/schedules/${scheduleId}/approve`, { method: 'POST', json: {} });
          expect(nothingLeft.status).toBe(409);

          const executions = await until(
            () => api<{ items: Array<{ runId: string; status: string; dueAt: string }>; nextCursor: string | null }>(`/api/home/schedules/${scheduleId}/executions`),
            (page) => page.body.items.length > 0 && page.body.items.every((run) => run.status === 'succeeded'),
          );
          expect(executions.body.items.map((run) => run.runId).sort()).toEqual(pending.map((wait) => wait.runId).sort());
          expect(executions.body.items.every((run) => run.status === 'succeeded')).toBe(true);

          // The first POST was answered 500, so its delivery arrives again, with the same delivery id, after a backoff.
          const received = await until(
            async () => receiver.received,
            (list) => new Set(list.filter((entry) => entry.event === 'schedule.fired').map((entry) => entry.delivery)).size >= pending.length && list.some((entry) => entry.event === 'schedule.waiting') && new Set(list.map((entry) => entry.delivery)).size < list.length,
          );
          const deliveries = received.map((entry) => entry.delivery);
          expect(received.every((entry) => entry.verified)).toBe(true);
          expect(received.find((entry) => entry.event === 'schedule.fired')!.body).toMatchObject({ event: 'schedule.fired', scheduleId });
          expect(new Set(deliveries).size).toBe(deliveries.length - 1);
        } finally {
          await receiver.close();
        }
      });

      it('pages executions with a cursor', { timeout: 90_000 }, async () => {
        const created = await api<{ graph: { id: string }; schedule: { id: string } }>('/api/home/schedules/from-template', {
          method: 'POST',
          json: { templateId: 'daily-digest', schedule: { kind: 'interval', intervalMs: 1_000 } },
        });
        const scheduleId = created.body.schedule.id;
        await until(() => api<{ items: unknown[] }>(`/api/home/schedules/${scheduleId}/executions`), (page) => page.body.items.length >= 3);
        await api(`/api/graphs/${created.body.graph.id}/schedules/${scheduleId}`, { method: 'PATCH', json: { enabled: false } });

        const all = (await api<{ items: Array<{ runId: string }> }>(`/api/home/schedules/${scheduleId}/executions?limit=200`)).body.items;
        const first = await api<{ items: Array<{ runId: string }>; nextCursor: string }>(`/api/home/schedules/${scheduleId}/executions?limit=2`);
        const second = await api<{ items: Array<{ runId: string }> }>(`/api/home/schedules/${scheduleId}/executions?limit=200&cursor=${first.body.nextCursor}`);

        expect(first.body.items).toHaveLength(2);
        expect([...first.body.items, ...second.body.items].map((run) => run.runId)).toEqual(all.map((run) => run.runId));
      });

      it.each([
        ['an unknown template', { templateId: 'nope', schedule: { kind: 'interval', intervalMs: 60_000 } }, 404, 'daily-digest'],
        ['a notification URL that is not http', { templateId: 'daily-digest', schedule: { kind: 'interval', intervalMs: 60_000 }, notifications: [{ url: 'ftp://example.com/x' }] }, 422, 'http or https URL'],
        ['a cron schedule without cron', { templateId: 'daily-digest', schedule: { kind: 'cron' } }, 422, 'cron is required'],
      ])('rejects %s', async (_case, body, status, fragment) => {
        const response = await api<{ detail: string; errors?: Array<{ message: string }> }>('/api/home/schedules/from-template', { method: 'POST', json: body });

        expect(response.status).toBe(status);
        expect(JSON.stringify(response.body)).toContain(fragment);
      });

      it('answers 404 for an unknown schedule', async () => {
        const response = await api<{ code: string }>('/api/home/schedules/sched_none/executions');

        expect(response.status).toBe(404);
      });
    });
  });
});
