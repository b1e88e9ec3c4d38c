/**
 * `mify.agents.supervisor`: a coordinator chooses, with structured output, which named
 * worker acts next and what it should do, or FINISH with the answer. Each worker is a ReAct
 * loop with its own system prompt and tools, and its report goes back to the coordinator.
 */
import type { ChatMessage, JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { type StrategyInput, type StrategyResult } from '../shared/node.js';
import { checkName, integerParameter, objectListParameter, stringParameter } from '../shared/parameters.js';
import { runReact } from '../shared/react.js';
import { clip } from '../shared/trace.js';
import { buildTools, type AgentTool } from '../tools/index.js';
import { DEFAULT_MAX_STEPS, MAX_STEPS } from './react.js';

export const FINISH = 'FINISH';

const COORDINATOR_SYSTEM = 'You are the coordinator of a team of workers. Decide which worker acts next and give it a precise instruction, or choose FINISH and write the final answer when the reports answer the request. Reply with JSON only.';

interface Worker {
  name: string;
  description: string;
  system: string;
  tools: AgentTool[];
  maxSteps: number;
}

interface Decision {
  next: string;
  instruction: string;
  answer: string;
}

/** Reads the `workers` parameter, building each worker's tools. */
async function readWorkers(ctx: NodeContext, input: StrategyInput, defaultSteps: number): Promise<Worker[]> {
  const declarations = objectListParameter(input.parameters, 'workers');
  if (declarations.length === 0) throw invalidParameter("Parameter 'workers' must list at least one worker as { name, description, system, tools }.");
  const workers: Worker[] = [];
  for (const [index, declaration] of declarations.entries()) {
    const name = checkName(declaration.name, `workers[${index}].name`);
    if (name === FINISH || workers.some((worker) => worker.name === name)) throw invalidParameter(`workers[${index}].name '${name}' is taken; give each worker its own name other than ${FINISH}.`);
    const tools = await buildTools(ctx, objectListParameter(declaration, 'tools'), `workers[${index}].tools`, input.mcpClients);
    workers.push({
      name,
      description: typeof declaration.description === 'string' ? declaration.description : '',
      system: typeof declaration.system === 'string' ? declaration.system : `You are ${name}, a worker of a team. Do the instruction you get and report the result.`,
      tools,
      maxSteps: integerParameter(declaration, 'maxSteps', defaultSteps, { min: 1, max: MAX_STEPS }),
    });
  }
  return workers;
}

export async function supervisorStrategy(ctx: NodeContext, input: StrategyInput): Promise<StrategyResult> {
  const { session, parameters } = input;
  const maxRounds = integerParameter(parameters, 'maxRounds', 6, { min: 1, max: 50 });
  const workers = await readWorkers(ctx, input, integerParameter(parameters, 'maxSteps', DEFAULT_MAX_STEPS, { min: 1, max: MAX_STEPS }));
  const names = [...workers.map((worker) => worker.name), FINISH];
  const schema: JsonObject = {
    type: 'object',
    properties: {
      next: { type: 'string', enum: names, description: `The worker that acts next, or ${FINISH}` },
      instruction: { type: 'string', description: 'What the worker should do; empty for FINISH' },
      answer: { type: 'string', description: 'The final answer for FINISH; empty otherwise' },
    },
    required: ['next', 'instruction', 'answer'],
    additionalProperties: false,
  };
  const check = (value: Record<string, unknown>): string | null => {
    if (typeof value.next !== 'string' || !names.includes(value.next)) return `next must be one of ${names.join(', ')}`;
    if (value.next === FINISH && (typeof value.answer !== 'string' || value.answer.trim() === '')) return `${FINISH} needs the final answer in answer`;
    if (value.next !== FINISH && (typeof value.instruction !== 'string' || value.instruction.trim() === '')) return 'a worker needs an instruction';
    return null;
  };

  const team = workers.map((worker) => `- ${worker.name}: ${worker.description || '(no description)'}`).join('\n');
  const coordinator: ChatMessage[] = [
    { role: 'system', content: `${stringParameter(parameters, 'coordinatorSystem', COORDINATOR_SYSTEM)}\n\nWorkers:\n${team}${input.system ? `\n\n${input.system}` : ''}` },
    ...input.history,
    { role: 'user', content: input.prompt },
  ];
  const reports: JsonObject[] = [];

  for (let round = 1; round <= maxRounds; round++) {
    const decision = await session.structured<Decision>('coordinator', coordinator, schema, check);
    session.tracer.add({ type: 'route', agent: 'coordinator', round, next: decision.next, instruction: clip(decision.instruction) });
    coordinator.push({ role: 'assistant', content: JSON.stringify(decision) });

    if (decision.next === FINISH) {
      session.tracer.add({ type: 'final_answer', agent: 'coordinator', round, content: clip(decision.answer) });
      await session.tracer.flush();
      return { answer: decision.answer, details: { rounds: round, reports } };
    }

    const worker = workers.find((candidate) => candidate.name === decision.next)!;
    const report = await runReact(session, {
      agent: worker.name,
      messages: [
        { role: 'system', content: worker.system },
        { role: 'user', content: `Request of the team: ${input.prompt}\n\nYour instruction: ${decision.instruction}` },
      ],
      tools: worker.tools,
      maxSteps: worker.maxSteps,
      maxObservationChars: input.maxObservationChars,
    });
    reports.push({ round, worker: worker.name, report: clip(report.answer) });
    session.bestAnswer = report.answer;
    session.tracer.add({ type: 'report', agent: worker.name, round, content: clip(report.answer) });
    await session.tracer.flush();
    coordinator.push({ role: 'user', content: `Report of ${worker.name}:\n${report.answer}` });
  }

  return session.raise('max_rounds', 'coordinator', `The coordinator did not choose ${FINISH} within ${maxRounds} rounds, which is its maxRounds limit. Raise maxRounds, or set onLimit to partial to return the last report.`);
}
