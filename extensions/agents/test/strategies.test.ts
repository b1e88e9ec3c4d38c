import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { calls, json, text } from './support/chat-stub.js';
import { startAgentKernel, traceShape, type AgentTestKernel } from './support/kernel.js';

const adder = { kind: 'code', name: 'add', description: 'Adds a and b', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }, source: 'return args.a + args.b;' };
const multiplier = { kind: 'code', name: 'multiply', description: 'Multiplies a and b', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }, source: 'return args.a * args.b;' };

/** The multi-agent strategy nodes, checked call by call against the chat stub. */
describe('multi-agent strategies', () => {
  let k: AgentTestKernel;

  beforeAll(async () => {
    k = await startAgentKernel();
  });

  afterAll(async () => {
    await k?.close();
  });

  beforeEach(() => {
    k.stub.reset();
  });

  describe('plan and execute', () => {
    it('plans, executes each step with tools, replans and finishes', async () => {
      k.stub.script(
        json({ steps: ['Add 2 and 3', 'Multiply the sum by 4', 'Report the product'] }),
        calls({ id: 'c1', name: 'add', arguments: { a: 2, b: 3 } }),
        text('The sum is 5.'),
        json({ finished: false, answer: '', steps: ['Multiply 5 by 4'] }),
        calls({ id: 'c2', name: 'multiply', arguments: { a: 5, b: 4 } }),
        text('The product is 20.'),
        json({ finished: true, answer: '(2 + 3) × 4 = 20', steps: [] }),
      );

      const run = await k.runAgent('mify.agents.plan-execute', { tools: [adder, multiplier] }, [{ prompt: 'Compute (2 + 3) × 4.' }]);

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('(2 + 3) × 4 = 20');
      expect(run.output[0]!.agent).toMatchObject({ strategy: 'plan-execute', stoppedBy: 'answer', executedSteps: 2, replans: 2, modelCalls: 7, plan: ['Add 2 and 3', 'Multiply the sum by 4', 'Report the product'] });

      const [planner, executor1, , replanner1, executor2, , replanner2] = k.stub.requests;
      expect(planner!.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: { required: ['steps'] } } });
      expect(planner!.tools).toBeUndefined();
      expect(planner!.messages.at(-1)!.content).toContain('- add: Adds a and b');
      expect(executor1!.tools!.map((tool) => tool.function.name)).toEqual(['add', 'multiply']);
      expect(executor1!.messages.at(-1)!.content).toContain('Current step 1: Add 2 and 3');
      expect(k.stub.requests[2]!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'c1', content: '5' });
      expect(replanner1!.messages.at(-1)!.content).toContain('1. Add 2 and 3\nResult: The sum is 5.');
      expect(replanner1!.messages.at(-1)!.content).toContain('1. Multiply the sum by 4\n2. Report the product');
      // The replanner's steps replaced the rest of the plan.
      expect(executor2!.messages.at(-1)!.content).toContain('Current step 2: Multiply 5 by 4');
      expect(replanner2!.response_format!.json_schema!.schema).toMatchObject({ required: ['finished', 'answer', 'steps'] });

      expect(traceShape(run.trace)).toEqual([
        'request:plan-execute',
        'plan:planner',
        'thought:executor', 'tool_call:executor', 'observation:executor', 'final_answer:executor',
        'step_result:executor',
        'replan:replanner',
        'thought:executor', 'tool_call:executor', 'observation:executor', 'final_answer:executor',
        'step_result:executor',
        'replan:replanner', 'final_answer:replanner',
      ]);
      expect(run.trace[1]).toMatchObject({ steps: ['Add 2 and 3', 'Multiply the sum by 4', 'Report the product'] });
      expect(run.trace[7]).toMatchObject({ finished: false, steps: ['Multiply 5 by 4'] });
    });

    it('executes the whole plan and writes the answer without replanning', async () => {
      k.stub.script(json({ steps: ['Find A', 'Find B'] }), text('A is 1.'), text('B is 2.'), text('A is 1 and B is 2.'));

      const run = await k.runAgent('mify.agents.plan-execute', { replan: false }, [{ prompt: 'What are A and B?' }]);

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('A is 1 and B is 2.');
      expect(k.stub.requests).toHaveLength(4);
      expect(k.stub.requests[3]!.messages.at(-1)!.content).toBe('Request: What are A and B?\n\nExecuted steps:\n1. Find A\nResult: A is 1.\n\n2. Find B\nResult: B is 2.');
      expect(traceShape(run.trace).slice(-1)).toEqual(['final_answer:responder']);
    });

    it('sends an invalid plan back once, then fails', async () => {
      k.stub.script(text('First, add the numbers.'), json({ steps: 'add them' }));

      const run = await k.runAgent('mify.agents.plan-execute', {}, [{ prompt: 'Add 1 and 2.' }]);

      expect(run.status).toBe('failed');
      expect(run.error!.message).toContain('The planner model replied twice without the JSON the agent needs: steps must be an array of strings');
      expect(k.stub.requests[1]!.messages.at(-1)!.content).toContain('That reply cannot be used: the reply is not valid JSON');
      expect(run.trace.filter((entry) => entry.type === 'invalid_output')).toHaveLength(2);
    });

    it('returns the step results at the token budget with onLimit partial', async () => {
      const usage = { promptTokens: 40, completionTokens: 10 };
      k.stub.script(json({ steps: ['Find A', 'Find B'] }, usage), text('A is 1.', usage), json({ finished: false, answer: '', steps: ['Find B'] }, usage), text('never sent'));

      const run = await k.runAgent('mify.agents.plan-execute', { tokenBudget: 150, onLimit: 'partial' }, [{ prompt: 'What are A and B?' }]);

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('1. Find A\nResult: A is 1.');
      expect(run.output[0]!.agent).toMatchObject({ stoppedBy: 'token_budget', modelCalls: 3, usage: { inputTokens: 120, outputTokens: 30 } });
      expect(k.stub.requests).toHaveLength(3);
      expect(traceShape(run.trace).slice(-2)).toEqual(['limit:replanner', 'partial_answer:plan-execute']);
    });

    it('caps the plan at maxPlanSteps', async () => {
      k.stub.script(json({ steps: ['one', 'two', 'three'] }), text('did one'), text('did two'), text('done'));

      const run = await k.runAgent('mify.agents.plan-execute', { replan: false, maxPlanSteps: 2 }, [{ prompt: 'Do three things.' }]);

      expect(run.output[0]!.agent).toMatchObject({ executedSteps: 2 });
      expect(k.stub.requests).toHaveLength(4);
    });
  });

  describe('reflection', () => {
    it('revises the draft until the critic accepts it', async () => {
      k.stub.script(
        text('Paris is the capital.'),
        json({ accepted: false, score: 4, feedback: 'Name the country.' }),
        text('Paris is the capital of France.'),
        json({ accepted: true, score: 9, feedback: '' }),
      );

      const run = await k.runAgent('mify.agents.reflection', { rubric: 'Names the city and the country.' }, [{ prompt: 'What is the capital of France?' }]);

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('Paris is the capital of France.');
      expect(run.output[0]!.agent).toMatchObject({ accepted: true, rounds: 2, critiques: [{ round: 1, accepted: false, score: 4 }, { round: 2, accepted: true, score: 9 }] });

      const [, critic1, reviser, critic2] = k.stub.requests;
      expect(critic1!.response_format!.json_schema!.schema).toMatchObject({ required: ['accepted', 'score', 'feedback'] });
      expect(critic1!.messages.at(-1)!.content).toBe('Request: What is the capital of France?\n\nRubric: Names the city and the country.\n\nDraft:\nParis is the capital.');
      // The generator revises in its own conversation, with the critique as the next request.
      expect(reviser!.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
      expect(reviser!.messages[2]!.content).toContain('Feedback:\nName the country.');
      expect(critic2!.messages.at(-1)!.content).toContain('Draft:\nParis is the capital of France.');

      expect(traceShape(run.trace)).toEqual(['request:reflection', 'final_answer:generator', 'draft:generator', 'critique:critic', 'final_answer:generator', 'revision:generator', 'critique:critic']);
      expect(run.trace[3]).toMatchObject({ round: 1, accepted: false, feedback: 'Name the country.' });
    });

    it('returns the last draft after maxRounds rejections', async () => {
      k.stub.script(text('Draft 1'), json({ accepted: false, score: 2, feedback: 'Worse' }), text('Draft 2'), json({ accepted: false, score: 3, feedback: 'Still bad' }));

      const run = await k.runAgent('mify.agents.reflection', { maxRounds: 2 });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('Draft 2');
      expect(run.output[0]!.agent).toMatchObject({ accepted: false, rounds: 2 });
      expect(k.stub.requests).toHaveLength(4);
    });

    it('fails after maxRounds rejections with requireAcceptance', async () => {
      k.stub.script(text('Draft 1'), json({ accepted: false, score: 2, feedback: 'No' }));

      const run = await k.runAgent('mify.agents.reflection', { maxRounds: 1, requireAcceptance: true });

      expect(run.status).toBe('failed');
      expect(run.error!.message).toContain('max_rounds_exceeded: The critic rejected all 1 drafts');
    });
  });

  describe('supervisor', () => {
    const workers = [
      { name: 'researcher', description: 'Finds facts', system: 'You research facts.', tools: [] },
      { name: 'calculator', description: 'Does arithmetic', system: 'You calculate.', tools: [multiplier] },
    ];

    it('routes to workers and finishes with the answer', async () => {
      k.stub.script(
        json({ next: 'researcher', instruction: 'Find the population of Oslo.', answer: '' }),
        text('Oslo has 700000 people.'),
        json({ next: 'calculator', instruction: 'Double 700000.', answer: '' }),
        calls({ id: 'm1', name: 'multiply', arguments: { a: 700000, b: 2 } }),
        text('1400000'),
        json({ next: 'FINISH', instruction: '', answer: 'Twice the population of Oslo is 1.4 million.' }),
      );

      const run = await k.runAgent('mify.agents.supervisor', { workers }, [{ prompt: 'What is twice the population of Oslo?' }]);

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('Twice the population of Oslo is 1.4 million.');
      expect(run.output[0]!.agent).toMatchObject({ rounds: 3, reports: [{ round: 1, worker: 'researcher' }, { round: 2, worker: 'calculator', report: '1400000' }] });

      const [coordinator1, researcher, coordinator2, calculator, , coordinator3] = k.stub.requests;
      expect(coordinator1!.response_format!.json_schema!.schema).toMatchObject({ properties: { next: { enum: ['researcher', 'calculator', 'FINISH'] } } });
      expect(coordinator1!.messages[0]!.content).toContain('- researcher: Finds facts\n- calculator: Does arithmetic');
      expect(researcher!.messages.map((message) => [message.role, message.content])).toEqual([
        ['system', 'You research facts.'],
        ['user', 'Request of the team: What is twice the population of Oslo?\n\nYour instruction: Find the population of Oslo.'],
      ]);
      expect(researcher!.tools).toBeUndefined();
      expect(coordinator2!.messages.at(-1)!.content).toBe('Report of researcher:\nOslo has 700000 people.');
      expect(calculator!.tools!.map((tool) => tool.function.name)).toEqual(['multiply']);
      expect(coordinator3!.messages.at(-1)!.content).toBe('Report of calculator:\n1400000');

      expect(traceShape(run.trace)).toEqual([
        'request:supervisor',
        'route:coordinator', 'final_answer:researcher', 'report:researcher',
        'route:coordinator', 'thought:calculator', 'tool_call:calculator', 'observation:calculator', 'final_answer:calculator', 'report:calculator',
        'route:coordinator', 'final_answer:coordinator',
      ]);
      expect(run.trace[1]).toMatchObject({ round: 1, next: 'researcher', instruction: 'Find the population of Oslo.' });
    });

    it('rejects a decision that names no worker, then takes the retry', async () => {
      k.stub.script(json({ next: 'writer', instruction: 'Write', answer: '' }), json({ next: 'FINISH', instruction: '', answer: 'Done.' }));

      const run = await k.runAgent('mify.agents.supervisor', { workers });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(k.stub.requests[1]!.messages.at(-1)!.content).toContain('next must be one of researcher, calculator, FINISH');
    });

    it('stops at maxRounds with the last report as partial answer', async () => {
      k.stub.script(json({ next: 'researcher', instruction: 'Look', answer: '' }), text('Found half of it.'), json({ next: 'researcher', instruction: 'Look again', answer: '' }));

      const run = await k.runAgent('mify.agents.supervisor', { workers, maxRounds: 1, onLimit: 'partial' });

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('Found half of it.');
      expect(run.output[0]!.agent).toMatchObject({ stoppedBy: 'max_rounds' });
      expect(k.stub.requests).toHaveLength(2);
    });
  });

  describe('swarm', () => {
    const agents = [
      { name: 'triage', description: 'Sorts requests', system: 'You sort requests.', tools: [] },
      { name: 'billing', description: 'Answers billing questions', system: 'You handle billing.', tools: [adder], handoffs: ['triage'] },
    ];

    it('hands off between peers over the bus until one answers', async () => {
      k.stub.script(
        calls({ id: 'h1', name: 'transfer_to_billing', arguments: { message: 'Customer asks for the total of two invoices, 20 and 22.' } }),
        calls({ id: 'a1', name: 'add', arguments: { a: 20, b: 22 } }),
        text('Your total is 42 EUR.'),
      );

      const run = await k.runAgent('mify.agents.swarm', { agents }, [{ prompt: 'What do I owe for invoices 20 and 22?' }]);

      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.output[0]!.answer).toBe('Your total is 42 EUR.');
      expect(run.output[0]!.agent).toMatchObject({
        finalAgent: 'billing',
        handoffs: 1,
        bus: [
          { from: 'user', to: 'triage', kind: 'request', content: 'What do I owe for invoices 20 and 22?' },
          { from: 'triage', to: 'billing', kind: 'handoff', content: 'Customer asks for the total of two invoices, 20 and 22.' },
          { from: 'billing', to: 'user', kind: 'answer', content: 'Your total is 42 EUR.' },
        ],
      });

      const [triage, billing, billingAfterTool] = k.stub.requests;
      expect(triage!.tools!.map((tool) => tool.function.name)).toEqual(['transfer_to_billing']);
      expect(triage!.messages[0]!.content).toContain('You sort requests.');
      expect(billing!.tools!.map((tool) => tool.function.name)).toEqual(['add', 'transfer_to_triage']);
      expect(billing!.messages.map((message) => [message.role, message.content])).toEqual([
        ['system', expect.stringContaining('You handle billing.')],
        ['user', 'What do I owe for invoices 20 and 22?'],
        ['user', '[triage to billing] Customer asks for the total of two invoices, 20 and 22.'],
      ]);
      expect(billingAfterTool!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'a1', content: '42' });

      expect(traceShape(run.trace)).toEqual([
        'request:swarm',
        'message:user',
        'thought:triage', 'tool_call:triage',
        'message:triage',
        'thought:billing', 'tool_call:billing', 'observation:billing', 'final_answer:billing',
        'message:billing',
      ]);
      expect(run.trace[3]).toMatchObject({ tool: 'transfer_to_billing' });
      expect(run.trace[4]).toMatchObject({ to: 'billing', kind: 'handoff' });
    });

    it('fails past maxHandoffs', async () => {
      k.stub.script(calls({ name: 'transfer_to_billing', arguments: { message: 'yours' } }), calls({ name: 'transfer_to_triage', arguments: { message: 'no, yours' } }));

      const run = await k.runAgent('mify.agents.swarm', { agents, maxHandoffs: 1 });

      expect(run.status).toBe('failed');
      expect(run.error!.message).toContain('max_handoffs_exceeded: The swarm reached its limit of 1 handoffs when billing tried to hand off to triage.');
      expect(run.trace.filter((entry) => entry.type === 'message').map((entry) => entry.kind)).toEqual(['request', 'handoff']);
    });

    it('rejects a handoff to an unknown peer', async () => {
      const run = await k.runAgent('mify.agents.swarm', { agents: [agents[0], { ...agents[1], handoffs: ['sales'] }] });

      expect(run.status).toBe('failed');
      expect(run.error!.message).toContain('agents[1].handoffs must list names of other peers (triage)');
      expect(k.stub.requests).toHaveLength(0);
    });
  });
});
