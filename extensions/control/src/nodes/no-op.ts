import type { NodeInput, NodeOutput } from '@mify/sdk';

/** No operation: passes its items on unchanged, as a junction or a placeholder in a graph. */
export const noOp = {
  execute(_ctx: unknown, input: NodeInput): NodeOutput {
    return { items: input.items };
  },
};
