import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportKernel } from '../../import-n8n/test/api.js';
import { buildExtensions, FIXTURES } from '../../import-n8n/test/build.js';

const fixture = (name: string) => fs.readFileSync(`${FIXTURES}/dify/${name}`, 'utf8');

/** A DSL file written for this test with every node type the importer maps. */
const ALL_TYPES = `
app: { name: all-types, mode: workflow, description: every mapped node }
kind: app
version: 0.1.5
workflow:
  environment_variables: [{ name: greeting, value: Hello, value_type: string }]
  graph:
    nodes:
      - { id: start, position: { x: 0, y: 0 }, data: { type: start, title: Start, variables: [{ variable: name, type: text-input }, { variable: count, type: number }] } }
      - id: code
        position: { x: 200, y: 0 }
        data:
          type: code
          title: Double
          code_language: javascript
          code: "function main({ count }) { return { doubled: count * 2 }; }"
          variables: [{ variable: count, value_selector: [start, count] }]
          outputs: { doubled: { type: number } }
      - id: tpl
        position: { x: 400, y: 0 }
        data: { type: template-transform, title: Sentence, template: "{{ who }} has {{ n }}", variables: [{ variable: who, value_selector: [start, name] }, { variable: n, value_selector: [code, doubled] }] }
      - id: check
        position: { x: 600, y: 0 }
        data:
          type: if-else
          title: Big
          cases: [{ case_id: 'true', logical_operator: and, conditions: [{ variable_selector: [code, doubled], comparison_operator: '>', value: '5', varType: number }] }]
      - { id: big, position: { x: 800, y: -100 }, data: { type: end, title: End big, outputs: [{ variable: text, value_selector: [tpl, output] }, { variable: size, value_selector: [code, doubled] }] } }
      - { id: small, position: { x: 800, y: 100 }, data: { type: answer, title: Answer small, answer: "Small: {{#tpl.output#}}" } }
      - { id: ask, position: { x: 0, y: 300 }, data: { type: llm, title: Ask, model: { provider: openai, name: gpt-4o-mini, completion_params: { temperature: 0.2 } }, prompt_template: [{ role: system, text: Be brief }, { role: user, text: "Say {{#start.name#}}" }] } }
      - { id: http, position: { x: 200, y: 300 }, data: { type: http-request, title: Fetch, method: get, url: "https://example.com/{{#start.name#}}", headers: "Accept: application/json", params: "", body: { type: none, data: [] } } }
      - { id: kb, position: { x: 400, y: 300 }, data: { type: knowledge-retrieval, title: Search, dataset_ids: [abc123], query_variable_selector: [start, name] } }
      - { id: agg, position: { x: 600, y: 300 }, data: { type: variable-aggregator, title: Merge, variables: [[ask, text], [http, body]] } }
      - { id: loop, position: { x: 800, y: 300 }, data: { type: iteration, title: Each, iterator_selector: [kb, result], output_selector: [inner, text] } }
      - { id: loop-start, parentId: loop, position: { x: 10, y: 10 }, data: { type: iteration-start } }
      - { id: inner, parentId: loop, position: { x: 100, y: 10 }, data: { type: template-transform, title: Inner, template: "{{ x }}", variables: [{ variable: x, value_selector: [loop, item] }] } }
    edges:
      - { source: start, sourceHandle: source, target: code, targetHandle: target }
      - { source: code, sourceHandle: source, target: tpl, targetHandle: target }
      - { source: tpl, sourceHandle: source, target: check, targetHandle: target }
      - { source: check, sourceHandle: 'true', target: big, targetHandle: target }
      - { source: check, sourceHandle: 'false', target: small, targetHandle: target }
      - { source: start, sourceHandle: source, target: ask, targetHandle: target }
      - { source: start, sourceHandle: source, target: http, targetHandle: target }
      - { source: ask, sourceHandle: source, target: agg, targetHandle: target }
      - { source: http, sourceHandle: source, target: agg, targetHandle: target }
      - { source: agg, sourceHandle: source, target: kb, targetHandle: target }
      - { source: kb, sourceHandle: source, target: loop, targetHandle: target }
      - { source: loop-start, sourceHandle: source, target: inner, targetHandle: target }
`;

