/**
 * Entry of `mify.triggers`: the event trigger node. The kernel decides which events start a
 * run, from the node's published parameters; the node passes the event item it receives on.
 */
import { defineExtension, defineNode, ExtensionError, type NodeInput, type NodeOutput } from '@mify/sdk';

const EVENTS = ['run.finished', 'run.waiting', 'schedule.fired', 'schedule.failed'];

export const eventTrigger = defineNode({
  execute(ctx, input: NodeInput): NodeOutput {
    const event = ctx.node.parameters.event;
    if (typeof event !== 'string' || !EVENTS.includes(event)) {
      throw new ExtensionError('invalid_parameter', `Parameter 'event' must be one of ${EVENTS.join(', ')}, got ${JSON.stringify(event)}.`);
    }
    return { items: input.items };
  },
});

export default defineExtension({
  nodes: { 'mify.triggers.event': eventTrigger },
});
