/**
 * The {{id}} extension. Each key of `nodes` is a node type that mify.extension.json
 * declares; the kernel calls its `execute` with the items that reach the node.
 */
import { defineExtension, defineNode } from '@mify/sdk';

const greet = defineNode({
  execute(ctx, input) {
    const field = String(ctx.node.parameters.field ?? 'name');
    const greeting = String(ctx.node.parameters.greeting ?? 'Hello');
    return {
      items: input.items.map((item) => ({ json: { ...item.json, greeting: `${greeting}, ${String(item.json[field] ?? 'world')}!` } })),
    };
  },
});

export default defineExtension({
  nodes: {
    '{{id}}.greet': greet,
  },
});
