import type { NodeInput, NodeOutput } from '@mify/sdk';

/**
 * Manual trigger: a start node with no inputs. The executor hands it the run's input items
 * (one empty item when the run was started without input), and it passes them on unchanged.
 */
export const manualTrigger = {
  execute(_ctx: unknown, input: NodeInput): NodeOutput {
    return { items: input.items };
  },
};
