/**
 * `mify.agents.plan-execute`: a planner writes a list of steps (structured output), an
 * executor (a ReAct loop with the node's tools) carries out each step, a replanner may
 * change the remaining steps or finish early, and a last call writes the final answer.
 */
import type { ChatMessage, JsonObject, NodeContext } from '@mify/sdk';
import { openingMessages, type StrategyInput, type StrategyResult } from '../shared/node.js';
import { booleanParameter, integerParameter, objectListParameter, stringParameter } from '../shared/parameters.js';
import { runReact } from '../shared/react.js';
import { clip } from '../shared/trace.js';
import { buildTools } from '../tools/index.js';
import { DEFAULT_MAX_STEPS, MAX_STEPS } from './react.js';

const PLANNER_SYSTEM = 'You are the planner of an agent. Break the request into the fewest concrete steps that an executor with the listed tools can carry out one by one. Reply with JSON only.';
const REPLANNER_SYSTEM = 'You are the replanner of an agent. Given the request, the plan and the results so far, either finish with the final answer, or list the steps that still need doing. Reply with JSON only.';
const EXECUTOR_SYSTEM = 'You are the executor of an agent. Carry out the current step of the plan with the tools, then reply with the result of that step only.';
const ANSWER_SYSTEM = 'Write the final answer to the request from the results of the executed steps.';

const PLAN_SCHEMA: JsonObject = {
  type: 'object',
  properties: { steps: { type: 'array', items: { type: 'string' }, description: 'The steps, in order' } },
  required: ['steps'],
  additionalProperties: false,
};

const REPLAN_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    finished: { type: 'boolean', description: 'True when the results answer the request' },
    answer: { type: 'string', description: 'The final answer, when finished' },
    steps: { type: 'array', items: { type: 'string' }, description: 'The steps still to do, when not finished' },
  },
  required: ['finished', 'answer', 'steps'],
  additionalProperties: false,
};

function checkSteps(value: Record<string, unknown>): string | null {
  const steps = value.steps;
  if (!Array.isArray(steps) || steps.some((step) => typeof step !== 'string')) return 'steps must be an array of strings';
  return null;
}

function checkReplan(value: Record<string, unknown>): string | null {
  if (typeof value.finished !== 'boolean') return 'finished must be true or false';
  if (value.finished && (typeof value.answer !== 'string' || value.answer.trim() === '')) return 'a finished reply needs the answer';
  if (!value.finished) return checkSteps(value) ?? ((value.steps as string[]).length === 0 ? 'an unfinished reply needs at least one step' : null);
  return null;
}

interface StepResult {
  step: string;
  result: string;
}

function resultsText(results: StepResult[]): string {
  return results.map((entry, index) => `${index + 1}. ${entry.step}\nResult: ${entry.result}`).join('\n\n');
}

export async function planExecuteStrategy(ctx: NodeContext, input: StrategyInput): Promise<StrategyResult> {
  const { session, parameters } = input;
  const tools = await buildTools(ctx, objectListParameter(parameters, 'tools'), 'tools', input.mcpClients);
  const maxPlanSteps = integerParameter(parameters, 'maxPlanSteps', 6, { min: 1, max: 50 });
  const maxStepsPerTask = integerParameter(parameters, 'maxSteps', DEFAULT_MAX_STEPS, { min: 1, max: MAX_STEPS });
  const replan = booleanParameter(parameters, 'replan', true);
  const maxReplans = integerParameter(parameters, 'maxReplans', 3, { min: 0, max: 20 });
  const toolList = tools.map((tool) => `- ${tool.name}: ${tool.description}`).join('\n') || '(no tools)';
  const context = input.system ? `${input.system}\n\n` : '';

  const planned = await session.structured<{ steps: string[] }>(
    'planner',
    openingMessages(stringParameter(parameters, 'plannerSystem', PLANNER_SYSTEM), input.history, `${context}Request: ${input.prompt}\n\nTools of the executor:\n${toolList}\n\nPlan at most ${maxPlanSteps} steps.`),
    PLAN_SCHEMA,
    (value) => checkSteps(value) ?? ((value.steps as string[]).length === 0 ? 'the plan needs at least one step' : null),
  );
  let remaining = planned.steps.slice(0, maxPlanSteps);
  session.tracer.add({ type: 'plan', agent: 'planner', steps: remaining.map((step) => clip(step)) });
  await session.tracer.flush();

  const results: StepResult[] = [];
  let replans = 0;
  while (remaining.length > 0 && results.length < maxPlanSteps) {
    const step = remaining[0]!;
    remaining = remaining.slice(1);
    const executed = await runReact(session, {
      agent: 'executor',
      messages: [
        { role: 'system', content: `${context}${EXECUTOR_SYSTEM}` },
        { role: 'user', content: `Request: ${input.prompt}\n\nResults so far:\n${resultsText(results) || '(none)'}\n\nCurrent step ${results.length + 1}: ${step}` },
      ],
      tools,
      maxSteps: maxStepsPerTask,
      maxObservationChars: input.maxObservationChars,
    });
    results.push({ step, result: executed.answer });
    session.bestAnswer = resultsText(results);
    session.tracer.add({ type: 'step_result', agent: 'executor', index: results.length, step: clip(step), result: clip(executed.answer) });

    if (!replan || replans >= maxReplans || results.length >= maxPlanSteps) continue;
    replans += 1;
    const decision = await session.structured<{ finished: boolean; answer: string; steps: string[] }>(
      'replanner',
      [
        { role: 'system', content: stringParameter(parameters, 'replannerSystem', REPLANNER_SYSTEM)! },
        { role: 'user', content: `${context}Request: ${input.prompt}\n\nExecuted steps:\n${resultsText(results)}\n\nRemaining plan:\n${remaining.map((entry, index) => `${index + 1}. ${entry}`).join('\n') || '(none)'}` },
      ],
      REPLAN_SCHEMA,
      checkReplan,
    );
    if (decision.finished) {
      session.tracer.add({ type: 'replan', agent: 'replanner', finished: true });
      session.tracer.add({ type: 'final_answer', agent: 'replanner', content: clip(decision.answer) });
      await session.tracer.flush();
      return { answer: decision.answer, details: { plan: planned.steps, executedSteps: results.length, replans } };
    }
    remaining = decision.steps.slice(0, maxPlanSteps - results.length);
    session.tracer.add({ type: 'replan', agent: 'replanner', finished: false, steps: remaining.map((entry) => clip(entry)) });
    await session.tracer.flush();
  }

  const messages: ChatMessage[] = [
    { role: 'system', content: `${context}${ANSWER_SYSTEM}` },
    { role: 'user', content: `Request: ${input.prompt}\n\nExecuted steps:\n${resultsText(results)}` },
  ];
  const final = await session.chat('responder', { messages });
  session.tracer.add({ type: 'final_answer', agent: 'responder', content: clip(final.message.content) });
  return { answer: final.message.content, details: { plan: planned.steps, executedSteps: results.length, replans } };
}
