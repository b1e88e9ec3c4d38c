/**
 * `mify.agents.reflection`: a generator writes a draft as a ReAct loop, so it may use tools.
 * A critic judges the draft against a rubric with a structured verdict. The generator revises
 * the draft with the critique until the critic accepts it or `maxRounds` critiques are spent.
 */
import type { ChatMessage, JsonObject, NodeContext } from '@mify/sdk';
import { openingMessages, type StrategyInput, type StrategyResult } from '../shared/node.js';
import { booleanParameter, integerParameter, objectListParameter, stringParameter } from '../shared/parameters.js';
import { runReact } from '../shared/react.js';
import { clip } from '../shared/trace.js';
import { buildTools } from '../tools/index.js';
import { DEFAULT_MAX_STEPS, MAX_STEPS } from './react.js';

const CRITIC_SYSTEM = 'You are a strict reviewer. Judge the draft against the rubric and the request. Accept it only when it meets every point of the rubric. Reply with JSON only.';
const DEFAULT_RUBRIC = 'The answer is correct, complete, directly answers the request, and is clearly written.';

const VERDICT_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    accepted: { type: 'boolean', description: 'True when the draft meets the rubric' },
    score: { type: 'number', description: 'Quality from 0 to 10' },
    feedback: { type: 'string', description: 'What to change, point by point; empty when accepted' },
  },
  required: ['accepted', 'score', 'feedback'],
  additionalProperties: false,
};

interface Verdict {
  accepted: boolean;
  score: number;
  feedback: string;
}

function checkVerdict(value: Record<string, unknown>): string | null {
  if (typeof value.accepted !== 'boolean') return 'accepted must be true or false';
  if (typeof value.score !== 'number') return 'score must be a number';
  if (typeof value.feedback !== 'string') return 'feedback must be a string';
  return null;
}

export async function reflectionStrategy(ctx: NodeContext, input: StrategyInput): Promise<StrategyResult> {
  const { session, parameters } = input;
  const tools = await buildTools(ctx, objectListParameter(parameters, 'tools'), 'tools', input.mcpClients);
  const maxRounds = integerParameter(parameters, 'maxRounds', 3, { min: 1, max: 20 });
  const maxSteps = integerParameter(parameters, 'maxSteps', DEFAULT_MAX_STEPS, { min: 1, max: MAX_STEPS });
  const rubric = stringParameter(parameters, 'rubric', DEFAULT_RUBRIC)!;
  const failOnReject = booleanParameter(parameters, 'requireAcceptance', false);

  let conversation: ChatMessage[] = openingMessages(input.system, input.history, input.prompt);
  const generated = await runReact(session, { agent: 'generator', messages: conversation, tools, maxSteps, maxObservationChars: input.maxObservationChars });
  let draft = generated.answer;
  conversation = generated.messages;
  session.bestAnswer = draft;
  session.tracer.add({ type: 'draft', agent: 'generator', round: 0, content: clip(draft) });

  const critiques: JsonObject[] = [];
  for (let round = 1; round <= maxRounds; round++) {
    const verdict = await session.structured<Verdict>(
      'critic',
      [
        { role: 'system', content: stringParameter(parameters, 'criticSystem', CRITIC_SYSTEM)! },
        { role: 'user', content: `Request: ${input.prompt}\n\nRubric: ${rubric}\n\nDraft:\n${draft}` },
      ],
      VERDICT_SCHEMA,
      checkVerdict,
    );
    critiques.push({ round, accepted: verdict.accepted, score: verdict.score, feedback: clip(verdict.feedback) });
    session.tracer.add({ type: 'critique', agent: 'critic', round, accepted: verdict.accepted, score: verdict.score, feedback: clip(verdict.feedback) });
    await session.tracer.flush();
    if (verdict.accepted) return { answer: draft, details: { accepted: true, rounds: round, critiques } };
    if (round === maxRounds) break;

    const revised = await runReact(session, {
      agent: 'generator',
      messages: [...conversation, { role: 'user', content: `A reviewer rejected your answer. Revise it to meet the rubric (${rubric}).\n\nFeedback:\n${verdict.feedback}\n\nReply with the complete revised answer only.` }],
      tools,
      maxSteps,
      maxObservationChars: input.maxObservationChars,
    });
    draft = revised.answer;
    conversation = revised.messages;
    session.bestAnswer = draft;
    session.tracer.add({ type: 'revision', agent: 'generator', round, content: clip(draft) });
  }

  if (failOnReject) {
    return session.raise('max_rounds', 'critic', `The critic rejected all ${maxRounds} drafts, which is the maxRounds limit. Raise maxRounds, loosen the rubric, or set requireAcceptance to false to return the last draft.`);
  }
  return { answer: draft, details: { accepted: false, rounds: maxRounds, critiques } };
}
