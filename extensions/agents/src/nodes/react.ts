/**
 * `mify.agents.react`: a ReAct agent. The model reasons, calls the node's tools through
 * native tool calling, reads their results, and repeats until it replies without a tool call.
 */
import type { NodeContext } from '@mify/sdk';
import { openingMessages, type StrategyInput, type StrategyResult } from '../shared/node.js';
import { integerParameter, objectListParameter } from '../shared/parameters.js';
import { runReact } from '../shared/react.js';
import { buildTools } from '../tools/index.js';

/** Default and maximum model turns of one agent loop. */
export const DEFAULT_MAX_STEPS = 8;
export const MAX_STEPS = 100;

export async function reactStrategy(ctx: NodeContext, input: StrategyInput): Promise<StrategyResult> {
  const tools = await buildTools(ctx, objectListParameter(input.parameters, 'tools'), 'tools', input.mcpClients);
  const maxSteps = integerParameter(input.parameters, 'maxSteps', DEFAULT_MAX_STEPS, { min: 1, max: MAX_STEPS });

  const result = await runReact(input.session, {
    agent: 'agent',
    messages: openingMessages(input.system, input.history, input.prompt),
    tools,
    maxSteps,
    maxObservationChars: input.maxObservationChars,
  });
  return { answer: result.answer, details: { steps: result.steps, tools: tools.map((tool) => tool.name) } };
}
