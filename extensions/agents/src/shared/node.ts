/**
 * What every agent node shares: items one at a time, the model session with its token
 * budget, conversation memory, the trace, limit handling and the output shape. A strategy
 * only turns one request into an answer.
 */
import { ExtensionError, type ChatMessage, type Item, type JsonObject, type NodeContext, type NodeInput } from '@mify/sdk';
import { closeClients } from '../tools/index.js';
import type { McpClients } from '../tools/mcp.js';
import { LIMIT_CODES, LimitReached, type AgentLimit } from './errors.js';
import { loadMemory, memorySettings, saveMemory } from './memory.js';
import { integerParameter, promptOf, stringParameter, type Parameters } from './parameters.js';
import { DEFAULT_MAX_OBSERVATION_CHARS } from './react.js';
import { AgentSession, modelSettings, sessionLimits } from './session.js';
import { clip, Tracer } from './trace.js';

/** Input of a strategy for one item. */
export interface StrategyInput {
  session: AgentSession;
  parameters: Parameters;
  item: Item;
  /** The user request. */
  prompt: string;
  /** Earlier messages of the session (memory), oldest first; empty without a session. */
  history: ChatMessage[];
  /** The node's system prompt, when set. */
  system: string | undefined;
  maxObservationChars: number;
  /** MCP sessions of this activation, shared by the tools of every agent of the node. */
  mcpClients: McpClients;
}

/** Result of a strategy for one item: the answer and facts for the output's `agent` object. */
export interface StrategyResult {
  answer: string;
  details?: JsonObject;
}

export type Strategy = (ctx: NodeContext, input: StrategyInput) => Promise<StrategyResult>;

/**
 * Wraps a strategy as a node implementation. For each item it writes the answer to
 * `outputField` (default `answer`) and `agent`: `{ strategy, stoppedBy, modelCalls, usage,
 * traceEntries, … }`. With `onLimit: partial`, a limit ends the item with the best answer so
 * far and `stoppedBy` naming the limit; otherwise it fails the step with the limit's code.
 */
export function agentNode(strategyName: string, strategy: Strategy) {
  return {
    async execute(ctx: NodeContext, input: NodeInput): Promise<{ items: Item[]; usage: { inputTokens: number; outputTokens: number; costUsd: number } }> {
      const total = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
      const items: Item[] = [];
      const mcpClients: McpClients = new Map();
      try {
        for (const [index, item] of input.items.entries()) {
          const parameters = input.itemParameters?.[index] ?? input.parameters ?? {};
          const result = await runItem(ctx, strategyName, strategy, parameters, item, index, mcpClients);
          total.inputTokens += result.usage.inputTokens;
          total.outputTokens += result.usage.outputTokens;
          total.costUsd += result.usage.costUsd;
          items.push(result.item);
        }
      } finally {
        await closeClients(mcpClients);
      }
      return { items, usage: total };
    },
  };
}

async function runItem(ctx: NodeContext, strategyName: string, strategy: Strategy, parameters: Parameters, item: Item, index: number, mcpClients: McpClients) {
  const prompt = promptOf(parameters, item, index);
  const tracer = new Tracer(ctx, index);
  const session = new AgentSession(ctx, modelSettings(parameters), sessionLimits(parameters), tracer);
  const memory = memorySettings(parameters);
  const history = memory ? await loadMemory(ctx, memory) : [];
  const outputField = stringParameter(parameters, 'outputField', 'answer')!;
  const maxObservationChars = integerParameter(parameters, 'maxObservationChars', DEFAULT_MAX_OBSERVATION_CHARS, { min: 100, max: 100_000 });

  tracer.add({ type: 'request', agent: strategyName, content: clip(prompt), ...(memory ? { sessionId: memory.sessionId, memoryMessages: history.length } : {}) });
  let result: StrategyResult;
  let stoppedBy: 'answer' | AgentLimit = 'answer';
  try {
    result = await strategy(ctx, { session, parameters, item, prompt, history, system: stringParameter(parameters, 'system'), maxObservationChars, mcpClients });
  } catch (error) {
    if (!(error instanceof LimitReached)) {
      tracer.add({ type: 'error', agent: strategyName, message: clip(error instanceof Error ? error.message : String(error)) });
      await tracer.flush();
      throw error;
    }
    if (session.limits.onLimit !== 'partial') {
      await tracer.flush();
      // The code leads the message too, because a step's error record keeps the message but not the code of an extension's error.
      throw new ExtensionError(LIMIT_CODES[error.limit], `${LIMIT_CODES[error.limit]}: ${error.message}`, { details: { limit: error.limit, tokensUsed: session.tokensUsed, modelCalls: session.calls } });
    }
    stoppedBy = error.limit;
    result = { answer: session.bestAnswer };
    tracer.add({ type: 'partial_answer', agent: strategyName, limit: error.limit, content: clip(result.answer) });
  }

  if (memory) await saveMemory(ctx, memory, history, prompt, result.answer);
  await tracer.flush();

  const usage = { ...session.usage };
  const agent: JsonObject = {
    strategy: strategyName,
    stoppedBy,
    modelCalls: session.calls,
    usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: usage.costUsd },
    traceEntries: tracer.recorded,
    ...(memory ? { sessionId: memory.sessionId } : {}),
    ...(result.details ?? {}),
  };
  return { item: { ...item, json: { ...item.json, [outputField]: result.answer, agent } }, usage };
}

/** Builds the opening messages of a conversation: system prompt, memory, then the request. */
export function openingMessages(system: string | undefined, history: ChatMessage[], request: string): ChatMessage[] {
  return [...(system ? [{ role: 'system' as const, content: system }] : []), ...history, { role: 'user', content: request }];
}
