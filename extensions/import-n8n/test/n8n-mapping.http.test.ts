import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel, type Imported } from './api.js';
import { buildExtensions, FIXTURES } from './build.js';

const fixture = (name: string) => fs.readFileSync(`${FIXTURES}/n8n/${name}`, 'utf8');
const connect = (...targets: string[]) => ({ main: [targets.map((node) => ({ node, type: 'main', index: 0 }))] });

/** Builds a workflow, written for this test, with every n8n node type the importer maps. */
function allTypes(apiUrl: string) {
  const node = (name: string, type: string, typeVersion: number, parameters: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ id: name.toLowerCase().replace(/\W+/g, '-'), name, type, typeVersion, position: [0, 0], parameters, ...extra });
  return {
    name: 'All types',
    nodes: [
      node('Hook', 'n8n-nodes-base.webhook', 2, { path: 'orders/:id', httpMethod: 'POST', responseMode: 'responseNode' }),
      node('Manual', 'n8n-nodes-base.manualTrigger', 1),
      node('Every hour', 'n8n-nodes-base.scheduleTrigger', 1.2, { rule: { interval: [{ field: 'hours', hoursInterval: 2, triggerAtMinute: 15 }] } }),
      node('Fields', 'n8n-nodes-base.set', 3.4, { assignments: { assignments: [{ id: '1', name: 'kind', value: '={{ $json.total > 100 ? "big" : "small" }}', type: 'string' }] }, includeOtherFields: true, options: {} }),
      node('Check', 'n8n-nodes-base.if', 2.2, { conditions: { options: { caseSensitive: true, typeValidation: 'strict', version: 2 }, conditions: [{ id: 'c', leftValue: '={{ $json.kind }}', rightValue: 'big', operator: { type: 'string', operation: 'equals' } }], combinator: 'and' }, options: {} }),
      node('Route', 'n8n-nodes-base.switch', 3.2, { rules: { values: [{ conditions: { options: { caseSensitive: true }, conditions: [{ leftValue: '={{ $json.kind }}', rightValue: 'small', operator: { type: 'string', operation: 'equals' } }], combinator: 'and' } }] }, options: { fallbackOutput: 'extra' } }),
      node('Join', 'n8n-nodes-base.merge', 3, {}),
      node('Loop', 'n8n-nodes-base.splitInBatches', 3, { batchSize: 2, options: {} }),
      node('Script', 'n8n-nodes-base.code', 2, { jsCode: 'return $input.all().map((item) => ({ json: { ...item.json, seen: true } }));' }),
      node('Call API', 'n8n-nodes-base.httpRequest', 4.2, { method: 'POST', url: `${apiUrl}/echo`, sendBody: true, specifyBody: 'json', jsonBody: '={{ JSON.stringify({ total: $json.total }) }}', options: {} }),
      node('Pause', 'n8n-nodes-base.wait', 1.1, { amount: 0 }),
      node('Child', 'n8n-nodes-base.executeWorkflow', 1.2, { workflowId: { __rl: true, value: 'abc', mode: 'id' }, options: {} }),
      node('Reply', 'n8n-nodes-base.respondToWebhook', 1.1, { respondWith: 'allIncomingItems', options: { responseCode: 201 } }),
      node('Nothing', 'n8n-nodes-base.noOp', 1),
      node('Agent', '@n8n/n8n-nodes-langchain.agent', 1.7, { promptType: 'define', text: '={{ $json.question }}', options: { systemMessage: 'Be kind' } }),
      node('GPT', '@n8n/n8n-nodes-langchain.lmChatOpenAi', 1.2, { model: { __rl: true, value: 'gpt-4o-mini', mode: 'list' }, options: { temperature: 0.3 } }, { credentials: { openAiApi: { id: '7', name: 'OpenAI account' } } }),
      node('Note', 'n8n-nodes-base.stickyNote', 1, { content: '## Read me', width: 300, height: 200 }),
    ],
    connections: {
      Hook: connect('Fields'),
      Fields: connect('Check'),
      Check: { main: [[{ node: 'Join', type: 'main', index: 0 }], [{ node: 'Route', type: 'main', index: 0 }]] },
      Route: { main: [[{ node: 'Join', type: 'main', index: 1 }], [{ node: 'Nothing', type: 'main', index: 0 }]] },
      Join: connect('Loop'),
      Loop: { main: [[{ node: 'Call API', type: 'main', index: 0 }], [{ node: 'Script', type: 'main', index: 0 }]] },
      Script: connect('Loop'),
      'Call API': connect('Pause'),
      Pause: connect('Child'),
      Child: connect('Reply'),
      Manual: connect('Agent'),
      GPT: { ai_languageModel: [[{ node: 'Agent', type: 'ai_languageModel', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

describe('n8n mapping, bad input and export', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;
  let stub: http.Server;
  let stubUrl: string;

  beforeAll(async () => {
    await buildExtensions();
    api = await startImportKernel({ MIFY_ALLOW_PRIVATE_NETWORK: 'true' });
    stub = http.createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ received: JSON.parse(text || 'null') }));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => stub?.close(resolve));
    await api?.t.close();
  });

  it('maps every listed node type without opaque nodes', async () => {
    const { graph, report } = await api.importFile('n8n', 'all.json', JSON.stringify(allTypes(stubUrl)));

    expect(report.counts.opaque).toBe(0);
    const typeOf = (name: string) => report.nodes.find((node) => node.source.name === name)?.nodeType;
    expect(Object.fromEntries(['Hook', 'Manual', 'Every hour', 'Fields', 'Check', 'Route', 'Join', 'Loop', 'Script', 'Call API', 'Pause', 'Child', 'Reply', 'Nothing', 'Agent'].map((name) => [name, typeOf(name)]))).toEqual({
      Hook: 'mify.io.webhook', Manual: 'mify.control.manual-trigger', 'Every hour': 'mify.control.manual-trigger', Fields: 'mify.data.edit-fields', Check: 'mify.control.route-if',
      Route: 'mify.control.route-switch', Join: 'mify.control.merge', Loop: 'mify.control.loop-map', Script: 'mify.data.code', 'Call API': 'mify.io.http-request',
      Pause: 'mify.control.wait', Child: 'mify.control.sub-workflow', Reply: 'mify.io.respond-to-webhook', Nothing: 'mify.control.no-op', Agent: 'mify.llm.chat',
    });
    expect(report.nodes.find((node) => node.source.name === 'GPT')).toMatchObject({ status: 'mapped', nodeType: 'mify.llm.chat' });
    const agent = graph.draft.nodes.find((node) => node.name === 'Agent')!;
    expect(agent.parameters).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0.3, system: 'Be kind', prompt: '={{ $json.question }}', credential: 'OpenAI account' });
    expect(report.credentials).toEqual([expect.objectContaining({ nodeName: 'Agent', parameter: 'credential', platformType: 'openAiApi', platformName: 'OpenAI account' })]);
    expect(graph.scheduleHints).toEqual([{ cron: '15 */2 * * *', description: "From n8n node 'Every hour'" }]);
    expect(graph.draft.nodes.find((node) => node.name === 'Hook')!.parameters).toEqual({ path: 'orders/id', methods: ['POST'], responseMode: 'responseNode' });
    expect(report.stickyNotes).toBe(1);

    const byName = (name: string) => graph.draft.nodes.find((node) => node.name === name)!.id;
    const edge = (from: string, fromPort: string, to: string, toPort = 'main') => ({ from: { node: byName(from), port: fromPort }, to: { node: byName(to), port: toPort } });
    expect(graph.draft.edges).toEqual(expect.arrayContaining([
      edge('Check', 'true', 'Join', 'input1'), edge('Check', 'false', 'Route'), edge('Route', 'output0', 'Join', 'input2'), edge('Route', 'fallback', 'Nothing'),
      edge('Loop', 'done', 'Call API'), edge('Loop', 'loop', 'Script'), edge('Script', 'main', 'Loop'),
    ]));
  });

  it('runs Edit Fields, If, Switch, Merge, the loop, Code and HTTP Request', async () => {
    const workflow = allTypes(stubUrl);
    const keep = new Set(['Manual', 'Fields', 'Check', 'Route', 'Join', 'Loop', 'Script', 'Call API', 'Nothing']);
    workflow.nodes = workflow.nodes.filter((node) => keep.has(node.name));
    workflow.connections = { ...workflow.connections, Manual: connect('Fields'), 'Call API': { main: [] } } as typeof workflow.connections;
    const { graph } = await api.importFile('n8n', 'part.json', JSON.stringify(workflow));

    const result = await api.run(graph.id, [{ total: 150 }, { total: 20 }, { total: 60 }]);

    // Fields marks totals over 100 as big; big items go to Join input 1, small ones through
    // Switch rule 0 to input 2. The loop runs Code on batches of 2 (adding seen: true), then
    // each item is posted to the stub, which echoes the body.
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json.received)).toEqual([{ total: 150 }, { total: 20 }, { total: 60 }]);
  });

  it('rejects bad files with a 422 naming the problem and saves nothing', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['hello.json', '{"name":"hello"}', 'invalid_file', 'it has no "nodes" list'],
      ['truncated.json', fixture('Workflow_if.json').slice(0, 600), 'invalid_file', 'ends too early'],
      ['app.yml', fs.readFileSync(`${FIXTURES}/dify/json-repair.yml`, 'utf8'), 'invalid_file', 'looks like YAML'],
      ['flow.json', fs.readFileSync(`${FIXTURES}/flowise/chatflows-Conversation_Chain.json`, 'utf8'), 'wrong_platform', 'looks like a flowise export'],
      ['empty.json', '{"nodes":[],"connections":{}}', 'empty_workflow', 'without nodes'],
      ['blank.json', '   ', 'invalid_file', 'is empty'],
    ];
    for (const [fileName, content, code, message] of cases) {
      const response = await api.call<{ code: string; detail: string }>('/api/graphs/import/n8n', { json: { fileName, content } });
      expect(response.status, fileName).toBe(422);
      expect(response.contentType, fileName).toContain('application/problem+json');
      expect(response.body.code, fileName).toBe(code);
      expect(response.body.detail, fileName).toContain(message);
    }
    const graphs = await api.call<{ items: Array<{ name: string }> }>('/api/graphs?q=hello');
    expect(graphs.body.items).toEqual([]);
  });

  it('rejects a 20 MB file naming the 10 MiB limit', async () => {
    const big = JSON.stringify({ nodes: [], connections: {}, pinData: { padding: 'x'.repeat(20 * 1024 * 1024) } });
    const response = await api.call<{ code: string; detail: string }>('/api/graphs/import/n8n', { json: { fileName: 'big.json', content: big } });

    expect(response.status).toBe(422);
    expect(response.body.code).toBe('import_file_too_large');
    expect(response.body.detail).toContain('10485760 bytes (10 MiB)');
  });

  it('exports an imported workflow that imports back to an equal graph', async () => {
    const first = await api.importFile('n8n', 'Workflow_loop.json', fixture('Workflow_loop.json'));
    const exported = await api.t.fetch(`/api/graphs/${first.graph.id}/export/n8n`, { key: api.key });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain('.n8n.json');
    const file = await exported.text();
    expect(JSON.parse(file).nodes.map((node: { type: string }) => node.type)).toEqual(['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.code', 'n8n-nodes-base.splitInBatches', 'n8n-nodes-base.wait', 'n8n-nodes-base.code']);

    const second = await api.importFile('n8n', 'roundtrip.json', file);

    const shape = (imported: Imported) => ({
      nodes: imported.graph.draft.nodes.map(({ id, name, type, parameters, position }) => ({ id, name, type, parameters, position })),
      edges: imported.graph.draft.edges.map((edge) => `${edge.from.node}:${edge.from.port}>${edge.to.node}:${edge.to.port}`).sort(),
    });
    expect(shape(second)).toEqual(shape(first));
  });

  it('refuses to export nodes without an n8n counterpart', async () => {
    const { graph } = await api.importFile('n8n', 'all.json', JSON.stringify(allTypes(stubUrl)));
    const response = await api.call<{ code: string; detail: string }>(`/api/graphs/${graph.id}/export/n8n`);

    expect(response.status).toBe(422);
    expect(response.body.code).toBe('not_exportable');
    expect(response.body.detail).toContain("'Agent' (type mify.llm.chat has no n8n counterpart");
  });
});
