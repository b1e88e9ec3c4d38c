import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_TEST, testEdge, testNode } from '../runtime/testing/acme-extension.js';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

interface RunBody {
  id: string;
  status: string;
  mode: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IN_PROGRESS = new Set(['running', 'waiting', 'paused']);

/**
 * A schedule fires every 5 s into a graph whose timer node waits 10 s, with the graph's
 * maxConcurrentRuns at 1. Runs pile up faster than they finish, and the waiting run must keep
 * its slot, so the next one stays queued until it has finished.
 */
describe.each(databaseBackends)('schedule into a slow graph on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let key: string;

    async function call<T = any>(pathname: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
      const response = await t.fetch(pathname, { method: init.method ?? 'GET', key, ...(init.json !== undefined ? { json: init.json } : {}) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    }

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_SCHEDULE_POLL_MS: '200', MIFY_RUN_POLL_MS: '200' } });
      const owner = await setupOwner(t, { workspace: 'Slow graph' });
      key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('keeps maxConcurrentRuns while runs wait', { timeout: 60_000 }, async () => {
      const definition = {
        nodes: [testNode('t', 'trigger'), testNode('wait', 'timer', { parameters: { ms: 10_000 } })],
        edges: [testEdge('t', 'wait')],
        settings: { maxConcurrentRuns: 1 },
      };
      const graph = await call<{ id: string }>('/api/graphs', { method: 'POST', json: { name: 'Waits 10 s', definition } });
      expect(graph.status).toBe(201);
      const graphId = graph.body.id;
      const runsOf = async () => (await call<{ items: RunBody[] }>(`/api/runs?graphId=${graphId}&limit=200`)).body.items.filter((run) => run.mode === 'schedule');

      const schedule = await call<{ id: string }>(`/api/graphs/${graphId}/schedules`, { method: 'POST', json: { name: 'Every 5 s', kind: 'interval', intervalMs: 5_000, version: 'draft' } });
      expect(schedule.status).toBe(201);

      // Sample the runs until the schedule has fired three times (at about 5, 10 and 15 s),
      // then until the second run has finished and the third has left the queue (about 26 s).
      let maxInProgress = 0;
      const seen = new Set<string>();
      let disabled = false;
      let runs: RunBody[] = [];
      const deadline = Date.now() + 45_000;
      for (;;) {
        runs = await runsOf();
        const inProgress = runs.filter((run) => IN_PROGRESS.has(run.status)).length;
        maxInProgress = Math.max(maxInProgress, inProgress);
        for (const run of runs) seen.add(run.status);
        if (inProgress > 0 && runs.some((run) => run.status === 'queued')) seen.add('queued while another runs or waits');

        if (!disabled && runs.length >= 3) {
          await call(`/api/graphs/${graphId}/schedules/${schedule.body.id}`, { method: 'PATCH', json: { enabled: false } });
          disabled = true;
        }
        const byAge = [...runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
        if (disabled && byAge.length >= 3 && byAge[1]!.finishedAt !== null && byAge[2]!.status !== 'queued') break;
        if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(runs)}`);
        await sleep(200);
      }

      const ordered = (await runsOf()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      const details = await Promise.all(ordered.map(async (run) => (await call<RunBody>(`/api/runs/${run.id}`)).body));
      await call(`/api/runs/${ordered[2]!.id}/cancel`, { method: 'POST' });
      const [first, second, third] = details;

      expect(ordered).toHaveLength(3);
      expect(maxInProgress).toBe(1);
      expect(seen).toContain('waiting');
      expect(seen).toContain('queued while another runs or waits');
      expect(first!.status).toBe('succeeded');
      expect(second!.status).toBe('succeeded');
      // No two runs were in progress at once: each started after the one before had finished.
      expect(Date.parse(second!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first!.finishedAt!));
      expect(Date.parse(third!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(second!.finishedAt!));
      // Each run waited its 10 s, so the queue, not the schedule, set the pace.
      expect(Date.parse(first!.finishedAt!) - Date.parse(first!.startedAt!)).toBeGreaterThanOrEqual(10_000);
      // Queued runs started in the order the schedule created them.
      expect(details.map((run) => run.id)).toEqual([...details].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!)).map((run) => run.id));
    });
  });
});