describe('Dify DSL import', () => {
  let api: Awaited<ReturnType<typeof startImportKernel>>;

  beforeAll(async () => {
    await buildExtensions(['import-dify', 'control', 'data']);
    api = await startImportKernel();
  });

  afterAll(async () => {
    await api?.t.close();
  });

  it('imports translation_workflow with every node mapped', async () => {
    const { graph, report } = await api.importFile('dify', 'translation_workflow.yml', fixture('translation_workflow.yml'));

    expect(report.format).toBe('Dify DSL 0.1.0 (workflow app)');
    expect(report.counts.opaque).toBe(0);
    const llm = graph.draft.nodes.find((node) => node.name === 'TRANSLATION')!;
    expect(llm.type).toBe('mify.llm.chat');
    expect(llm.parameters).toMatchObject({ provider: 'deepseek', model: 'deepseek-chat', temperature: 1, outputField: 'text' });
    expect(llm.parameters.prompt).toContain('{{ $("开始").json["source_text"] }}');
    expect(JSON.stringify(graph.draft.nodes)).not.toContain('{{#');
    const branch = graph.draft.nodes.find((node) => node.name === 'COUNTRY IS NULL')!;
    expect(branch.type).toBe('mify.control.route-if');
    expect(branch.parameters.conditions).toEqual([{ leftValue: '{{ $("开始").json["country"] }}', type: 'any', operator: 'isEmpty' }]);
    const ports = graph.draft.edges.filter((edge) => edge.from.node === branch.id).map((edge) => edge.from.port).sort();
    expect(ports).toEqual(['false', 'true']);
  });

  it('keeps the Python code node opaque, flagged and not run', async () => {
    const { graph, report } = await api.importFile('dify', 'json-repair.yml', fixture('json-repair.yml'));

    const code = report.nodes.find((node) => node.source.type === 'code')!;
    expect(code.status).toBe('opaque');
    expect(code.flags).toEqual(expect.arrayContaining(['carries-code', 'needs-python-runtime']));
    expect(report.nodes.filter((node) => node.status === 'opaque')).toHaveLength(1);
    const node = graph.draft.nodes.find((entry) => entry.id === code.nodeId)!;
    expect((node.parameters.original as { code: string }).code).toContain('json_repair.repair_json');
    const runs = await api.call<{ items: unknown[] }>('/api/runs');
    expect(runs.body.items).toHaveLength(0);
  });

  it('rejects a newer major DSL version unless confirmed', async () => {
    const newer = fixture('json-repair.yml').replace('version: 0.1.2', 'version: 1.0.0');

    const rejected = await api.call<{ code: string; detail: string }>('/api/graphs/import/dify', { json: { fileName: 'newer.yml', content: newer } });
    expect(rejected.status).toBe(422);
    expect(rejected.body.code).toBe('unsupported_version');
    expect(rejected.body.detail).toContain('Dify DSL version 1.0.0');
    expect(rejected.body.detail).toContain('confirmNewerVersion');

    const confirmed = await api.importFile('dify', 'newer.yml', newer, { confirmNewerVersion: true });
    expect(confirmed.report.sourceVersion).toBe('1.0.0');
  });

  it('maps every listed node type and runs the code, template and branch', async () => {
    const { graph, report } = await api.importFile('dify', 'all-types.yml', ALL_TYPES);

    expect(report.nodes.map((node) => [node.source.type, node.status === 'opaque'])).toEqual(
      ['start', 'code', 'template-transform', 'if-else', 'end', 'answer', 'llm', 'http-request', 'knowledge-retrieval', 'variable-aggregator', 'iteration', 'template-transform'].map((type) => [type, false]),
    );
    const loop = graph.draft.nodes.find((node) => node.name === 'Each')!;
    expect(loop.type).toBe('mify.control.loop-map');
    const inner = graph.draft.nodes.find((node) => node.name === 'Inner')!;
    expect(graph.draft.edges).toEqual(expect.arrayContaining([{ from: { node: loop.id, port: 'loop' }, to: { node: inner.id, port: 'main' } }, { from: { node: inner.id, port: 'main' }, to: { node: loop.id, port: 'main' } }]));

    // Only the branch without model, HTTP and vector search runs here: Start → Double → Sentence → Big.
    const branchOnly = { ...graph.draft, nodes: graph.draft.nodes.filter((node) => ['Start', 'Double', 'Sentence', 'Big', 'End big', 'Answer small'].includes(node.name)) };
    const ids = new Set(branchOnly.nodes.map((node) => node.id));
    branchOnly.edges = graph.draft.edges.filter((edge) => ids.has(edge.from.node) && ids.has(edge.to.node));
    const created = await api.call<{ id: string }>('/api/graphs', { json: { name: 'branch', definition: branchOnly } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // count 4 doubles to 8, which is more than 5, so End big outputs the sentence and the size.
    const big = await api.run(created.body.id, [{ name: 'Ada', count: 4 }]);
    expect(big.status, JSON.stringify(big.error)).toBe('succeeded');
    expect(big.output!.items.map((item) => item.json)).toEqual([{ text: 'Ada has 8', size: 8 }]);

    // count 2 doubles to 4, so the node 'Answer small' writes the sentence into its output field.
    const small = await api.run(created.body.id, [{ name: 'Bo', count: 2 }]);
    expect(small.status, JSON.stringify(small.error)).toBe('succeeded');
    expect(small.output!.items.map((item) => item.json.answer)).toEqual(['Small: Bo has 4']);
  });

  it('rejects files that are not Dify workflows', async () => {
    const cases: Array<[string, string, string]> = [
      ['hello.yml', 'name: hello\n', 'is not a Dify DSL file'],
      ['truncated.yml', fixture('translation_workflow.yml').slice(0, 700), 'may be truncated'],
      ['broken.yml', 'app:\n  name: [unclosed\n', 'is not valid YAML'],
      ['flow.json', fs.readFileSync(`${FIXTURES}/flowise/chatflows-Conversation_Chain.json`, 'utf8'), 'looks like a flowise export'],
      ['chat.yml', 'app: { name: bot, mode: chat }\nkind: app\nversion: 0.1.2\nmodel_config: {}\n', 'without a workflow graph'],
    ];
    for (const [fileName, content, message] of cases) {
      const response = await api.call<{ detail: string }>('/api/graphs/import/dify', { json: { fileName, content } });
      expect(response.status, fileName).toBe(422);
      expect(response.body.detail, fileName).toContain(message);
    }
  });
});
