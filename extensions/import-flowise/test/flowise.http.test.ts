import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel } from '../../import-n8n/test/api.js';
import { buildExtensions, FIXTURES } from '../../import-n8n/test/build.js';

const fixture = (name: string) => fs.readFileSync(`${FIXTURES}/flowise/${name}`, 'utf8');

/** An agentflow v2 written for this test: start, human input, and a reply per decision. */
const HUMAN_INPUT = {
  nodes: [
    { id: 'startAgentflow_0', type: 'agentFlow', position: { x: 0, y: 0 }, data: { name: 'startAgentflow', label: 'Start', inputs: { startInputType: 'chatInput' } } },
    { id: 'humanInputAgentflow_0', type: 'agentFlow', position: { x: 200, y: 0 }, data: { name: 'humanInputAgentflow', label: 'Check', inputs: { humanInputDescription: '<p>Is {{ question }} fine?</p>' } } },
    { id: 'directReplyAgentflow_0', type: 'agentFlow', position: { x: 400, y: -80 }, data: { name: 'directReplyAgentflow', label: 'Yes', inputs: { directReplyMessage: 'Approved: {{ question }}' } } },
    { id: 'directReplyAgentflow_1', type: 'agentFlow', position: { x: 400, y: 80 }, data: { name: 'directReplyAgentflow', label: 'No', inputs: { directReplyMessage: 'Rejected' } } },
  ],
  edges: [
    { source: 'startAgentflow_0', sourceHandle: 'startAgentflow_0-output-startAgentflow', target: 'humanInputAgentflow_0', targetHandle: 'humanInputAgentflow_0' },
    { source: 'humanInputAgentflow_0', sourceHandle: 'humanInputAgentflow_0-output-0', target: 'directReplyAgentflow_0', targetHandle: 'directReplyAgentflow_0' },
    { source: 'humanInputAgentflow_0', sourceHandle: 'humanInputAgentflow_0-output-1', target: 'directReplyAgentflow_1', targetHandle: 'directReplyAgentflow_1' },
  ],
};

