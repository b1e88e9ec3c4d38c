import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel } from '../../import-n8n/test/api.js';
import { buildExtensions, FIXTURES } from '../../import-n8n/test/build.js';

const fixture = (name: string) => fs.readFileSync(`${FIXTURES}/langflow/${name}`, 'utf8');

function component(id: string, type: string, template: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const fields = Object.fromEntries(Object.entries(template).map(([name, value]) => [name, { name, value }]));
  return { id, type: 'genericNode', position: { x: 0, y: 0 }, data: { id, type, node: { display_name: id, template: { code: { value: 'class Component: ...' }, ...fields }, ...extra } } };
}

function edge(source: string, target: string, fieldName: string) {
  return { source, target, sourceHandle: `{"id":"${source}"}`, targetHandle: `{"fieldName":"${fieldName}"}`, data: { sourceHandle: { id: source }, targetHandle: { fieldName, id: target } } };
}

/** A flow written for this test with each component kind the importer maps, and one custom component. */
const FLOW = {
  name: 'Support bot',
  description: 'chat with retrieval',
  data: {
    nodes: [
      component('ChatInput-1', 'ChatInput', { input_value: '' }),
      component('Prompt-1', 'Prompt', { template: 'Answer briefly: {question}' }),
      component('OpenAIModel-1', 'OpenAIModel', { model_name: 'gpt-4o-mini', temperature: 0.1, system_message: 'You help.' }),
      component('ChatOutput-1', 'ChatOutput', { input_value: '' }),
      component('Chroma-1', 'Chroma', { collection_name: 'docs', number_of_results: 3 }),
      component('OpenAIEmbeddings-1', 'OpenAIEmbeddings', { model: 'text-embedding-3-small' }),
      component('Agent-1', 'Agent', { model_name: 'gpt-4o', system_prompt: 'Use tools.' }),
      component('Custom-1', 'CustomComponent', { input_value: '' }, { edited: true }),
    ],
    edges: [edge('ChatInput-1', 'Prompt-1', 'question'), edge('Prompt-1', 'OpenAIModel-1', 'input_value'), edge('OpenAIModel-1', 'ChatOutput-1', 'input_value')],
  },
};

describe('Langflow import', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;

  beforeAll(async () => {
    await buildExtensions(['import-langflow', 'control', 'data']);
    api = await startImportKernel();
  });

  afterAll(async () => {
    await api?.t.close();
  });

  it('imports the Ollama embeddings component', async () => {
    const { graph, report } = await api.importFile('langflow', 'ollama_embedding.json', fixture('component_ollama_embedding.json'));

    expect(report.format).toBe('Langflow component');
    expect(report.counts).toEqual({ mapped: 0, approximated: 1, opaque: 0 });
    expect(graph.draft.nodes).toEqual([expect.objectContaining({ id: 'OllamaEmbeddings-3JO8z', name: 'Ollama Embeddings', type: 'mify.llm.embed', parameters: { provider: 'ollama' } })]);
    expect(report.nodes[0]!.notes.join(' ')).toContain('OLLAMA_BASE_URL');
  });

  it('maps chat input, prompt, model, output, vector store, embeddings and agent', async () => {
    const { graph, report } = await api.importFile('langflow', 'support.json', JSON.stringify(FLOW));

    const statuses = Object.fromEntries(report.nodes.map((node) => [node.source.type, node.status]));
    expect(statuses).toEqual({ ChatInput: 'mapped', Prompt: 'mapped', OpenAIModel: 'mapped', ChatOutput: 'mapped', Chroma: 'approximated', OpenAIEmbeddings: 'approximated', Agent: 'approximated', CustomComponent: 'opaque' });
    const custom = report.nodes.find((node) => node.source.type === 'CustomComponent')!;
    expect(custom.flags).toEqual(expect.arrayContaining(['carries-code', 'needs-python-runtime']));
    const byName = (name: string) => graph.draft.nodes.find((node) => node.name === name)!;
    expect(byName('Prompt-1').parameters).toEqual({ operations: [{ op: 'set', path: 'prompt', value: 'Answer briefly: {{ $("ChatInput-1").json["text"] }}', type: 'string' }] });
    expect(byName('OpenAIModel-1').parameters).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', system: 'You help.', prompt: '{{ $("Prompt-1").json["prompt"] }}' });
    expect(byName('Chroma-1').parameters).toEqual({ collection: 'docs', queryField: 'text', topK: 3 });
  });

  it('runs chat input through the prompt to the output', async () => {
    const { graph } = await api.importFile('langflow', 'support.json', JSON.stringify(FLOW));
    const keep = new Set(['ChatInput-1', 'Prompt-1', 'ChatOutput-1']);
    const nodes = graph.draft.nodes.filter((node) => keep.has(node.id));
    // Without a model here, the output reads the prompt directly.
    nodes.find((node) => node.id === 'ChatOutput-1')!.parameters = { operations: [{ op: 'set', path: 'text', value: '{{ $("Prompt-1").json["prompt"] }}', type: 'auto' }] };
    const created = await api.call<{ id: string }>('/api/graphs', { json: { name: 'prompt only', definition: { nodes, edges: [{ from: { node: 'ChatInput-1', port: 'main' }, to: { node: 'Prompt-1', port: 'main' } }, { from: { node: 'Prompt-1', port: 'main' }, to: { node: 'ChatOutput-1', port: 'main' } }] } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const result = await api.run(created.body.id, [{ text: 'Where is my order?' }]);

    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.output!.items.map((item) => item.json.text)).toEqual(['Answer briefly: Where is my order?']);
  });

  it('rejects files that are not Langflow flows', async () => {
    const cases: Array<[string, string, string]> = [
      ['hello.json', '{"name":"hello"}', 'is not a Langflow flow'],
      ['truncated.json', fixture('component_ollama_embedding.json').slice(0, 300), 'ends too early'],
      ['n8n.json', fs.readFileSync(`${FIXTURES}/n8n/Workflow_loop.json`, 'utf8'), 'looks like a n8n export'],
    ];
    for (const [fileName, content, message] of cases) {
      const response = await api.call<{ detail: string }>('/api/graphs/import/langflow', { json: { fileName, content } });
      expect(response.status, fileName).toBe(422);
      expect(response.body.detail, fileName).toContain(message);
    }
  });
});
