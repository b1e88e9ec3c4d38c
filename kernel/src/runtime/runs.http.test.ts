import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MifyGraphInput } from '../graphs/model.js';
import { backendTitle, databaseBackends } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';
import { ACME_TEST, executable, testEdge as edge, testGraph, testNode as node } from './testing/acme-extension.js';

interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Parses a complete Server-Sent Events body into its events; comment lines are skipped. */
function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').some((line) => line.startsWith('data:')))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
    });
}

/** The runs API over real HTTP on 127.0.0.1, including the event stream. */
describe.each(databaseBackends)('runs API on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let cookie: string;
    let workspaceId: string;

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t);
      cookie = owner.cookie;
      workspaceId = owner.workspace.id;
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    const chain: MifyGraphInput = {
      nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms: 100 } }), node('p', 'pass')],
      edges: [edge('t', 'nap'), edge('nap', 'p')],
    };
    const startRun = async (body: Record<string, unknown>) => {
      const response = await t.fetch('/api/runs', { method: 'POST', cookie, json: body });
      return { response, body: (await response.json()) as Record<string, any> };
    };

    it('runs an inline graph and waits for its output', async () => {
      const { response, body } = await startRun({ graph: chain, input: [{ json: { n: 1 } }], wait: true });

      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe(`/api/runs/${body.id}`);
      expect(body).toMatchObject({ status: 'succeeded', mode: 'manual', workspaceId });
      expect(body.output).toEqual({ items: [{ json: { n: 1, path: ['t', 'nap', 'p'] } }], itemCount: 1, truncated: false });
    });

    it('starts a run with one empty item by default', async () => {
      const { body } = await startRun({ graph: { nodes: [node('t', 'trigger')], edges: [] }, wait: true });

      expect(body.output.items).toEqual([{ json: { path: ['t'] } }]);
    });

    it('rejects an invalid graph listing its problems', async () => {
      const { response, body } = await startRun({ graph: { nodes: [node('x', 'missing')], edges: [edge('x', 'ghost')] } });

      expect(response.status).toBe(422);
      expect(body.errors.map((problem: { path: string }) => problem.path)).toEqual(expect.arrayContaining(['graph.nodes[0].type', 'graph.edges[0].to.node']));
    });

    it('returns a run with its steps', async () => {
      const { body: started } = await startRun({ graph: chain, wait: true });
      const response = await t.fetch(`/api/runs/${started.id}`, { cookie });
      const body = (await response.json()) as { steps: Array<{ nodeId: string; status: string; durationMs: number }> };

      expect(response.status).toBe(200);
      expect(body.steps.map((step) => [step.nodeId, step.status])).toEqual([
        ['t', 'succeeded'],
        ['nap', 'succeeded'],
        ['p', 'succeeded'],
      ]);
      expect(body.steps[1]!.durationMs).toBeGreaterThanOrEqual(100);
    });

    it('lists runs with a cursor', async () => {
      await startRun({ graph: chain, wait: true });
      const first = (await (await t.fetch('/api/runs?limit=1', { cookie })).json()) as { items: Array<{ id: string }>; nextCursor: string };
      const second = (await (await t.fetch(`/api/runs?limit=1&cursor=${first.nextCursor}`, { cookie })).json()) as { items: Array<{ id: string }> };

      expect(first.items).toHaveLength(1);
      expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    });

    it('cancels a running run over HTTP', async () => {
      const { body: started } = await startRun({ graph: { nodes: [node('t', 'trigger'), node('nap', 'sleep', { parameters: { ms: 1_000 } })], edges: [edge('t', 'nap')] } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await t.fetch(`/api/runs/${started.id}/cancel`, { method: 'POST', cookie });

      expect(response.status).toBe(200);
      expect(((await response.json()) as { status: string }).status).toBe('cancelled');
    });

    it('streams run and step events live until the run finishes', async () => {
      const { body: started } = await startRun({ graph: chain });
      const response = await t.fetch(`/api/runs/${started.id}/events`, { cookie });
      const events = parseSse(await response.text());

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(events.map((event) => event.event)).toEqual([
        'run.started',
        'step.started',
        'step.succeeded',
        'step.started',
        'step.succeeded',
        'step.started',
        'step.succeeded',
        'run.finished',
      ]);
      expect(events.map((event) => event.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
      expect(events[4]!.data).toMatchObject({ nodeId: 'nap', status: 'succeeded', attempt: 1, outputItemCount: 1 });
      expect(events.at(-1)!.data).toMatchObject({ runId: started.id, status: 'succeeded', outputItemCount: 1 });
    });

    it('replays recorded events to a late subscriber', async () => {
      const { body: finished } = await startRun({ graph: chain, wait: true });
      const events = parseSse(await (await t.fetch(`/api/runs/${finished.id}/events`, { cookie })).text());

      expect(events).toHaveLength(8);
      expect(events[0]!.event).toBe('run.started');
      expect(events.at(-1)!.event).toBe('run.finished');
    });

    it('resumes after Last-Event-ID', async () => {
      const { body: finished } = await startRun({ graph: chain, wait: true });
      const events = parseSse(await (await t.fetch(`/api/runs/${finished.id}/events`, { cookie, headers: { 'last-event-id': '5' } })).text());

      expect(events.map((event) => event.id)).toEqual(['6', '7', '8']);
    });

    it('answers 204 for a finished run after its last event', async () => {
      const { body: finished } = await startRun({ graph: chain, wait: true });
      const response = await t.fetch(`/api/runs/${finished.id}/events`, { cookie, headers: { 'last-event-id': '8' } });

      expect(response.status).toBe(204);
    });

    it('streams skipped and failed steps', async () => {
      const graph = { nodes: [node('t', 'trigger'), node('if', 'if', { parameters: { field: 'go' } }), node('skip', 'pass'), node('bad', 'fail')], edges: [edge('t', 'if'), edge('if:true', 'skip'), edge('if:false', 'bad')] };
      const { body: finished } = await startRun({ graph, input: [{ json: { go: false } }], wait: true });
      const events = parseSse(await (await t.fetch(`/api/runs/${finished.id}/events`, { cookie })).text());

      expect(events.find((event) => event.event === 'step.skipped')!.data.nodeId).toBe('skip');
      expect(events.find((event) => event.event === 'step.failed')!.data).toMatchObject({ nodeId: 'bad', error: { code: 'extension_threw' } });
      expect(events.at(-1)!.data).toMatchObject({ status: 'failed' });
    });

    it('answers 404 for a run of another workspace', async () => {
      const { userService, runService } = t.kernel.services;
      const other = await userService.createUser({ email: 'other@example.com', password: 'other-password-1' });
      const workspace = await userService.createWorkspace({ name: 'Other', ownerId: other.id });
      const foreign = await runService.start({ workspaceId: workspace.id, graph: executable(workspace.id, testGraph(chain)), input: [], mode: 'api', createdBy: null, waitForCompletion: true });

      for (const path of [`/api/runs/${foreign.id}`, `/api/runs/${foreign.id}/events`]) expect((await t.fetch(path, { cookie })).status, path).toBe(404);
      expect((await t.fetch(`/api/runs/${foreign.id}/cancel`, { method: 'POST', cookie })).status).toBe(404);
      expect(JSON.stringify(await (await t.fetch('/api/runs?limit=200', { cookie })).json())).not.toContain(foreign.id);
    });
  });
});
