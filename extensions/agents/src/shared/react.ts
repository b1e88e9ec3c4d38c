/**
 * The ReAct loop: the model either calls tools, whose results go back to it as tool
 * messages, or replies with its final answer. Every other agent of this extension runs its executors, workers and
 * peers through this loop.
 */
import type { ChatMessage, ChatTool, JsonObject } from '@mify/sdk';
import type { AgentTool } from '../tools/index.js';
import type { AgentSession } from './session.js';
import { clip, clipJson } from './trace.js';

/** Default maximum characters of one observation sent back to the model. */
export const DEFAULT_MAX_OBSERVATION_CHARS = 8_000;

export interface ReactOptions {
  /** Name of the agent in the trace, such as `agent`, `executor` or a worker's name. */
  agent: string;
  /** The conversation so far: system prompt, memory and the request. */
  messages: ChatMessage[];
  tools: AgentTool[];
  /** Maximum model turns of this loop. */
  maxSteps: number;
  maxObservationChars: number;
  /**
   * Tools that end the loop instead of running, such as a swarm's handoffs. When the model
   * calls one, the loop returns it as `handoff`.
   */
  handoffs?: ChatTool[];
}

export interface ReactResult {
  answer: string;
  /** The conversation including this loop's turns. */
  messages: ChatMessage[];
  /** Model turns taken. */
  steps: number;
  handoff?: { tool: string; arguments: JsonObject };
}

/**
 * Runs the loop until the model replies without tool calls or calls a handoff. Reaching
 * `maxSteps` while the model still calls tools raises the `max_steps` limit.
 */
export async function runReact(session: AgentSession, options: ReactOptions): Promise<ReactResult> {
  const { agent, tools, maxSteps } = options;
  const toolsByName = new Map(tools.map((tool) => [tool.name, tool]));
  const handoffNames = new Set((options.handoffs ?? []).map((tool) => tool.name));
  const declared: ChatTool[] = [...tools.map(({ name, description, parameters }) => ({ name, description, parameters })), ...(options.handoffs ?? [])];
  const messages = [...options.messages];

  for (let step = 1; step <= maxSteps; step++) {
    const response = await session.chat(agent, { messages, ...(declared.length > 0 ? { tools: declared } : {}) });
    const message = response.message;
    const toolCalls = message.toolCalls ?? [];
    messages.push(toolCalls.length > 0 ? { role: 'assistant', content: message.content, toolCalls } : { role: 'assistant', content: message.content });
    const usage = { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens };

    if (toolCalls.length === 0) {
      session.tracer.add({ type: 'final_answer', agent, step, content: clip(message.content), usage });
      await session.tracer.flush();
      return { answer: message.content, messages, steps: step };
    }

    session.tracer.add({ type: 'thought', agent, step, content: clip(message.content), usage });

    const handoff = toolCalls.find((call) => handoffNames.has(call.name));
    if (handoff) {
      session.tracer.add({ type: 'tool_call', agent, step, tool: handoff.name, callId: handoff.id, arguments: clipJson(handoff.arguments) });
      await session.tracer.flush();
      return { answer: message.content, messages, steps: step, handoff: { tool: handoff.name, arguments: handoff.arguments } };
    }

    for (const call of toolCalls) {
      session.tracer.add({ type: 'tool_call', agent, step, tool: call.name, callId: call.id, arguments: clipJson(call.arguments) });
      // Stored before the tool runs, so a tool that hangs until the node's time limit still shows in the trace.
      await session.tracer.flush();
      const observation = await observe(toolsByName.get(call.name), call.name, call.arguments, options.maxObservationChars);
      session.tracer.add({ type: 'observation', agent, step, tool: call.name, callId: call.id, content: clip(observation.content), ...(observation.error ? { error: true } : {}) });
      messages.push({ role: 'tool', toolCallId: call.id, content: observation.content });
    }
    await session.tracer.flush();
  }

  return session.raise('max_steps', agent, `The ${agent} took ${maxSteps} steps without a final answer, which is its maxSteps limit. Raise maxSteps, give the agent fewer or clearer tools, or set onLimit to partial to return the answer so far.`);
}

/** Runs one tool call. A failure becomes an observation the model can react to, not a failed step. */
async function observe(tool: AgentTool | undefined, name: string, args: JsonObject, maxChars: number): Promise<{ content: string; error: boolean }> {
  if (!tool) return { content: `Error: there is no tool named '${name}'. Call one of the listed tools.`, error: true };
  try {
    return { content: clip(await tool.invoke(args), maxChars), error: false };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { content: clip(`Error: the tool ${name} failed: ${message}`, maxChars), error: true };
  }
}
