/**
 * Test extension `acme.part` for partial-execution tests. Every node except the trigger
 * counts its executions in the extension key-value store under `runs:<node id>`, so a test
 * can tell a node that ran from one whose cached output was reused.
 *
 * - `trigger`: passes the run input on;
 * - `count` (deterministic): appends `<node id>:<tag>` to `json.trail`; parameter `blobBytes`
 *   adds a string of that many characters as `json.blob`, and `dropBlob` removes it;
 * - `random` (probabilistic): adds `json.random`, a new number each time;
 * - `merge` (deterministic, inputs `a` and `b`): emits the items of `a`, then those of `b`.
 */
export const ACME_PART = {
  id: 'acme.part',
  manifest: {
    name: 'Acme partial-execution nodes',
    permissions: ['kv:read', 'kv:write'],
    limits: { memoryLimitMb: 64, timeoutMs: 5_000 },
    contributes: {
      nodes: [
        node('trigger', { inputs: [], control: 'trigger' }),
        node('count', { parameters: { type: 'object', properties: { tag: { type: 'string' }, blobBytes: { type: 'integer', minimum: 0 }, dropBlob: { type: 'boolean' } } } }),
        node('random', { executionClass: 'probabilistic' }),
        node('merge', { inputs: ['a', 'b'], control: 'merge' }),
      ],
    },
  },
  code: `
async function counted(ctx, input) {
  const key = 'runs:' + input.node.id;
  const current = (await ctx.host.kv.get(key)) || 0;
  await ctx.host.kv.set(key, current + 1);
}

export default {
  nodes: {
    'acme.part.trigger': { execute(ctx, input) { return { items: input.items }; } },
    'acme.part.count': {
      async execute(ctx, input) {
        await counted(ctx, input);
        const tag = input.parameters.tag || '';
        return {
          items: input.items.map((item) => {
            const json = { ...item.json, trail: [...(item.json.trail || []), input.node.id + ':' + tag] };
            if (input.parameters.blobBytes) json.blob = 'x'.repeat(input.parameters.blobBytes);
            if (input.parameters.dropBlob) delete json.blob;
            return { json };
          }),
        };
      },
    },
    'acme.part.random': {
      async execute(ctx, input) {
        await counted(ctx, input);
        return { items: input.items.map((item) => ({ json: { ...item.json, random: Math.random() } })) };
      },
    },
    'acme.part.merge': {
      async execute(ctx, input) {
        await counted(ctx, input);
        return { items: [...(input.ports.a || []), ...(input.ports.b || [])] };
      },
    },
  },
};
`,
};

function node(type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: `acme.part.${type}`,
    typeVersion: 1,
    name: type,
    description: `Test node ${type}.`,
    category: 'Test',
    inputs: ['main'],
    outputs: ['main'],
    parameters: { type: 'object', properties: {} },
    executionClass: 'deterministic',
    ...extra,
  };
}

/** Builds a node of type `acme.part.<kind>`, named after its id. */
export function partNode(id: string, kind: string, parameters: Record<string, unknown> = {}) {
  return { id, name: id, type: `acme.part.${kind}`, typeVersion: 1, parameters };
}

/** Builds an edge from `from` to `to`, each written `node` or `node:port`. */
export function partEdge(from: string, to: string) {
  const [fromNode, fromPort = 'main'] = from.split(':');
  const [toNode, toPort = 'main'] = to.split(':');
  return { from: { node: fromNode!, port: fromPort }, to: { node: toNode!, port: toPort } };
}
