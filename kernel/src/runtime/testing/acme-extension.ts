import { mifyGraphSchema, type MifyGraph, type MifyGraphInput } from '../../graphs/model.js';
import type { ExecutableGraph } from '../types.js';

/**
 * Test extensions for executor tests: `acme.test` with small nodes for flow, branching,
 * merging, loops, failures, timeouts and usage, and `acme.bulk`, which emits many items
 * and gets a larger heap. Write them with `writeIsolateExtension({ id, code, manifest })`.
 * The nodes read `input.node` and `input.run`, which the executor passes in every input.
 */

interface NodeSpec {
  type: string;
  inputs?: string[];
  outputs?: string[];
  control?: 'merge' | 'loop' | 'subworkflow' | 'trigger' | 'wait';
}

const TEST_NODES: NodeSpec[] = [
  { type: 'trigger', inputs: [], control: 'trigger' },
  { type: 'pass' },
  { type: 'set' },
  { type: 'if', outputs: ['true', 'false'] },
  { type: 'switch', outputs: ['a', 'b', 'other'] },
  { type: 'merge', inputs: ['a', 'b'], control: 'merge' },
  { type: 'loop', outputs: ['loop', 'done'], control: 'loop' },
  { type: 'fail-n-times' },
  { type: 'fail' },
  { type: 'sleep' },
  { type: 'usage' },
  { type: 'bad-port' },
  { type: 'subflow', control: 'subworkflow' },
  { type: 'timer', control: 'wait' },
  { type: 'approve', outputs: ['approved', 'rejected'], control: 'wait' },
  { type: 'hold', control: 'wait' },
];

function contribution(extensionId: string, spec: NodeSpec): Record<string, unknown> {
  return {
    type: `${extensionId}.${spec.type}`,
    typeVersion: 1,
    name: spec.type,
    description: `Test node ${spec.type}.`,
    category: 'Test',
    inputs: spec.inputs ?? ['main'],
    outputs: spec.outputs ?? ['main'],
    parameters: { type: 'object', properties: {} },
    executionClass: 'deterministic',
    ...(spec.control ? { control: spec.control } : {}),
  };
}

/** Manifest fields and bundle of `acme.test`. */
export const ACME_TEST = {
  id: 'acme.test',
  manifest: {
    name: 'Acme test nodes',
    limits: { memoryLimitMb: 64, timeoutMs: 5_000 },
    contributes: { nodes: TEST_NODES.map((spec) => contribution('acme.test', spec)) },
  },
  code: `
const trail = (item, name) => ({ ...item, json: { ...item.json, path: [...(item.json.path || []), name] } });

export default {
  nodes: {
    'acme.test.trigger': { execute(ctx, input) { return { items: input.items.map((item) => trail(item, input.node.name)) }; } },
    'acme.test.pass': { execute(ctx, input) { return { items: input.items.map((item) => trail(item, input.node.name)) }; } },
    'acme.test.set': {
      execute(ctx, input) {
        const field = input.parameters.field || 'value';
        return { items: input.items.map((item, index) => ({ json: { ...item.json, [field]: input.itemParameters ? input.itemParameters[index].value : input.parameters.value } })) };
      },
    },
    'acme.test.if': {
      execute(ctx, input) {
        const field = input.parameters.field;
        return { true: input.items.filter((item) => item.json[field]), false: input.items.filter((item) => !item.json[field]) };
      },
    },
    'acme.test.switch': {
      execute(ctx, input) {
        const out = { a: [], b: [], other: [] };
        for (const item of input.items) {
          const value = item.json[input.parameters.field];
          (value === 'a' || value === 'b' ? out[value] : out.other).push(item);
        }
        return out;
      },
    },
    'acme.test.merge': {
      execute(ctx, input) {
        return { items: [...(input.ports.a || []), ...(input.ports.b || [])].map((item) => trail(item, input.node.name)) };
      },
    },
    'acme.test.loop': {
      execute(ctx, input) {
        if (input.parameters.forever) return { loop: input.items.length > 0 ? input.items : [{ json: {} }], state: { n: ((input.state && input.state.n) || 0) + 1 } };
        const size = input.parameters.batchSize || 1;
        const state = input.state === undefined
          ? { pending: input.items, done: [] }
          : { pending: input.state.pending, done: input.state.done.concat(input.items) };
        if (state.pending.length === 0) {
          return { done: state.done.map((item) => ({ json: { ...item.json, iterations: input.iteration } })), state };
        }
        return { loop: state.pending.slice(0, size), state: { pending: state.pending.slice(size), done: state.done } };
      },
    },
    'acme.test.fail-n-times': {
      execute(ctx, input) {
        if (input.run.attempt <= input.parameters.failures) throw new Error('planned failure on attempt ' + input.run.attempt);
        return { items: input.items.map((item) => ({ json: { ...item.json, attempts: input.run.attempt, idempotencyKey: input.run.idempotencyKey } })) };
      },
    },
    'acme.test.fail': {
      execute(ctx, input) {
        const error = new TypeError(input.parameters.message || 'always fails');
        if (input.parameters.code) error.code = input.parameters.code;
        throw error;
      },
    },
    'acme.test.sleep': {
      execute(ctx, input) {
        const end = Date.now() + (input.parameters.ms || 0);
        while (Date.now() < end) {}
        return { items: input.items.map((item) => trail(item, input.node.name)) };
      },
    },
    'acme.test.usage': {
      execute(ctx, input) {
        return { items: input.items, usage: { tokens: input.parameters.tokens, costUsd: input.parameters.costUsd } };
      },
    },
    'acme.test.bad-port': { execute(ctx, input) { return { nope: input.items }; } },
    'acme.test.timer': {
      execute(ctx, input) {
        if (!input.resume) return { wait: { kind: 'timer', until: new Date(Date.now() + (input.parameters.ms || 0)).toISOString() } };
        return { items: input.items.map((item) => ({ json: { ...trail(item, input.node.name).json, waited: input.resume.outcome } })) };
      },
    },
    'acme.test.approve': {
      execute(ctx, input) {
        if (!input.resume) {
          const wait = { kind: 'approval', title: 'Check ' + input.items.length + ' items', items: input.items, allowEdit: input.parameters.allowEdit !== false };
          if (input.parameters.expiresInMs) wait.until = new Date(Date.now() + input.parameters.expiresInMs).toISOString();
          return { wait };
        }
        const items = (input.resume.items || input.items).map((item) => ({ json: { ...item.json, review: { outcome: input.resume.outcome, comment: input.resume.comment, by: input.resume.decidedBy } } }));
        return input.resume.outcome === 'approved' ? { approved: items } : { rejected: items };
      },
    },
    'acme.test.hold': {
      execute(ctx, input) {
        if (!input.resume) return { wait: { kind: 'resume' } };
        return { items: input.items.map((item) => trail(item, input.node.name)) };
      },
    },
  },
};
`,
};

