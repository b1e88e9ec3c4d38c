import type { ExecuteContext } from '../shared/items.js';

/**
 * `mify.control.sub-workflow`: a `subworkflow` node, which the kernel's executor runs itself.
 * The executor loads the graph named by `graphId` at `version` (a number, `live` or `draft`)
 * and runs it as a child run with the node's input items. This sandbox code runs only when
 * the node is called outside a graph run.
 */
export const subWorkflow = {
  execute(ctx: ExecuteContext): never {
    const error = new Error(`Node '${ctx.node.name}' runs another graph, which only the kernel's executor can do: place it in a graph and run the graph instead of calling the node on its own.`);
    (error as Error & { code: string }).code = 'executor_only';
    throw error;
  },
};
