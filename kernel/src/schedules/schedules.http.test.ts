import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createKernel } from '../kernel.js';
import { createLogger } from '../logger.js';
import { ACME_TEST, testEdge, testNode } from '../runtime/testing/acme-extension.js';
import { startServer } from '../server.js';
import { backendTitle, createServerDatabase, databaseBackends, dropServerDatabase } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

interface ScheduleBody {
  id: string;
  graphId: string;
  name: string;
  kind: string;
  intervalMs: number | null;
  cron: string | null;
  timezone: string | null;
  input: unknown[];
  version: string;
  enabled: boolean;
  catchUp: string;
  nextFireAt: string | null;
  lastFiredAt: string | null;
  lastRunId: string | null;
  lastError: { code: string; message: string } | null;
  createdBy: string | null;
}
interface ProblemBody {
  type: string;
  detail: string;
  errors?: Array<{ path: string; message: string }>;
}
interface RunBody {
  id: string;
  status: string;
  mode: string;
  createdBy: string | null;
  createdAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Trigger → pass, runnable with the acme.test extension. */
const definition = { nodes: [testNode('t', 'trigger'), testNode('p', 'pass')], edges: [testEdge('t', 'p')] };

/** Schedules over real HTTP: CRUD, validation, access and fires. */
describe.each(databaseBackends)('schedules API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;
    let viewerKey: string;

    async function call<T = any>(pathname: string, init: { method?: string; json?: unknown; key?: string } = {}): Promise<{ status: number; body: T; headers: Headers }> {
      const response = await t.fetch(pathname, { method: init.method ?? 'GET', key: init.key ?? key, ...(init.json !== undefined ? { json: init.json } : {}) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
    }

    async function createGraph(): Promise<string> {
      const { status, body } = await call<{ id: string }>('/api/graphs', { method: 'POST', json: { name: 'Scheduled', definition } });
      expect(status, JSON.stringify(body)).toBe(201);
      return body.id;
    }

    async function createSchedule(graphId: string, json: Record<string, unknown>): Promise<ScheduleBody> {
      const { status, body } = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules`, { method: 'POST', json });
      expect(status, JSON.stringify(body)).toBe(201);
      return body;
    }

    async function scheduledRuns(graphId: string): Promise<RunBody[]> {
      const { body } = await call<{ items: RunBody[] }>(`/api/runs?graphId=${graphId}&limit=200`);
      return body.items.filter((run) => run.mode === 'schedule');
    }

    async function waitFor<T>(description: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}: ${JSON.stringify(value)}`);
        await sleep(100);
      }
    }

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_SCHEDULE_POLL_MS: '200', MIFY_RUN_POLL_MS: '200' } });
      const owner = await setupOwner(t, { workspace: 'Schedules' });
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      viewerKey = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'viewer', role: 'viewer' } })).json()) as { key: string }).key;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    describe('creating and reading', () => {
      it('creates an interval schedule', async () => {
        const graphId = await createGraph();
        const before = Date.now();

        const { status, body, headers } = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules`, { method: 'POST', json: { name: 'Hourly', kind: 'interval', intervalMs: 3_600_000, enabled: false } });
        const enabled = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${body.id}`, { method: 'PATCH', json: { enabled: true } });

        expect(status).toBe(201);
        expect(headers.get('location')).toBe(`/api/graphs/${graphId}/schedules/${body.id}`);
        expect(body).toMatchObject({ graphId, name: 'Hourly', kind: 'interval', intervalMs: 3_600_000, cron: null, timezone: null, version: 'live', enabled: false, nextFireAt: null, input: [{ json: {} }] });
        expect(body.createdBy).toEqual(expect.any(String));
        expect(new Date(enabled.body.nextFireAt!).getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
        expect(new Date(enabled.body.nextFireAt!).getTime()).toBeLessThan(Date.now() + 3_600_000 + 1_000);
      });

      it('creates zoned cron schedule', async () => {
        const graphId = await createGraph();

        const body = await createSchedule(graphId, { name: 'Mornings', kind: 'cron', cron: '0 9 * * MON-FRI', timezone: 'Europe/Berlin', version: 'draft', input: [{ json: { report: 'daily' } }] });
        const next = new Date(body.nextFireAt!);
        const localHour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' }).format(next);
        const localDay = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short' }).format(next);

        expect(body).toMatchObject({ kind: 'cron', cron: '0 9 * * MON-FRI', timezone: 'Europe/Berlin', intervalMs: null, version: 'draft', enabled: true, input: [{ json: { report: 'daily' } }] });
        expect(localHour).toBe('09');
        expect(next.getUTCMinutes()).toBe(0);
        expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(localDay);
        expect(next.getTime()).toBeGreaterThan(Date.now());
      });

      it('defaults cron time zone to UTC', async () => {
        const graphId = await createGraph();

        const body = await createSchedule(graphId, { name: 'Nightly', kind: 'cron', cron: '@daily', enabled: false });

        expect(body.timezone).toBe('UTC');
      });

      it('lists by graph and workspace, paged', async () => {
        const graphId = await createGraph();
        const first = await createSchedule(graphId, { name: 'One', kind: 'interval', intervalMs: 60_000, enabled: false });
        const second = await createSchedule(graphId, { name: 'Two', kind: 'interval', intervalMs: 60_000, enabled: false });

        const byGraph = await call<{ items: ScheduleBody[] }>(`/api/graphs/${graphId}/schedules`, { key: viewerKey });
        const page1 = await call<{ items: ScheduleBody[]; nextCursor: string | null }>(`/api/schedules?graphId=${graphId}&limit=1`);
        const page2 = await call<{ items: ScheduleBody[]; nextCursor: string | null }>(`/api/schedules?graphId=${graphId}&limit=1&cursor=${page1.body.nextCursor}`);
        const enabledOnly = await call<{ items: ScheduleBody[] }>(`/api/schedules?graphId=${graphId}&enabled=true`);
        const badCursor = await call<ProblemBody>('/api/schedules?cursor=nonsense');

        expect(byGraph.status).toBe(200);
        expect(byGraph.body.items.map((item) => item.id)).toEqual([first.id, second.id]);
        expect(page1.body.items.map((item) => item.id)).toEqual([first.id]);
        expect(page2.body.items.map((item) => item.id)).toEqual([second.id]);
        expect(page2.body.nextCursor).toBeNull();
        expect(enabledOnly.body.items).toEqual([]);
        expect(badCursor.status).toBe(400);
        expect(badCursor.body.type).toContain('invalid_cursor');
      });

      it('rejects duplicate name in graph', async () => {
        const graphId = await createGraph();
        await createSchedule(graphId, { name: 'Same', kind: 'interval', intervalMs: 60_000, enabled: false });

        const { status, body } = await call<ProblemBody>(`/api/graphs/${graphId}/schedules`, { method: 'POST', json: { name: 'Same', kind: 'interval', intervalMs: 60_000 } });

        expect(status).toBe(409);
        expect(body.detail).toContain("'Same'");
      });

      it('unknown graph or schedule returns 404', async () => {
        const graphId = await createGraph();

        const noGraph = await call<ProblemBody>('/api/graphs/graph_missing/schedules', { method: 'POST', json: { name: 'x', kind: 'interval', intervalMs: 1000 } });
        const noSchedule = await call<ProblemBody>(`/api/graphs/${graphId}/schedules/sched_missing`);

        expect(noGraph.status).toBe(404);
        expect(noSchedule.status).toBe(404);
        expect(noSchedule.body.detail).toContain('sched_missing');
      });
    });

    describe('validation', () => {
      const cases: Array<[string, Record<string, unknown>, string, string]> = [
        ['an interval under one second', { kind: 'interval', intervalMs: 500 }, 'body.intervalMs', '1000'],
        ['an interval over 365 days', { kind: 'interval', intervalMs: 366 * 86_400_000 }, 'body.intervalMs', '365 days'],
        ['a fractional interval', { kind: 'interval', intervalMs: 1500.5 }, 'body.intervalMs', 'int'],
        ['a bad cron minute', { kind: 'cron', cron: '61 * * * *' }, 'body.cron', 'minute'],
        ['a cron of six fields', { kind: 'cron', cron: '0 0 9 * * *' }, 'body.cron', 'expected 5'],
        ['an unknown time zone', { kind: 'cron', cron: '0 9 * * *', timezone: 'Mars/Base' }, 'body.timezone', 'Mars/Base'],
        ['an unknown kind', { kind: 'weekly' }, 'body.kind', 'interval'],
        ['a version number', { kind: 'interval', intervalMs: 1000, version: 3 }, 'body.version', 'live'],
        ['an unknown field', { kind: 'interval', intervalMs: 1000, every: '5m' }, 'body', 'every'],
        ['input that is not items', { kind: 'interval', intervalMs: 1000, input: [{ n: 1 }] }, 'body.input.0.json', ''],
        ['an interval without intervalMs', { kind: 'interval' }, 'intervalMs', 'required'],
        ['a cron without cron', { kind: 'cron' }, 'cron', 'required'],
        ['an interval with a cron', { kind: 'interval', intervalMs: 1000, cron: '* * * * *' }, 'cron', 'kind to "cron"'],
        ['a cron with intervalMs', { kind: 'cron', cron: '* * * * *', intervalMs: 1000 }, 'intervalMs', 'kind to "interval"'],
      ];

      it.each(cases)('rejects %s naming the field', async (_case, fields, field, hint) => {
        const graphId = await createGraph();

        const { status, body } = await call<ProblemBody>(`/api/graphs/${graphId}/schedules`, { method: 'POST', json: { name: 'Bad', ...fields } });
        const problem = body.errors?.find((error) => error.path === field);

        expect(status).toBe(422);
        expect(body.type).toContain('validation_failed');
        expect(problem, JSON.stringify(body.errors)).toBeDefined();
        expect(problem!.message).toContain(hint);
        expect(body.detail).toContain(hint);
      });

      it('rejects timing fields of other kind', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Every minute', kind: 'interval', intervalMs: 60_000, enabled: false });

        const cronOnInterval = await call<ProblemBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { cron: '* * * * *' } });
        const kindWithoutCron = await call<ProblemBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { kind: 'cron' } });

        expect(cronOnInterval.status).toBe(422);
        expect(cronOnInterval.body.errors?.map((error) => error.path)).toEqual(['cron']);
        expect(kindWithoutCron.status).toBe(422);
        expect(kindWithoutCron.body.errors?.map((error) => error.path)).toEqual(['cron']);
      });
    });

    describe('changing and deleting', () => {
      it('renames, switches kind, disables and enables', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Old', kind: 'interval', intervalMs: 60_000 });

        const renamed = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { name: 'New', input: [{ json: { a: 1 } }] } });
        const switched = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { kind: 'cron', cron: '30 6 * * *', timezone: 'America/New_York' } });
        const disabled = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });
        const enabled = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: true } });

        expect(renamed.body).toMatchObject({ name: 'New', input: [{ json: { a: 1 } }], nextFireAt: schedule.nextFireAt });
        expect(switched.body).toMatchObject({ kind: 'cron', cron: '30 6 * * *', timezone: 'America/New_York', intervalMs: null });
        expect(switched.body.nextFireAt).not.toBe(schedule.nextFireAt);
        expect(new Date(switched.body.nextFireAt!).getUTCMinutes()).toBe(30);
        expect(disabled.body).toMatchObject({ enabled: false, nextFireAt: null });
        expect(enabled.body).toMatchObject({ enabled: true, nextFireAt: switched.body.nextFireAt });
      });

      it('rejects rename to taken name', async () => {
        const graphId = await createGraph();
        await createSchedule(graphId, { name: 'Taken', kind: 'interval', intervalMs: 60_000, enabled: false });
        const other = await createSchedule(graphId, { name: 'Other', kind: 'interval', intervalMs: 60_000, enabled: false });

        const { status } = await call(`/api/graphs/${graphId}/schedules/${other.id}`, { method: 'PATCH', json: { name: 'Taken' } });

        expect(status).toBe(409);
      });

      it('deletes a schedule', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Gone', kind: 'interval', intervalMs: 60_000 });

        const deleted = await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'DELETE' });
        const again = await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'DELETE' });
        const read = await call(`/api/graphs/${graphId}/schedules/${schedule.id}`);

        expect(deleted.status).toBe(204);
        expect(again.status).toBe(404);
        expect(read.status).toBe(404);
      });

      it('lets viewers read but not write', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Viewed', kind: 'interval', intervalMs: 60_000, enabled: false });

        const read = await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { key: viewerKey });
        const create = await call(`/api/graphs/${graphId}/schedules`, { method: 'POST', key: viewerKey, json: { name: 'No', kind: 'interval', intervalMs: 1000 } });
        const change = await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', key: viewerKey, json: { enabled: true } });
        const remove = await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'DELETE', key: viewerKey });

        expect(read.status).toBe(200);
        expect(create.status).toBe(403);
        expect(change.status).toBe(403);
        expect(remove.status).toBe(403);
      });
    });

    describe('firing', () => {
      it('runs as creator with input', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Every second', kind: 'interval', intervalMs: 1_000, version: 'draft', input: [{ json: { n: 7 } }] });

        const runs = await waitFor('two scheduled runs', () => scheduledRuns(graphId), (items) => items.length >= 2);
        await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });
        const latest = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`);
        const finished = await call<RunBody & { input: { items: unknown[] } }>(`/api/runs/${runs[runs.length - 1]!.id}`);

        for (const run of runs) expect(run.createdBy).toBe(schedule.createdBy);
        expect(finished.body.input.items).toEqual([{ json: { n: 7 } }]);
        expect(latest.body.lastFiredAt).not.toBeNull();
        expect(latest.body.lastError).toBeNull();
        expect((await scheduledRuns(graphId)).map((run) => run.id)).toContain(latest.body.lastRunId);
      });

      it('stops firing when disabled', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Brief', kind: 'interval', intervalMs: 1_000, version: 'draft' });
        await waitFor('a scheduled run', () => scheduledRuns(graphId), (items) => items.length >= 1);

        await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });
        const count = (await scheduledRuns(graphId)).length;
        await sleep(2_000);

        expect((await scheduledRuns(graphId)).length).toBe(count);
      });

      it('records failed fire and continues', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Unpublished', kind: 'interval', intervalMs: 1_000 });

        const failed = await waitFor('a failed fire', async () => (await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`)).body, (body) => body.lastError !== null);
        await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });

        expect(failed.lastError!.code).toBe('no_live_version');
        expect(failed.lastError!.message).toContain('publish');
        expect(failed.lastRunId).toBeNull();
        expect(new Date(failed.nextFireAt!).getTime()).toBeGreaterThan(new Date(schedule.nextFireAt!).getTime());
        expect(await scheduledRuns(graphId)).toEqual([]);
      });

      it('fires missed due times once', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Per minute', kind: 'interval', intervalMs: 60_000, version: 'draft' });
        // Ten and a half intervals overdue, as after a long stop of every kernel process.
        const overdue = new Date(Date.now() - 10.5 * 60_000);
        await t.kernel.services.db.query('update schedules set next_fire_at = $2 where id = $1', [schedule.id, overdue]);

        const runs = await waitFor('the catch-up run', () => scheduledRuns(graphId), (items) => items.length >= 1);
        await sleep(1_000);
        const after = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`);
        await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });

        expect(runs).toHaveLength(1);
        expect(await scheduledRuns(graphId)).toHaveLength(1);
        expect(new Date(after.body.nextFireAt!).getTime()).toBe(overdue.getTime() + 11 * 60_000);
      });

      it('skips missed due time under skip policy', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'Skip', kind: 'interval', intervalMs: 60_000, version: 'draft', catchUp: 'skip' });
        const overdue = new Date(Date.now() - 5.5 * 60_000);
        await t.kernel.services.db.query('update schedules set next_fire_at = $2 where id = $1', [schedule.id, overdue]);

        const after = await waitFor('the skipped fire', async () => (await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`)).body, (body) => body.lastError !== null);
        await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });

        expect(after.catchUp).toBe('skip');
        expect(after.lastError!.code).toBe('missed_due_time');
        expect(after.lastError!.message).toContain('"skip"');
        expect(new Date(after.nextFireAt!).getTime()).toBe(overdue.getTime() + 6 * 60_000);
        expect(await scheduledRuns(graphId)).toEqual([]);
      });

      it('fires each missed due time under all policy', async () => {
        const graphId = await createGraph();
        const schedule = await createSchedule(graphId, { name: 'All', kind: 'interval', intervalMs: 60_000, version: 'draft', catchUp: 'all' });
        // Due 3.5 intervals ago: the due times at -3.5, -2.5, -1.5 and -0.5 minutes were missed.
        const overdue = new Date(Date.now() - 3.5 * 60_000);
        await t.kernel.services.db.query('update schedules set next_fire_at = $2 where id = $1', [schedule.id, overdue]);

        const runs = await waitFor('four catch-up runs', () => scheduledRuns(graphId), (items) => items.length >= 4);
        await sleep(1_000);
        const after = await call<ScheduleBody>(`/api/graphs/${graphId}/schedules/${schedule.id}`);
        await call(`/api/graphs/${graphId}/schedules/${schedule.id}`, { method: 'PATCH', json: { enabled: false } });

        expect(runs).toHaveLength(4);
        expect(await scheduledRuns(graphId)).toHaveLength(4);
        expect(new Date(after.body.nextFireAt!).getTime()).toBe(overdue.getTime() + 4 * 60_000);
      });

      it('rejects unknown catch-up policy', async () => {
        const graphId = await createGraph();
        const response = await call<{ errors: Array<{ path: string }> }>(`/api/graphs/${graphId}/schedules`, { method: 'POST', json: { name: 'Bad', kind: 'interval', intervalMs: 60_000, catchUp: 'sometimes' } });

        expect(response.status).toBe(422);
        expect(JSON.stringify(response.body)).toContain('catchUp');
      });
    });

    it('fires schedules after restart', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-schedules-restart-'));
      const databaseUrl = backend.name === 'postgres' ? await createServerDatabase() : undefined;
      const env = { MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent', MIFY_SCHEDULE_POLL_MS: '200', MIFY_RATE_LIMIT_IP_PER_MINUTE: '100000', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
      const start = async () => {
        const kernel = await createKernel({ config: loadConfig(env), logger: createLogger({ level: 'silent' }) });
        const server = await startServer(kernel, { host: '127.0.0.1', port: 0, webDir: path.join(dataDir, 'no-studio') });
        return { kernel, server };
      };
      const request = async <T>(url: string, pathname: string, init: { method?: string; json?: unknown; cookie?: string } = {}) => {
        const response = await fetch(`${url}${pathname}`, {
          method: init.method ?? 'GET',
          headers: { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.cookie ? { cookie: init.cookie } : {}) },
          ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
        });
        return { status: response.status, headers: response.headers, body: (await response.json().catch(() => null)) as T };
      };

      try {
        const first = await start();
        await first.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
        const setup = await request<unknown>(first.server.url, '/api/setup', { method: 'POST', json: { email: 'restart@example.com', password: 'correct-horse-1', workspace: 'Restart' } });
        const cookie = setup.headers.getSetCookie().find((value) => value.startsWith('mify_session='))!.split(';')[0]!;
        const graph = await request<{ id: string }>(first.server.url, '/api/graphs', { method: 'POST', cookie, json: { name: 'Restarted', definition } });
        const schedule = await request<ScheduleBody>(first.server.url, `/api/graphs/${graph.body.id}/schedules`, { method: 'POST', cookie, json: { name: 'Survives', kind: 'interval', intervalMs: 1_000, version: 'draft', enabled: false } });
        await first.server.close();

        const second = await start();
        try {
          const stored = await request<ScheduleBody>(second.server.url, `/api/graphs/${graph.body.id}/schedules/${schedule.body.id}`, { cookie });
          await request(second.server.url, `/api/graphs/${graph.body.id}/schedules/${schedule.body.id}`, { method: 'PATCH', cookie, json: { enabled: true } });
          const fired = await waitFor(
            'a run after the restart',
            async () => (await request<{ items: RunBody[] }>(second.server.url, `/api/runs?graphId=${graph.body.id}`, { cookie })).body.items.filter((run) => run.mode === 'schedule'),
            (items) => items.length >= 1,
          );

          expect(stored.status).toBe(200);
          expect(stored.body.name).toBe('Survives');
          expect(fired.length).toBeGreaterThanOrEqual(1);
        } finally {
          await second.server.close();
        }
      } finally {
        if (databaseUrl) await dropServerDatabase(databaseUrl);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