/** Manifest fields and bundle of `acme.bulk`: node `acme.bulk.many` emits `parameters.count` empty items. */
export const ACME_BULK = {
  id: 'acme.bulk',
  manifest: {
    name: 'Acme bulk items',
    limits: { memoryLimitMb: 384, timeoutMs: 20_000 },
    contributes: { nodes: [contribution('acme.bulk', { type: 'many', inputs: ['main'] })] },
  },
  code: `
export default {
  nodes: {
    'acme.bulk.many': {
      execute(ctx, input) {
        const items = new Array(input.parameters.count);
        for (let index = 0; index < items.length; index++) items[index] = { json: {} };
        return { items };
      },
    },
  },
};
`,
};

/** Returns a node of type `acme.test.<kind>` (or of `kind` when it contains a dot), named after its id unless given a name. */
export function testNode(id: string, kind: string, options: { name?: string; parameters?: Record<string, unknown>; settings?: Record<string, unknown>; disabled?: boolean } = {}) {
  return {
    id,
    type: kind.includes('.') ? kind : `acme.test.${kind}`,
    typeVersion: 1,
    name: options.name ?? id,
    parameters: options.parameters ?? {},
    disabled: options.disabled ?? false,
    ...(options.settings ? { settings: options.settings } : {}),
  };
}

/** Returns an edge from `from` to `to`, each written `node` or `node:port`. */
export function testEdge(from: string, to: string) {
  const [fromNode, fromPort = 'main'] = from.split(':');
  const [toNode, toPort = 'main'] = to.split(':');
  return { from: { node: fromNode!, port: fromPort }, to: { node: toNode!, port: toPort } };
}

/** Parses a graph document with the schema defaults applied. */
export function testGraph(input: { nodes: MifyGraphInput['nodes']; edges: MifyGraphInput['edges']; settings?: MifyGraphInput['settings']; pinnedData?: MifyGraphInput['pinnedData'] }): MifyGraph {
  return mifyGraphSchema.parse(input);
}

/** Wraps a graph document as an ExecutableGraph of a workspace. */
export function executable(workspaceId: string, graph: MifyGraph, id: string | null = null): ExecutableGraph {
  return { id, versionId: null, workspaceId, graph };
}
