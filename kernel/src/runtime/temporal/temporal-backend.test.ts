import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, MifyGraph } from '../../graphs/model.js';
import { writeIsolateExtension } from '../../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../test-support/kernel.js';
import { startTestTemporal, temporalSkipReason, temporalTitle, type TestTemporal } from '../../test-support/temporal.js';
import type { RunService } from '../run-service.js';
import type { RunEvent, RunRecord, StepRow } from '../run-store.js';
import { ACME_TEST, executable, testEdge as edge, testGraph as graph, testNode as node } from '../testing/acme-extension.js';
import { ACME_TEMPORAL } from './testing.js';

/** Maximum payload that the suite's kernel passes to Temporal, small enough to test the limit cheaply. */
const MAX_PAYLOAD_BYTES = 200_000;

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Tests of the Temporal back end against a real Temporal server. Where records must match,
 * they are compared with those of the embedded back end.
 */
describe.skipIf(temporalSkipReason !== null)(temporalTitle('Temporal run back end'), () => {
  let temporal: TestTemporal;
  let t: TestKernel;
  let embedded: TestKernel;
  let client: Client;
  let connection: Connection;
  let workspaceId: string;
  let cookie: string;
  let embeddedWorkspaceId: string;
  let runs: RunService;
  let server: http.Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    temporal = await startTestTemporal();
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const install = async (kernel: TestKernel) => {
      await kernel.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
      await kernel.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEMPORAL.id, code: ACME_TEMPORAL.code, manifest: ACME_TEMPORAL.manifest }) });
    };
    t = await startTestKernel('pglite', {
      env: {
        TEMPORAL_ADDRESS: temporal.address,
        MIFY_RUN_BACKEND: 'temporal',
        // A dedicated task queue, so workers of other suites on the same server never take these runs.

        MIFY_TEMPORAL_TASK_QUEUE: `mify-test-${process.pid}-${Date.now()}`,
        MIFY_TEMPORAL_HEARTBEAT_TIMEOUT_MS: '2000',
        MIFY_TEMPORAL_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES),
        MIFY_ALLOW_PRIVATE_NETWORK: 'true',
      },
    });
    embedded = await startTestKernel('pglite', { env: { MIFY_RUN_BACKEND: 'embedded', MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
    const owner = await setupOwner(t);
    workspaceId = owner.workspace.id;
    cookie = owner.cookie;
    embeddedWorkspaceId = (await setupOwner(embedded)).workspace.id;
    await install(t);
    await install(embedded);
    runs = t.kernel.services.runService;
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection, namespace: 'default' });
  }, 120_000);

  afterAll(async () => {
    await connection?.close();
    await t?.close();
    await embedded?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await temporal?.stop();
  }, 60_000);

  const start = (document: MifyGraph, options: { input?: Item[]; graphId?: string; wait?: boolean; service?: RunService; workspace?: string } = {}) => {
    const workspace = options.workspace ?? workspaceId;
    return (options.service ?? runs).start({ workspaceId: workspace, graph: executable(workspace, document, options.graphId ?? null), input: options.input ?? [{ json: {} }], mode: 'api', createdBy: 'usr_test', waitForCompletion: options.wait ?? true });
  };
  const stepsOf = (record: { steps: StepRow[] }, nodeId: string) => record.steps.filter((step) => step.nodeId === nodeId);
  const eventsOf = async (runId: string): Promise<RunEvent[]> => (await runs.history(workspaceId, runId)).events;
  const historyOf = async (runId: string) => (await client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  /** The history as JSON with every payload's data decoded from base64, so it can be searched as text. */
  const payloadText = (data: unknown) => (typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data as Uint8Array)).toString('utf8');
  const historyText = async (runId: string) =>
    JSON.stringify(await historyOf(runId), function (this: Record<string, unknown>, key, value: unknown) {
      return key === 'data' && this.metadata !== undefined ? payloadText(this[key]) : value;
    });
  /** Activity inputs scheduled for `nodeId` as decoded text, with their schedule attributes. */
  const schedulesOf = async (runId: string, nodeId: string) =>
    (await historyOf(runId))
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes?.activityType?.name === 'runActivation')
      .filter((attributes) => (attributes!.input?.payloads ?? []).some((payload) => payloadText(payload.data).includes(`"nodeId":"${nodeId}"`)))
      .map((attributes) => attributes!);
  const durationMs = (duration: { seconds?: unknown; nanos?: unknown } | null | undefined) => Number(duration?.seconds ?? 0) * 1000 + Number(duration?.nanos ?? 0) / 1e6;

  /** Polls until `check` returns a value, for states reached asynchronously. */
  async function until<T>(description: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('multi-node graph matches embedded records', async () => {
    const document = graph({
      nodes: [
        node('t', 'trigger'),
        node('a', 'pass'),
        node('check', 'if', { parameters: { field: 'go' } }),
        node('yes', 'set', { parameters: { field: 'steps', value: '{{ $node["a"].json.path.length }}' } }),
        node('no', 'pass'),
        node('end', 'usage', { parameters: { tokens: 7, costUsd: 0.5 } }),
      ],
      edges: [edge('t', 'a'), edge('a', 'check'), edge('check:true', 'yes'), edge('check:false', 'no'), edge('yes', 'end')],
    });
    const input = [{ json: { go: true, n: 1 } }, { json: { go: false, n: 2 } }];

    const onTemporal = await runs.get(workspaceId, (await start(document, { input })).id);
    const onEmbedded = await embedded.kernel.services.runService.get(embeddedWorkspaceId, (await start(document, { input, service: embedded.kernel.services.runService, workspace: embeddedWorkspaceId })).id);
    const shape = (record: RunRecord & { steps: StepRow[] }) => ({
      status: record.status,
      error: record.error,
      input: record.input,
      output: record.output,
      usage: record.usage,
      steps: record.steps.map((step) => ({ seq: step.seq, nodeId: step.nodeId, status: step.status, attempt: step.attempt, activation: step.activation, input: step.input, output: step.output, inputHash: step.inputHash, idempotencyKey: step.idempotencyKey.replace(record.id, 'RUN') })),
    });
    const eventTypes = async (service: RunService, workspace: string, runId: string) => (await service.history(workspace, runId)).events.map((event) => `${event.id}:${event.type}`);

    expect(onTemporal.status).toBe('succeeded');
    expect(onTemporal.output).toEqual({ items: [{ json: { go: false, n: 2, path: ['t', 'a', 'no'] } }, { json: { go: true, n: 1, path: ['t', 'a'], steps: 2 } }], itemCount: 2, truncated: false });
    expect(shape(onTemporal)).toEqual(shape(onEmbedded));
    expect(await eventTypes(runs, workspaceId, onTemporal.id)).toEqual(await eventTypes(embedded.kernel.services.runService, embeddedWorkspaceId, onEmbedded.id));
    expect((await runs.history(workspaceId, onTemporal.id)).journal.map((entry) => entry.stepKey)).toEqual(['t:1', 'a:1', 'check:1', 'yes:1', 'no:1', 'end:1']);
  });

  it('retries node through activity retry policy', async () => {
    const retry = { maxAttempts: 3, backoffMs: 100, backoffFactor: 2, maxBackoffMs: 1_000 };
    const document = graph({ nodes: [node('t', 'trigger'), node('flaky', 'fail-n-times', { parameters: { failures: 2 }, settings: { retry } })], edges: [edge('t', 'flaky')] });
    const record = await runs.get(workspaceId, (await start(document)).id);
    const steps = stepsOf(record, 'flaky');
    const [flakySchedule] = await schedulesOf(record.id, 'flaky');

    expect(record.status).toBe('succeeded');
    expect(steps.map((step) => [step.attempt, step.status])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'succeeded']]);
    expect(steps.map((step) => step.error?.retryInMs ?? null)).toEqual([100, 200, null]);
    expect(new Set(steps.map((step) => step.idempotencyKey)).size).toBe(1);
    expect((record.output as { items: Item[] }).items[0]!.json.attempts).toBe(3);
    expect(durationMs(flakySchedule!.retryPolicy!.initialInterval)).toBe(100);
    expect(durationMs(flakySchedule!.retryPolicy!.maximumInterval)).toBe(1_000);
    expect(flakySchedule!.retryPolicy!.backoffCoefficient).toBe(2);
  });

  it('step timeoutMs fails step, sets activity timeout', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('slow', 'sleep', { parameters: { ms: 2_000 }, settings: { timeoutMs: 300 } })], edges: [edge('t', 'slow')] });
    const record = await runs.get(workspaceId, (await start(document)).id);
    const step = stepsOf(record, 'slow')[0]!;
    const [slowSchedule] = await schedulesOf(record.id, 'slow');

    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'step_timeout', nodeId: 'slow' });
    expect(step).toMatchObject({ status: 'failed', attempt: 1 });
    expect(step.durationMs).toBeLessThan(1_500);
    // The node's timeout plus the 10 s the activity gets to record the timed-out step.
    expect(durationMs(slowSchedule!.startToCloseTimeout)).toBe(10_300);
  });

  it('waits for approval via RunService.decide', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('review', 'acme.temporal.wait', { parameters: { kind: 'approval' } }), node('after', 'pass')], edges: [edge('t', 'review'), edge('review', 'after')] });
    const started = await start(document, { wait: false, input: [{ json: { draft: 'v1' } }] });
    const wait = await until('the approval wait', async () => (await runs.waits.list(workspaceId, { runId: started.id, status: 'pending', limit: 10 }))[0]);
    const waiting = await until('status waiting', async () => {
      const run = await runs.get(workspaceId, started.id);
      return run.status === 'waiting' && run;
    });

    await runs.decide(workspaceId, wait.id, { outcome: 'approved', items: [{ json: { draft: 'v2' } }], comment: 'looks good', decidedBy: 'usr_reviewer' });
    const finished = await runs.waitFor(workspaceId, started.id);
    const items = (finished.output as { items: Item[] }).items;
    const types = (await eventsOf(started.id)).map((event) => event.type);

    expect(waiting.status).toBe('waiting');
    expect(wait).toMatchObject({ kind: 'approval', nodeId: 'review', stepKey: 'review:1' });
    expect(finished.status).toBe('succeeded');
    expect(items[0]!.json.resume).toMatchObject({ waitId: wait.id, outcome: 'approved', items: [{ json: { draft: 'v2' } }], comment: 'looks good', decidedBy: 'usr_reviewer' });
    expect(types).toEqual(expect.arrayContaining(['wait.created', 'run.waiting', 'wait.decided', 'run.resumed', 'run.finished']));
    expect(types.indexOf('wait.decided')).toBeLessThan(types.indexOf('run.resumed'));
  });

  it('continues after rejection through API', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('review', 'acme.temporal.wait', { parameters: { kind: 'approval' } })], edges: [edge('t', 'review')] });
    const started = await start(document, { wait: false });
    const wait = await until('the approval wait', async () => (await runs.waits.list(workspaceId, { runId: started.id, status: 'pending', limit: 10 }))[0]);

    const response = await t.fetch(`/api/waits/${wait.id}/decision`, { method: 'POST', cookie, json: { decision: 'reject', comment: 'not yet' } });
    const finished = await runs.waitFor(workspaceId, started.id);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: wait.id, status: 'rejected', comment: 'not yet' });
    expect(finished.status).toBe('succeeded');
    expect((finished.output as { items: Item[] }).items[0]!.json.resume).toMatchObject({ outcome: 'rejected', comment: 'not yet' });
  });

  it('expires an approval at its until time', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('review', 'acme.temporal.wait', { parameters: { kind: 'approval', ms: 800 } })], edges: [edge('t', 'review')] });
    const finished = await start(document);
    const items = (finished.output as { items: Item[] }).items;
    const wait = (await runs.waits.list(workspaceId, { runId: finished.id, limit: 10 }))[0]!;

    expect(finished.status).toBe('succeeded');
    expect(items[0]!.json.resume).toMatchObject({ outcome: 'expired', kind: 'approval' });
    expect(wait.status).toBe('expired');
  });

  it('continues after a timer wait', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('later', 'acme.temporal.wait', { parameters: { kind: 'timer', ms: 1_500 } }), node('after', 'pass')], edges: [edge('t', 'later'), edge('later', 'after')] });
    const startedAt = Date.now();
    const finished = await start(document);
    const items = (finished.output as { items: Item[] }).items;
    const timers = (await historyOf(finished.id)).filter((event) => event.timerStartedEventAttributes);

    expect(finished.status).toBe('succeeded');
    expect(items[0]!.json.resume).toMatchObject({ kind: 'timer', outcome: 'elapsed' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_400);
    expect(timers.length).toBeGreaterThanOrEqual(1);
  });

  it('pauses between activations and resumes', async () => {
    const url = `${base}/pause`;
    const document = graph({
      nodes: [node('t', 'trigger'), node('r1', 'acme.temporal.report', { parameters: { url, ms: 600 } }), node('r2', 'acme.temporal.report', { parameters: { url } }), node('r3', 'acme.temporal.report', { parameters: { url } })],
      edges: [edge('t', 'r1'), edge('r1', 'r2'), edge('r2', 'r3')],
    });
    const started = await start(document, { wait: false });
    await until('r1 running', async () => stepsOf(await runs.get(workspaceId, started.id), 'r1').some((step) => step.status === 'running'));

    const paused = await runs.pause(workspaceId, started.id);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const whilePaused = await runs.get(workspaceId, started.id);
    await runs.resume(workspaceId, started.id, 'usr_test');
    const finished = await runs.waitFor(workspaceId, started.id);
    const types = (await eventsOf(started.id)).map((event) => event.type);

    expect(paused.status).toBe('paused');
    expect(whilePaused.status).toBe('paused');
    expect(stepsOf(whilePaused, 'r1').map((step) => step.status)).toEqual(['succeeded']);
    expect(stepsOf(whilePaused, 'r2')).toEqual([]);
    expect(finished.status).toBe('succeeded');
    expect(types.filter((type) => type === 'run.paused' || type === 'run.resumed')).toEqual(['run.paused', 'run.resumed']);
  });

  it('cancels a run and its running activity', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms: 4_000 } })], edges: [edge('t', 'nap')] });
    const started = await start(document, { wait: false });
    await until('the sleeping step', async () => stepsOf(await runs.get(workspaceId, started.id), 'nap').some((step) => step.status === 'running'));

    const cancelled = await runs.cancel(workspaceId, started.id);
    const record = await runs.get(workspaceId, started.id);
    const result = await client.workflow.getHandle(started.id).result();
    const history = await historyOf(started.id);

    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error).toMatchObject({ code: 'run_cancelled' });
    expect(stepsOf(record, 'nap').map((step) => step.status)).toEqual(['cancelled']);
    expect(history.some((event) => event.activityTaskCancelRequestedEventAttributes)).toBe(true);
    expect(history.some((event) => event.activityTaskCanceledEventAttributes)).toBe(true);
    expect(result).toEqual({ status: 'cancelled', error: { message: 'the run was cancelled', code: 'run_cancelled' } });
  });

  it('fails a run past the graph timeout', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms: 3_000 } })], edges: [edge('t', 'nap')], settings: { timeoutMs: 800 } });
    const finished = await start(document);
    const record = await runs.get(workspaceId, finished.id);

    expect(finished.status).toBe('failed');
    expect(finished.error).toMatchObject({ code: 'run_timeout' });
    expect(stepsOf(record, 'nap').map((step) => [step.status, step.error?.code])).toEqual([['failed', 'run_timeout']]);
  });

  it('lists workflows by search attributes', async () => {
    const graphId = `g-search-${Date.now()}`;
    const finished = await start(graph({ nodes: [node('t', 'trigger'), node('p', 'pass')], edges: [edge('t', 'p')] }), { graphId });

    const listed = await until('the workflow in visibility', async () => {
      const found: string[] = [];
      for await (const workflow of client.workflow.list({ query: `graphId = '${graphId}' AND userId = 'usr_test' AND status = 'succeeded'` })) found.push(workflow.workflowId);
      return found.length > 0 && found;
    });
    const description = await client.workflow.getHandle(finished.id).describe();

    expect(listed).toEqual([finished.id]);
    expect(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]).filter(([name]) => ['graphId', 'userId', 'status'].includes(name as string)).sort()).toEqual([['graphId', graphId], ['status', 'succeeded'], ['userId', 'usr_test']]);
  });

  it('keeps secrets out of workflow history', async () => {
    const secret = `sk-temporal-${Date.now()}-secret`;
    await t.kernel.services.vault.create(workspaceId, { name: 'crm', type: 'acme.crm', data: { apiKey: secret } });
    const document = graph({ nodes: [node('t', 'trigger'), node('call', 'acme.temporal.secret', { parameters: { credential: 'crm', url: `${base}/secret` } })], edges: [edge('t', 'call')] });

    const finished = await start(document);
    const history = await historyText(finished.id);

    expect(finished.status).toBe('succeeded');
    expect(received.find((request) => request.path === '/secret')?.headers['x-api-key']).toBe(secret);
    expect(history).toContain('acme.temporal.secret');
    expect(history).not.toContain(secret);
  });

  it('queues runs past graph concurrency limit', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms: 400 } })], edges: [edge('t', 'nap')], settings: { maxConcurrentRuns: 1 } });
    const started = [];
    for (let index = 0; index < 3; index++) started.push(await start(document, { graphId: 'g-temporal-limited', wait: false }));
    expect(started.map((run) => run.status)).toEqual(['running', 'queued', 'queued']);

    const finished = await Promise.all(started.map((run) => runs.waitFor(workspaceId, run.id)));
    expect(finished.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(finished[1]!.startedAt!.getTime()).toBeGreaterThanOrEqual(finished[0]!.finishedAt!.getTime());
    expect(finished[2]!.startedAt!.getTime()).toBeGreaterThanOrEqual(finished[1]!.finishedAt!.getTime());
  });

  it('cancels a queued run without starting a workflow', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms: 300 } })], edges: [edge('t', 'nap')], settings: { maxConcurrentRuns: 1 } });
    const first = await start(document, { graphId: 'g-temporal-cancel', wait: false });
    const second = await start(document, { graphId: 'g-temporal-cancel', wait: false });
    expect(second.status).toBe('queued');

    expect((await runs.cancel(workspaceId, second.id)).status).toBe('cancelled');
    await expect(client.workflow.getHandle(second.id).describe()).rejects.toThrow();
    expect((await runs.waitFor(workspaceId, first.id)).status).toBe('succeeded');
  });

  it('forks run from step with new input', async () => {
    const document = graph({ nodes: [node('t', 'trigger'), node('a', 'pass'), node('b', 'pass')], edges: [edge('t', 'a'), edge('a', 'b')] });
    const source = await start(document, { input: [{ json: { city: 'Lyon' } }] });
    const { TimeTravelService } = await import('../durable/time-travel.js');
    const fork = await new TimeTravelService(runs).fork(workspaceId, source.id, { stepKey: 'a:1' }, { input: [{ json: { city: 'Oslo' } }] }, 'usr_test', true);

    expect(fork.reusedSteps).toBe(1);
    expect(fork.run).toMatchObject({ status: 'succeeded', mode: 'fork' });
    expect((fork.run.output as { items: Item[] }).items).toEqual([{ json: { city: 'Oslo', path: ['a', 'b'] } }]);
  });

  it('rejects oversized run input before start', async () => {
    const input = [{ json: { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) } }];
    const error = await start(graph({ nodes: [node('t', 'trigger')], edges: [] }), { input }).catch((caught: unknown) => caught as { code: string; status: number; message: string });
    const [latest] = (await runs.list(workspaceId, { limit: 1 })).items;

    expect(error).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(error.message).toContain('MIFY_TEMPORAL_MAX_PAYLOAD_BYTES');
    expect(latest).toMatchObject({ status: 'failed', error: { code: 'payload_too_large' } });
  });
});