describe('Flowise import', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;

  beforeAll(async () => {
    await buildExtensions(['import-flowise', 'control', 'data', 'human']);
    api = await startImportKernel();
  });

  afterAll(async () => {
    await api?.t.close();
  });

  it('folds the model and memory of the Conversation Chain into one chat node', async () => {
    const { graph, report } = await api.importFile('flowise', 'Conversation Chain.json', fixture('chatflows-Conversation_Chain.json'));

    expect(report.format).toBe('Flowise chatflow');
    expect(report.counts.opaque).toBe(0);
    expect(graph.draft.nodes).toHaveLength(1);
    const chain = graph.draft.nodes[0]!;
    expect(chain.type).toBe('mify.llm.chat');
    expect(chain.parameters).toMatchObject({ provider: 'openai', model: 'gpt-3.5-turbo-16k', temperature: 0.9, prompt: '{{ $json.question }}' });
    expect(chain.parameters.system).toContain('friendly conversation');
    const model = report.nodes.find((node) => node.source.id === 'chatOpenAI_0')!;
    expect(model).toMatchObject({ status: 'mapped', nodeId: chain.id });
    expect(report.nodes.find((node) => node.source.id === 'bufferMemory_0')!.status).toBe('approximated');
    expect(report.credentials).toEqual([expect.objectContaining({ nodeName: chain.name, parameter: 'credential', platformType: 'openAIApi' })]);
  });

  it('turns the iteration container into a loop over its children', async () => {
    const { graph, report } = await api.importFile('flowise', 'Iterations.json', fixture('agentflowsv2-Iterations.json'));

    expect(report.format).toBe('Flowise agentflow v2');
    expect(report.counts.opaque).toBe(0);
    const byName = (name: string) => graph.draft.nodes.find((node) => node.name === name)!;
    const loop = byName('Iteration 0');
    expect(loop.type).toBe('mify.control.loop-map');
    const gemini = byName('Gemini Agent');
    // Each element of the iteration input is the loop item's field item, so $iteration.item reads item.item.
    expect(gemini.parameters).toMatchObject({ provider: 'gemini', model: 'gemini-2.0-flash', prompt: 'Reply only:\n{{ $json.item.item }}' });
    expect(byName('Ollama Agent').parameters).toMatchObject({ provider: 'ollama', model: 'llama3.2' });
    // Children positions are relative to the container in Flowise.
    expect(gemini.position).toEqual({ x: -13.75 + 56, y: 8.5 + 92 });

    const edge = (from: string, port: string, to: string) => ({ from: { node: byName(from).id, port }, to: { node: byName(to).id, port: 'main' } });
    expect(graph.draft.edges).toEqual(expect.arrayContaining([
      edge('Start', 'main', 'Iteration 0 items'),
      edge('Iteration 0 items', 'main', 'Iteration 0 split'),
      edge('Iteration 0 split', 'main', 'Iteration 0'),
      edge('Iteration 0', 'loop', 'Gemini Agent'),
      edge('Gemini Agent', 'main', 'Ollama Agent'),
      edge('Ollama Agent', 'main', 'Iteration 0'),
      edge('Iteration 0', 'done', 'Agent'),
    ]));
    expect(byName('Iteration 0 items').parameters).toEqual({ operations: [{ op: 'set', path: 'items', value: '[{"item": "abc"}, {"item": "def"}]', type: 'json' }, { op: 'keepOnly', paths: ['items'] }] });
  });

  it('imports a workspace export as one graph per flow', async () => {
    const workspace = {
      Chatflows: [{ id: 'c1', name: 'Chain', flowData: fixture('chatflows-Conversation_Chain.json') }],
      AgentFlowV2: [{ id: 'a1', name: 'Review', flowData: JSON.stringify(HUMAN_INPUT) }],
    };
    const result = await api.importFile('flowise', 'workspace.json', JSON.stringify(workspace));

    expect(result.graph.name).toBe('Chain');
    expect(result.additionalGraphs.map((entry) => entry.graph.name)).toEqual(['Review']);
    const review = result.additionalGraphs[0]!;
    const gate = review.graph.draft.nodes.find((node) => node.name === 'Check')!;
    expect(gate.type).toBe('mify.human.review-gate');
    expect(review.graph.draft.edges.filter((edge) => edge.from.node === gate.id).map((edge) => edge.from.port).sort()).toEqual(['approved', 'rejected']);
  });

  it('runs human input as a review gate that waits for the decision', async () => {
    const { graph } = await api.importFile('flowise', 'review.json', JSON.stringify(HUMAN_INPUT));
    const started = await api.call<{ id: string; status: string }>(`/api/graphs/${graph.id}/runs`, { json: { version: 'draft', input: [{ json: { question: 'refund 12 EUR' } }] } });

    let waitId: string | undefined;
    for (let attempt = 0; attempt < 100 && !waitId; attempt++) {
      const waits = await api.call<{ items: Array<{ id: string; runId: string; status?: string }> }>(`/api/waits?runId=${started.body.id}`);
      waitId = waits.body.items?.find((wait) => wait.runId === started.body.id)?.id;
      if (!waitId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(waitId).toBeDefined();
    const decided = await api.call(`/api/waits/${waitId}/decision`, { json: { decision: 'approve' } });
    expect(decided.status, JSON.stringify(decided.body)).toBeLessThan(300);

    let run = (await api.call<{ status: string; output: { items: Array<{ json: Record<string, unknown> }> } | null }>(`/api/runs/${started.body.id}`)).body;
    for (let attempt = 0; attempt < 100 && !['succeeded', 'failed'].includes(run.status); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = (await api.call<typeof run>(`/api/runs/${started.body.id}`)).body;
    }
    expect(run.status).toBe('succeeded');
    expect(run.output!.items.map((item) => item.json.reply)).toEqual(['Approved: refund 12 EUR']);
  });

  it('rejects files that are not Flowise flows', async () => {
    const cases: Array<[string, string, string]> = [
      ['hello.json', '{"name":"hello"}', 'is not a Flowise flow'],
      ['truncated.json', fixture('chatflows-Conversation_Chain.json').slice(0, 500), 'ends too early'],
      ['n8n.json', fs.readFileSync(`${FIXTURES}/n8n/Workflow_if.json`, 'utf8'), 'looks like a n8n export'],
      ['dify.yml', fs.readFileSync(`${FIXTURES}/dify/json-repair.yml`, 'utf8'), 'looks like YAML'],
    ];
    for (const [fileName, content, message] of cases) {
      const response = await api.call<{ detail: string }>('/api/graphs/import/flowise', { json: { fileName, content } });
      expect(response.status, fileName).toBe(422);
      expect(response.body.detail, fileName).toContain(message);
    }
  });
});
