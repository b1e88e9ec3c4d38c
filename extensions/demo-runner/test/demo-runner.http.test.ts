/**
 * mify.demo-runner in a real kernel: anonymous starts of starter templates in the demo
 * workspace, their status and events, the per-IP rate limit and the daily token ceiling.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../../kernel/src/test-support/databases.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

const FOLDER = fileURLToPath(new URL('..', import.meta.url));

let ipCount = 0;

/** Starts a demo run from `ip` (through the trusted proxy header), without any credentials. */
async function start(t: TestKernel, body: unknown, ip = `198.51.100.${++ipCount % 250}`) {
  const response = await t.fetch('/api/public-demo-run/start', { method: 'POST', headers: { 'x-forwarded-for': ip }, json: body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

async function status(t: TestKernel, runId: string, waitMs = 20_000) {
  const response = await t.fetch(`/api/public-demo-run/${runId}/status?waitMs=${waitMs}`);
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  await build({ entryPoints: [`${FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${FOLDER}/dist/index.js`, logLevel: 'warning' });
});

describe.each(databaseBackends)('demo runner on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;

    beforeAll(async () => {
      t = await startTestKernel(backend.name, { env: { MIFY_DEMO_RUNNER: 'true', MIFY_TRUST_PROXY: 'true', MIFY_DEMO_DAILY_TOKENS: '1000000', MIFY_DEMO_MIN_TOKENS_PER_RUN: '100' } });
    }, 120_000);

    afterAll(async () => {
      await t?.close();
    });

    it('runs a starter template anonymously', { timeout: 60_000 }, async () => {
      const started = await start(t, { templateId: 'echo-reply', input: { message: 'hi there' } });
      const finished = await status(t, started.body.runId);

      expect(started.status).toBe(202);
      expect(started.headers.get('location')).toBe(`/api/public-demo-run/${started.body.runId}/status`);
      expect(finished.body.status).toBe('succeeded');
      expect(finished.body.output[0].json.reply).toBe('You said: hi there');
      expect(finished.body.tokens).toBe(0);
    });

    it('creates one demo workspace without members', { timeout: 60_000 }, async () => {
      await start(t, { templateId: 'daily-digest', input: { topic: 'news' } });

      const workspaces = await t.kernel.services.db.query<{ id: string; members: string }>(`select w.id, (select count(*) from memberships m where m.workspace_id = w.id)::text as members from workspaces w where slug = 'public-demo'`);
      const graphs = await t.kernel.services.db.query<{ tags: string[] }>(`select tags from graphs where workspace_id = $1 order by created_at`, [workspaces[0]!.id]);

      expect(workspaces).toHaveLength(1);
      expect(workspaces[0]!.members).toBe('0');
      expect(graphs.map((graph) => graph.tags[0])).toEqual(['template:echo-reply', 'template:daily-digest']);
    });

    it('streams the run events until it finishes', { timeout: 60_000 }, async () => {
      const started = await start(t, { templateId: 'echo-reply', input: { message: 'stream me' } });

      const response = await t.fetch(`/api/public-demo-run/${started.body.runId}/events`);
      const text = await response.text();

      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(text).toContain('event: run.started');
      expect(text).toContain('event: run.finished');
    });

    it('rejects a template that is not a starter', async () => {
      const response = await start(t, { templateId: 'my-private-graph' });

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('template_not_found');
      expect(response.body.detail).toContain('echo-reply');
    });

    it.each([
      ['a missing templateId', {}, 'templateId must be'],
      ['an input that is a list', { templateId: 'echo-reply', input: [1] }, 'input must be a JSON object'],
      ['an input too large', { templateId: 'echo-reply', input: { text: 'x'.repeat(16_001) } }, 'at most 16000 characters'],
    ])('rejects %s', async (_case, body, fragment) => {
      const response = await start(t, body);

      expect(response.status).toBe(422);
      expect(response.body.detail).toContain(fragment);
    });

    it('rate-limits starts per address', { timeout: 120_000 }, async () => {
      const statuses: number[] = [];
      for (let index = 0; index < 21; index += 1) statuses.push((await start(t, { templateId: 'echo-reply' }, '203.0.113.50')).status);
      const rejected = await start(t, { templateId: 'echo-reply' }, '203.0.113.50');
      const otherAddress = await start(t, { templateId: 'echo-reply' }, '203.0.113.51');

      expect(statuses.slice(0, 20).every((code) => code === 202)).toBe(true);
      expect(statuses[20]).toBe(429);
      expect(rejected.body.code).toBe('rate_limited');
      expect(Number(rejected.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(otherAddress.status).toBe(202);
    });

    it('answers 404 for a run it did not start', async () => {
      const owner = await setupOwner(t);
      const definition = { nodes: [{ id: 'start', type: 'mify.control.manual-trigger', typeVersion: 1, name: 'Start', position: { x: 0, y: 0 }, parameters: {} }], edges: [] };
      const graph = await t.fetch('/api/graphs', { method: 'POST', cookie: owner.cookie, json: { name: 'Private', definition } });
      const privateRun = await t.fetch(`/api/graphs/${((await graph.json()) as { id: string }).id}/runs`, { method: 'POST', cookie: owner.cookie, json: { version: 'draft' } });
      expect(privateRun.status).toBe(201);
      const runId = ((await privateRun.json()) as { id: string }).id;

      const response = await t.fetch(`/api/public-demo-run/${runId}/status`);
      const events = await t.fetch(`/api/public-demo-run/${runId}/events`);

      expect(response.status).toBe(404);
      expect(events.status).toBe(404);
    });
  });
});

describe('demo runner at the token ceiling', () => {
  let t: TestKernel;

  beforeAll(async () => {
    // 5 runs of at least 100 tokens fit under 500.
    t = await startTestKernel('pglite', { env: { MIFY_DEMO_RUNNER: 'true', MIFY_TRUST_PROXY: 'true', MIFY_DEMO_DAILY_TOKENS: '500', MIFY_DEMO_MIN_TOKENS_PER_RUN: '100' } });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('starts exactly the runs that fit of concurrent starts', { timeout: 120_000 }, async () => {
    const responses = await Promise.all(Array.from({ length: 12 }, () => start(t, { templateId: 'echo-reply', input: { message: 'race' } })));

    const accepted = responses.filter((response) => response.status === 202);
    const rejected = responses.filter((response) => response.status === 429);
    expect(accepted).toHaveLength(5);
    expect(rejected).toHaveLength(7);
    expect(rejected[0]!.body.code).toBe('token_ceiling_reached');
  });

  it('creates one workspace and graph for concurrent first starts', async () => {
    const graphs = await t.kernel.services.db.query(`select g.id from graphs g join workspaces w on w.id = g.workspace_id where w.slug = 'public-demo'`);

    expect(graphs).toHaveLength(1);
  });

  it('keeps the ceiling after the runs finish', { timeout: 120_000 }, async () => {
    const runs = await t.kernel.services.db.query<{ id: string }>(`select id from runs`);
    for (const run of runs) await status(t, run.id);

    // Each echo run used no model tokens, so each counts the minimum of 100 and the day stays full.
    const response = await start(t, { templateId: 'echo-reply' });

    expect(response.status).toBe(429);
  });
});

describe('demo runner switched off', () => {
  let t: TestKernel;

  beforeAll(async () => {
    t = await startTestKernel('pglite');
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('answers 404 naming the setting', async () => {
    const response = await start(t, { templateId: 'echo-reply' });

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('demo_disabled');
    expect(response.body.detail).toContain('MIFY_DEMO_RUNNER=true');
  });

  it('creates no demo workspace', async () => {
    const rows = await t.kernel.services.db.query(`select id from workspaces where slug = 'public-demo'`);

    expect(rows).toHaveLength(0);
  });
});
