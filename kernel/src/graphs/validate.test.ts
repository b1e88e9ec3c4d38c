import { describe, expect, it } from 'vitest';
import type { NodeTypeInfo } from '../runtime/types.js';
import type { MifyGraphInput } from './model.js';
import { NodeTypeTable, toNodeTypeInfo } from './node-types.js';
import { validateGraph, type GraphProblem } from './validate.js';

function nodeType(type: string, typeVersion: number, extra: Partial<NodeTypeInfo> = {}): NodeTypeInfo {
  return { type, typeVersion, extensionId: 'acme.flow', inputs: ['main'], outputs: ['main'], executionClass: 'deterministic', control: null, parameters: { type: 'object', properties: {} }, ...extra };
}

const httpParameters = {
  type: 'object',
  properties: {
    url: { type: 'string', format: 'uri' },
    retries: { type: 'integer', minimum: 0 },
    method: { enum: ['GET', 'POST'] },
    headers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } }, required: ['name'] } },
    body: { oneOf: [{ type: 'object', properties: { size: { type: 'integer' } } }, { type: 'null' }] },
  },
  required: ['url'],
  additionalProperties: false,
};

const types = new NodeTypeTable([
  nodeType('acme.flow.trigger', 1, { inputs: [], control: 'trigger' }),
  nodeType('acme.flow.http', 1, { parameters: httpParameters }),
  nodeType('acme.flow.http', 2, { parameters: httpParameters }),
  nodeType('acme.flow.set', 1),
  nodeType('acme.flow.if', 1, { outputs: ['true', 'false'] }),
  nodeType('acme.flow.loop', 1, { control: 'loop', outputs: ['loop', 'done'] }),
]);

function node(id: string, type: string, extra: Record<string, unknown> = {}) {
  return { id, name: id.charAt(0).toUpperCase() + id.slice(1), type, typeVersion: 1, ...extra };
}

function edge(from: string, to: string, fromPort = 'main', toPort = 'main') {
  return { from: { node: from, port: fromPort }, to: { node: to, port: toPort } };
}

function problemsOf(graph: unknown): GraphProblem[] {
  const result = validateGraph(graph, types);
  return result.ok ? [] : result.problems;
}

