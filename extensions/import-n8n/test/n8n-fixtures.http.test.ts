import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';
import { buildExtensions, FIXTURES } from './build.js';

interface Report {
  nodes: Array<{ source: { name: string; type: string }; nodeId: string | null; nodeType: string | null; status: string; notes: string[]; flags: string[] }>;
  scheduleHints: Array<{ cron: string }>;
  counts: Record<string, number>;
  warnings: string[];
}
interface GraphNode { id: string; name: string; type: string; parameters: Record<string, unknown> }
interface Imported { graph: { id: string; name: string; scheduleHints: Array<{ cron: string }>; draft: { nodes: GraphNode[]; edges: unknown[] } }; report: Report }
interface Step { nodeName: string; activation: number; status: string; input: { ports: Record<string, Array<{ json: Record<string, unknown> }>> } | null; output: { ports: Record<string, Array<{ json: Record<string, unknown> }>> } | null }
interface Run { id: string; status: string; output: { items: Array<{ json: Record<string, unknown> }> } | null; error: { message: string } | null; steps?: Step[] }

const fixture = (name: string) => fs.readFileSync(`${FIXTURES}/n8n/${name}`, 'utf8');

/** The n8n fixtures imported over the API and run by the real executor. */
describe('n8n fixtures', () => {
  let t: TestKernel;
  let key: string;

  async function call<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
    const response = await t.fetch(path, { method: init.method ?? (init.json === undefined ? 'GET' : 'POST'), key, ...(init.json === undefined ? {} : { json: init.json }) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function importFile(fileName: string, content: string): Promise<Imported> {
    const { status, body } = await call<Imported>('/api/graphs/import/n8n', { json: { fileName, content } });
    expect(status, JSON.stringify(body)).toBe(201);
    return body;
  }

  async function run(graphId: string, input?: Array<Record<string, unknown>>): Promise<Run> {
    const started = await call<Run>(`/api/graphs/${graphId}/runs`, { json: { version: 'draft', wait: true, ...(input ? { input: input.map((json) => ({ json })) } : {}) } });
    const { body } = await call<Run>(`/api/runs/${started.body.id}`);
    return body;
  }

  const statusOf = (report: Report, name: string) => report.nodes.find((node) => node.source.name === name)?.status;
  const values = (items: Array<{ json: Record<string, unknown> }> | undefined) => (items ?? []).map((item) => item.json.data);

  beforeAll(async () => {
    await buildExtensions();
    t = await startTestKernel('pglite', { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
    const owner = await setupOwner(t, { workspace: 'Imports' });
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('imports Workflow_if and runs it', async () => {
    const { graph, report } = await importFile('Workflow_if.json', fixture('Workflow_if.json'));

    expect(report.counts.opaque).toBe(0);
    expect(statusOf(report, 'Code')).toBe('mapped');
    expect(statusOf(report, 'If')).toBe('mapped');
    expect(statusOf(report, 'Schedule Trigger')).toBe('approximated');
    expect(statusOf(report, 'Edit Fields')).toBe('approximated');
    // The rule { interval: [{}] } is n8n's default: every day at midnight.
    expect(graph.scheduleHints.map((hint) => hint.cron)).toEqual(['0 0 * * *']);

    const result = await run(graph.id);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');

    // Code emits data 0..9; If sends data < 5 to true and the rest to false; Edit Fields receives
    // Code's items and both If branches, and keeps only the field data.
    const fromCode = Array.from({ length: 10 }, (_, index) => index);
    const expected = [...fromCode.filter((value) => value < 5), ...fromCode.filter((value) => value >= 5), ...fromCode];
    expect(values(result.output?.items)).toEqual(expected);
    for (const item of result.output!.items) expect(Object.keys(item.json)).toEqual(['data']);

    const ifStep = result.steps!.find((step) => step.nodeName === 'If')!;
    expect(values(ifStep.output!.ports.true)).toEqual([0, 1, 2, 3, 4]);
    expect(values(ifStep.output!.ports.false)).toEqual([5, 6, 7, 8, 9]);
  });

  it('imports Workflow_loop and runs the loop until Code1 throws', async () => {
    const { graph, report } = await importFile('Workflow_loop.json', fixture('Workflow_loop.json'));

    expect(report.counts).toEqual({ mapped: 5, approximated: 0, opaque: 0 });
    const wait = graph.draft.nodes.find((node) => node.name === 'Wait')!;
    // Wait version 1.1 counts in seconds unless a unit is given.
    expect(wait.parameters).toEqual({ mode: 'duration', amount: 2, unit: 'seconds' });

    const result = await run(graph.id);

    // The loop sends 1, 2 and 3 one at a time through Wait, then its done output carries all
    // three to Code1, whose code throws Error('test!!!').
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('test!!!');
    const waits = result.steps!.filter((step) => step.nodeName === 'Wait' && step.status === 'succeeded');
    expect(waits.map((step) => values(step.output!.ports.main))).toEqual([[1], [2], [3]]);
    const thrower = result.steps!.find((step) => step.nodeName === 'Code1')!;
    expect(thrower.status).toBe('failed');
    expect(values(thrower.input!.ports.main)).toEqual([1, 2, 3]);
  });

  describe('Test_Subworkflow-parent', () => {
    let stub: http.Server;
    let stubUrl: string;
    const received: unknown[] = [];

    beforeAll(async () => {
      // Speaks the n8n webhook protocol: a POST with a JSON body, and a response with the JSON
      // of the last node's items ("All Entries"), as n8n's Webhook node sends it.
      stub = http.createServer((request, response) => {
        let text = '';
        request.on('data', (chunk) => (text += chunk));
        request.on('end', () => {
          received.push({ method: request.method, path: request.url, body: JSON.parse(text) });
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify([{ firstname: 'Ada', email: 'ada@example.com' }, { firstname: 'Grace', email: 'grace@example.com' }]));
        });
      });
      await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
      stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/webhook/debug-helper`;
    });

    afterAll(async () => {
      await new Promise((resolve) => stub?.close(resolve));
    });

    it('keeps DebugHelper as an opaque node that explains what to configure', async () => {
      const { graph, report } = await importFile('Test_Subworkflow-parent.json', fixture('Test_Subworkflow-parent.json'));

      const debug = report.nodes.find((node) => node.source.name === 'DebugHelper')!;
      expect(debug.status).toBe('opaque');
      expect(debug.nodeType).toBe('mify.platform.n8n.node');
      expect(debug.flags).toContain('needs-platform');
      expect(statusOf(report, 'Execute Workflow')).toBe('approximated');
      expect(statusOf(report, 'When clicking ‘Test workflow’')).toBe('mapped');

      const result = await run(graph.id);
      expect(result.status).toBe('failed');
      expect(result.error?.message).toContain("Node 'DebugHelper' is the n8n node n8n-nodes-base.debugHelper");
      expect(result.error?.message).toContain('webhookUrl');
    });

    it('runs once the platform node and the sub-workflow are bound', async () => {
      const parent = await importFile('Test_Subworkflow-parent.json', fixture('Test_Subworkflow-parent.json'));
      const child = await importFile('greeting.json', JSON.stringify({
        name: 'Greeting',
        nodes: [
          { id: 'start', name: 'Start', type: 'n8n-nodes-base.executeWorkflowTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
          { id: 'greet', name: 'Greet', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0], parameters: { assignments: { assignments: [{ id: 'a', name: 'greeting', value: "={{ 'Hello ' + $json.firstname }}", type: 'string' }] }, includeOtherFields: true, options: {} } },
        ],
        connections: { Start: { main: [[{ node: 'Greet', type: 'main', index: 0 }]] } },
      }));
      expect(child.report.counts).toEqual({ mapped: 2, approximated: 0, opaque: 0 });
      expect((await call(`/api/graphs/${child.graph.id}/publish`, { json: {} })).status).toBe(201);

      const draft = parent.graph.draft;
      for (const node of draft.nodes) {
        if (node.name === 'DebugHelper') node.parameters.webhookUrl = stubUrl;
        if (node.name === 'Execute Workflow') node.parameters.graphId = child.graph.id;
      }
      const saved = await call(`/api/graphs/${parent.graph.id}/definition`, { method: 'PUT', json: draft });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);

      const result = await run(parent.graph.id);

      expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
      expect(received.at(-1)).toEqual({ method: 'POST', path: '/webhook/debug-helper', body: { items: [{}], node: { type: 'n8n-nodes-base.debugHelper', name: 'DebugHelper' } } });
      expect(result.output!.items.map((item) => item.json)).toEqual([
        { firstname: 'Ada', email: 'ada@example.com', greeting: 'Hello Ada' },
        { firstname: 'Grace', email: 'grace@example.com', greeting: 'Hello Grace' },
      ]);
    });
  });
});
