/**
 * One agent item's connection to the model: every model call of a node goes through
 * `AgentSession.chat`, which sums token usage and cost and enforces the token budget.
 */
import type { ChatMessage, ChatRequest, ChatResponse, ChatTool, JsonObject, NodeContext } from '@mify/sdk';
import { invalidModelOutput, invalidParameter, LimitReached, type AgentLimit } from './errors.js';
import { integerParameter, numberParameter, enumParameter, stringParameter, type Parameters } from './parameters.js';
import { clip, type Tracer } from './trace.js';

/** Model settings shared by every call of a node, from its parameters. */
export interface ModelSettings {
  provider?: string;
  model: string;
  credential?: string;
  temperature?: number;
  maxTokens?: number;
}

/** Policy of a node at a limit: fail the step, or return the best answer so far. */
export type LimitPolicy = 'error' | 'partial';

export interface SessionLimits {
  /** Maximum input plus output tokens of all model calls for one item; null for no budget. */
  tokenBudget: number | null;
  onLimit: LimitPolicy;
}

/** Usage summed over the model calls of one item. */
export interface SessionUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Reads provider, model, credential, temperature and maxTokens. */
export function modelSettings(parameters: Parameters): ModelSettings {
  const model = stringParameter(parameters, 'model');
  if (model === undefined) throw invalidParameter("Parameter 'model' is required: set the model id as the provider names it, such as gpt-4.1-mini.");
  const settings: ModelSettings = { model };
  const provider = stringParameter(parameters, 'provider');
  const credential = stringParameter(parameters, 'credential');
  const temperature = numberParameter(parameters, 'temperature', { min: 0, max: 2 });
  const maxTokens = numberParameter(parameters, 'maxTokens', { min: 1, max: 1_000_000 });
  if (provider !== undefined) settings.provider = provider;
  if (credential !== undefined) settings.credential = credential;
  if (temperature !== undefined) settings.temperature = temperature;
  if (maxTokens !== undefined) settings.maxTokens = Math.floor(maxTokens);
  return settings;
}

/** Reads tokenBudget (0 or absent: none) and onLimit. */
export function sessionLimits(parameters: Parameters): SessionLimits {
  const tokenBudget = integerParameter(parameters, 'tokenBudget', 0, { min: 0, max: 100_000_000 });
  return { tokenBudget: tokenBudget === 0 ? null : tokenBudget, onLimit: enumParameter(parameters, 'onLimit', ['error', 'partial'] as const, 'error') };
}

/** A request of `AgentSession.chat`: the parts that vary between calls. */
export interface SessionChatRequest {
  messages: ChatMessage[];
  tools?: ChatTool[];
  toolChoice?: ChatRequest['toolChoice'];
  responseSchema?: JsonObject;
}

export class AgentSession {
  readonly usage: SessionUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  /** Model calls so far. */
  calls = 0;
  /**
   * The best answer so far, returned as the partial answer when a limit stops the node with
   * `onLimit: partial`. Agents update it as they produce text.
   */
  bestAnswer = '';

  constructor(
    readonly ctx: NodeContext,
    readonly model: ModelSettings,
    readonly limits: SessionLimits,
    readonly tracer: Tracer,
  ) {}

  /** Tokens used so far: input plus output of every call. */
  get tokensUsed(): number {
    return this.usage.inputTokens + this.usage.outputTokens;
  }

  /**
   * Sends one chat request with the node's model settings. Throws `LimitReached` before the
   * call when the budget is already spent, and after it when the call spent the rest, so no
   * call starts past the budget.
   */
  async chat(agent: string, request: SessionChatRequest): Promise<ChatResponse> {
    this.checkBudget(agent);

    const response = (await this.ctx.host.llm.chat({ ...this.model, ...request })) as ChatResponse & { cost?: { totalUsd?: number } };
    this.calls += 1;
    this.usage.inputTokens += response.usage?.inputTokens ?? 0;
    this.usage.outputTokens += response.usage?.outputTokens ?? 0;
    this.usage.costUsd += typeof response.cost?.totalUsd === 'number' ? response.cost.totalUsd : 0;
    // A final reply replaces the best answer; text beside tool calls only fills an empty one.
    const text = response.message.content.trim() === '' || request.responseSchema !== undefined ? null : response.message.content;
    if (text !== null && ((response.message.toolCalls ?? []).length === 0 || this.bestAnswer === '')) this.bestAnswer = text;

    this.checkBudget(agent);
    return response;
  }

  /**
   * Requests a JSON object that follows `schema`, and checks it with `check`, which returns
   * a problem or null. A reply that is not JSON or fails the check is sent back once with the
   * problem. A second bad reply fails the node with `invalid_model_output`.
   */
  async structured<T>(agent: string, messages: ChatMessage[], schema: JsonObject, check: (value: Record<string, unknown>) => string | null): Promise<T> {
    let conversation = messages;
    for (let attempt = 1; ; attempt++) {
      const response = await this.chat(agent, { messages: conversation, responseSchema: schema });
      const content = response.message.content;
      const problem = structuredProblem(content, check);
      if (problem === null) return JSON.parse(stripFence(content)) as T;

      this.tracer.add({ type: 'invalid_output', agent, attempt, problem, content: clip(content) });
      if (attempt >= 2) throw invalidModelOutput(`The ${agent} model replied twice without the JSON the agent needs: ${problem}. Use a model that supports structured output, or simplify the instructions.`);
      conversation = [...conversation, { role: 'assistant', content }, { role: 'user', content: `That reply cannot be used: ${problem}. Reply again with only a JSON object that follows the schema.` }];
    }
  }

  private checkBudget(agent: string): void {
    const budget = this.limits.tokenBudget;
    if (budget === null || this.tokensUsed < budget) return;
    this.raise('token_budget', agent, `The agent used ${this.tokensUsed} tokens, which reaches its token budget of ${budget}. Raise tokenBudget, or set onLimit to partial to return the answer so far.`);
  }

  /** Records a limit in the trace and throws it. */
  raise(limit: AgentLimit, agent: string, message: string): never {
    this.tracer.add({ type: 'limit', agent, limit, message, tokensUsed: this.tokensUsed });
    throw new LimitReached(limit, message);
  }
}

/** Removes a Markdown code fence around a JSON reply, which some models add despite the schema. */
function stripFence(content: string): string {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(content);
  return fenced ? fenced[1]! : content;
}

function structuredProblem(content: string, check: (value: Record<string, unknown>) => string | null): string | null {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(content));
  } catch {
    return 'the reply is not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the reply is not a JSON object';
  return check(value as Record<string, unknown>);
}