describe('validateGraph', () => {
  it('accepts a valid graph and applies defaults', () => {
    const graph: MifyGraphInput = {
      nodes: [node('start', 'acme.flow.trigger'), node('fetch', 'acme.flow.http', { parameters: { url: 'https://example.com/a', retries: 2 } })],
      edges: [edge('start', 'fetch')],
    };

    const result = validateGraph(graph, types);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.graph.nodes[1]!.settings.onError).toBe('fail');
    expect(result.graph.settings.maxIterations).toBe(1_000);
  });

  it('lists every problem of a graph at once', () => {
    const graph = {
      nodes: [
        node('start', 'acme.flow.trigger'),
        node('fetch', 'acme.flow.http', { parameters: { url: 'not a url', retries: -1 } }),
        node('parse', 'acme.flow.set'),
        node('mystery', 'acme.nothing.here'),
        node('future', 'acme.flow.http', { typeVersion: 7, parameters: { url: 'https://example.com' } }),
      ],
      edges: [edge('start', 'fetch'), edge('fetch', 'parse'), edge('parse', 'fetch'), edge('parse', 'ghost')],
    };

    const problems = problemsOf(graph);
    const codes = problems.map((problem) => problem.code).sort();

    expect(codes).toEqual(['cycle', 'dangling_edge', 'invalid_parameter', 'invalid_parameter', 'unknown_node_type', 'unknown_type_version']);
    const cycle = problems.find((problem) => problem.code === 'cycle')!;
    expect(cycle.message).toContain("'Fetch' → 'Parse' → 'Fetch'");
    const dangling = problems.find((problem) => problem.code === 'dangling_edge')!;
    expect(dangling).toMatchObject({ path: '$.edges[3].to.node', edgeIndex: 3 });
    expect(dangling.message).toContain("'ghost'");
    expect(problems.find((problem) => problem.code === 'unknown_node_type')).toMatchObject({ path: '$.nodes[3].type', nodeId: 'mystery', nodeName: 'Mystery' });
    const version = problems.find((problem) => problem.code === 'unknown_type_version')!;
    expect(version).toMatchObject({ path: '$.nodes[4].typeVersion', nodeName: 'Future' });
    expect(version.message).toContain('known versions: 1, 2');
    const parameters = problems.filter((problem) => problem.code === 'invalid_parameter');
    expect(parameters.map((problem) => problem.path).sort()).toEqual(['$.nodes[1].parameters.retries', '$.nodes[1].parameters.url']);
    expect(parameters.map((problem) => problem.parameter).sort()).toEqual(['retries', 'url']);
    expect(parameters.every((problem) => problem.nodeName === 'Fetch')).toBe(true);
  });

  it('allows a cycle through a loop node', () => {
    const graph = {
      nodes: [node('start', 'acme.flow.trigger'), node('loop', 'acme.flow.loop'), node('work', 'acme.flow.set'), node('after', 'acme.flow.set')],
      edges: [edge('start', 'loop'), edge('loop', 'work', 'loop'), edge('work', 'loop'), edge('loop', 'after', 'done')],
    };

    expect(problemsOf(graph)).toEqual([]);
  });

  it('reports a cycle beside a loop that avoids the loop node', () => {
    const graph = {
      nodes: [node('loop', 'acme.flow.loop'), node('a', 'acme.flow.set'), node('b', 'acme.flow.set')],
      edges: [edge('loop', 'a', 'loop'), edge('a', 'loop'), edge('a', 'b'), edge('b', 'a')],
    };

    const problems = problemsOf(graph);

    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('cycle');
    expect(problems[0]!.message).toMatch(/'A' → 'B' → 'A'|'B' → 'A' → 'B'/);
  });

  it('reports a node with an edge to itself', () => {
    const problems = problemsOf({ nodes: [node('a', 'acme.flow.set')], edges: [edge('a', 'a')] });

    expect(problems.map((problem) => problem.code)).toEqual(['cycle']);
  });

  it('reports duplicate node ids and names', () => {
    const graph = {
      nodes: [node('a', 'acme.flow.set'), { ...node('a', 'acme.flow.set'), name: 'Other' }, { ...node('b', 'acme.flow.set'), name: 'A' }],
      edges: [],
    };

    const problems = problemsOf(graph);

    expect(problems.map((problem) => [problem.code, problem.path])).toEqual([
      ['duplicate_node_id', '$.nodes[1].id'],
      ['duplicate_node_name', '$.nodes[2].name'],
    ]);
  });

  it('checks ports against the node type', () => {
    const graph = {
      nodes: [node('check', 'acme.flow.if'), node('yes', 'acme.flow.set'), node('start', 'acme.flow.trigger')],
      edges: [edge('check', 'yes', 'true'), edge('check', 'yes', 'maybe'), edge('check', 'start'), edge('check', 'yes', 'error')],
    };

    const problems = problemsOf(graph);

    expect(problems.map((problem) => problem.path)).toEqual(['$.edges[1].from.port', '$.edges[2].from.port', '$.edges[2].to.port', '$.edges[3].from.port']);
    expect(problems[0]!.message).toContain('its outputs are: true, false');
    expect(problems[2]!.message).toContain('it has no inputs');
    expect(problems[3]!.message).toContain("settings.onError is 'errorOutput'");
  });

  it('accepts the error port when onError is errorOutput', () => {
    const graph = {
      nodes: [node('fetch', 'acme.flow.http', { parameters: { url: 'https://example.com' }, settings: { onError: 'errorOutput' } }), node('handle', 'acme.flow.set')],
      edges: [edge('fetch', 'handle', 'error')],
    };

    expect(problemsOf(graph)).toEqual([]);
  });

  it('skips schema checks of expression parameters', () => {
    const graph = {
      nodes: [
        node('fetch', 'acme.flow.http', {
          parameters: { url: '={{ $json.url }}', retries: '{{ $vars.retries }}', method: '{{ $json.method }}', headers: [{ name: 'x', value: '={{ 1 }}' }], body: { size: '{{ $json.size }}' } },
        }),
      ],
      edges: [],
    };

    expect(problemsOf(graph)).toEqual([]);
  });

  it('still checks literal parameters beside expressions', () => {
    const graph = { nodes: [node('fetch', 'acme.flow.http', { parameters: { url: '{{ $json.url }}', method: 'DELETE', extra: 1, headers: [{ value: 'v' }] } })], edges: [] };

    const problems = problemsOf(graph);

    expect(problems.map((problem) => problem.path).sort()).toEqual(['$.nodes[0].parameters.extra', '$.nodes[0].parameters.headers[0].name', '$.nodes[0].parameters.method']);
    expect(problems.find((problem) => problem.parameter === 'method')!.message).toContain('allowed: "GET", "POST"');
  });

  it('reports a missing required parameter', () => {
    const problems = problemsOf({ nodes: [node('fetch', 'acme.flow.http')], edges: [] });

    expect(problems).toMatchObject([{ code: 'invalid_parameter', path: '$.nodes[0].parameters.url', parameter: 'url' }]);
    expect(problems[0]!.message).toContain("Parameter 'url' is required");
  });

  it('reports shape errors beside the problems of well-formed nodes', () => {
    const graph = {
      nodes: [{ id: 'bad id!', name: 'Bad', type: 'acme.flow.set', typeVersion: 'one' }, node('mystery', 'acme.nothing')],
      edges: [edge('bad id!', 'mystery'), { from: { node: 'mystery' } }],
    };

    const problems = problemsOf(graph);

    expect(problems.filter((problem) => problem.code === 'invalid_shape').map((problem) => problem.path).sort()).toEqual(['$.edges[1].to', '$.nodes[0].id', '$.nodes[0].typeVersion']);
    expect(problems.find((problem) => problem.path === '$.nodes[0].id')!.nodeName).toBe('Bad');
    expect(problems.filter((problem) => problem.code === 'unknown_node_type')).toHaveLength(1);
    expect(problems.filter((problem) => problem.code === 'dangling_edge')).toEqual([]);
  });

  it('reports a document that is not a graph', () => {
    expect(problemsOf('nodes').map((problem) => problem.code)).toEqual(['invalid_shape']);
    expect(problemsOf({ nodes: {} }).map((problem) => problem.path).sort()).toEqual(['$.edges', '$.nodes']);
  });

  it('reports repeated edges and pinned data of missing nodes', () => {
    const graph = { nodes: [node('a', 'acme.flow.set'), node('b', 'acme.flow.set')], edges: [edge('a', 'b'), edge('a', 'b')], pinnedData: { gone: [{ json: {} }] } };

    expect(problemsOf(graph).map((problem) => [problem.code, problem.path])).toEqual([
      ['duplicate_edge', '$.edges[1]'],
      ['unknown_pinned_node', '$.pinnedData.gone'],
    ]);
  });

  it('reads draft-07 parameter schemas', () => {
    const draft07 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] } } };
    const table = new NodeTypeTable([nodeType('acme.flow.pair', 1, { parameters: draft07 })]);

    const good = validateGraph({ nodes: [node('x', 'acme.flow.pair', { parameters: { pair: ['a', 1] } })], edges: [] }, table);
    const bad = validateGraph({ nodes: [node('x', 'acme.flow.pair', { parameters: { pair: ['a', 'b'] } })], edges: [] }, table);

    expect(good.ok).toBe(true);
    expect(bad.ok ? [] : bad.problems.map((problem) => problem.path)).toEqual(['$.nodes[0].parameters.pair[1]']);
  });

  it('reads schemas with a 2020-12 $schema and an $id', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://example.com/set.json', type: 'object', properties: { n: { type: 'integer' } } };
    const first = new NodeTypeTable([nodeType('acme.flow.n', 1, { parameters: schema })]);
    const upgraded = new NodeTypeTable([nodeType('acme.flow.n', 1, { parameters: { ...schema, properties: { n: { type: 'string' } } } })]);
    const graph = { nodes: [node('x', 'acme.flow.n', { parameters: { n: 1 } })], edges: [] };

    expect(validateGraph(graph, first).ok).toBe(true);
    expect(validateGraph(graph, upgraded).ok).toBe(false);
  });

  it('reports an uncompilable parameter schema', () => {
    const broken = new NodeTypeTable([nodeType('acme.flow.broken', 1, { parameters: { type: 'object', properties: { a: { type: 'no-such-type' } } } })]);

    const result = validateGraph({ nodes: [node('x', 'acme.flow.broken')], edges: [] }, broken);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]!.message).toContain('cannot be compiled');
  });
});

describe('toNodeTypeInfo', () => {
  it('normalises ports and reads control', () => {
    const info = toNodeTypeInfo({ type: 'acme.flow.loop', typeVersion: 1, extensionId: 'acme.flow', inputs: [{ name: 'main', required: true }], outputs: ['loop', { name: 'done' }], executionClass: 'deterministic', control: 'loop' });

    expect(info).toMatchObject({ inputs: ['main'], outputs: ['loop', 'done'], control: 'loop', parameters: { type: 'object', properties: {} } });
  });

  it('reads control from x-mify-control in the parameter schema', () => {
    const info = toNodeTypeInfo({ type: 'acme.flow.loop', typeVersion: 1, extensionId: 'acme.flow', executionClass: 'opaque', parameters: { type: 'object', 'x-mify-control': 'loop' } });

    expect(info.control).toBe('loop');
    expect(info.inputs).toEqual(['main']);
  });

  it('ignores an unknown control', () => {
    const info = toNodeTypeInfo({ type: 'acme.flow.x', typeVersion: 1, extensionId: 'acme.flow', executionClass: 'opaque', control: 'teleport' });

    expect(info.control).toBeNull();
  });
});
