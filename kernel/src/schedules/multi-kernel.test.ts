import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createKernel, type Kernel } from '../kernel.js';
import { createLogger } from '../logger.js';
import { ACME_TEST, testEdge, testNode } from '../runtime/testing/acme-extension.js';
import { startServer, type RunningServer } from '../server.js';
import { backendTitle, createServerDatabase, databaseBackends, dropServerDatabase } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';

interface FireLine {
  msg: string;
  scheduleId: string;
  runId: string;
  dueAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const postgres = databaseBackends.find((backend) => backend.name === 'postgres')!;

/** Two kernel processes' worth of kernels on one PostgreSQL database, both polling the same schedules. */
describe.skipIf(postgres.skipReason !== null)(`schedules on two kernels sharing ${backendTitle(postgres)}`, () => {
  const SCHEDULES = 6;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-schedules-two-'));
  let databaseUrl = '';
  const servers: RunningServer[] = [];
  const kernels: Kernel[] = [];
  /** 'schedule fired' log lines of each kernel. */
  const fires: FireLine[][] = [[], []];
  let cookie = '';

  async function start(index: number): Promise<RunningServer> {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as FireLine;
          if (entry.msg === 'schedule fired') fires[index]!.push(entry);
        }
        callback();
      },
    });
    const config = loadConfig({ DATABASE_URL: databaseUrl, MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'info', MIFY_SCHEDULE_POLL_MS: '100', MIFY_RUN_POLL_MS: '200', MIFY_RATE_LIMIT_IP_PER_MINUTE: '100000' });
    const kernel = await createKernel({ config, logger: createLogger({ level: 'info', destination }) });
    kernels.push(kernel);
    return startServer(kernel, { host: '127.0.0.1', port: 0, webDir: path.join(dataDir, 'no-studio') });
  }

  async function call<T>(server: RunningServer, pathname: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const response = await fetch(`${server.url}${pathname}`, {
      method: init.method ?? 'GET',
      headers: { cookie, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    return { status: response.status, headers: response.headers, body: (await response.json().catch(() => null)) as T };
  }

  beforeAll(async () => {
    databaseUrl = await createServerDatabase();
    servers.push(await start(0));
    await kernels[0]!.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    servers.push(await start(1));
    const setup = await call(servers[0]!, '/api/setup', { method: 'POST', json: { email: 'two@example.com', password: 'correct-horse-1', workspace: 'Two kernels' } });
    cookie = setup.headers.getSetCookie().find((value) => value.startsWith('mify_session='))!.split(';')[0]!;
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    if (databaseUrl) await dropServerDatabase(databaseUrl);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('never fires one due time twice', { timeout: 60_000 }, async () => {
    const definition = { nodes: [testNode('t', 'trigger'), testNode('p', 'pass')], edges: [testEdge('t', 'p')] };
    const created: Array<{ graphId: string; scheduleId: string }> = [];
    for (let index = 0; index < SCHEDULES; index++) {
      const graph = await call<{ id: string }>(servers[index % 2]!, '/api/graphs', { method: 'POST', json: { name: `Graph ${index}`, definition } });
      const schedule = await call<{ id: string }>(servers[index % 2]!, `/api/graphs/${graph.body.id}/schedules`, { method: 'POST', json: { name: 'Every second', kind: 'interval', intervalMs: 1_000, version: 'draft' } });
      expect(schedule.status).toBe(201);
      created.push({ graphId: graph.body.id, scheduleId: schedule.body.id });
    }

    await sleep(5_000);
    for (const { graphId, scheduleId } of created) await call(servers[0]!, `/api/graphs/${graphId}/schedules/${scheduleId}`, { method: 'PATCH', json: { enabled: false } });
    await sleep(500);

    const all = [...fires[0]!, ...fires[1]!];
    const dueTimes = all.map((fire) => `${fire.scheduleId} ${fire.dueAt}`);
    const runsPerSchedule = await Promise.all(
      created.map(async ({ graphId }) => (await call<{ items: Array<{ id: string; mode: string }> }>(servers[1]!, `/api/runs?graphId=${graphId}&limit=200`)).body.items.filter((run) => run.mode === 'schedule')),
    );

    expect(new Set(dueTimes).size).toBe(dueTimes.length);
    expect(fires[0]!.length).toBeGreaterThan(0);
    expect(fires[1]!.length).toBeGreaterThan(0);
    for (const [index, runs] of runsPerSchedule.entries()) {
      const fired = all.filter((fire) => fire.scheduleId === created[index]!.scheduleId);
      expect(runs.map((run) => run.id).sort()).toEqual(fired.map((fire) => fire.runId).sort());
      // About five seconds at one fire per second.
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(runs.length).toBeLessThanOrEqual(6);
    }
  });
});
