import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { calls, text } from './support/chat-stub.js';
import { startAgentKernel, traceShape, type AgentTestKernel } from './support/kernel.js';

const REACT = 'mify.agents.react';

const adder = { kind: 'code', name: 'add', description: 'Adds a and b', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }, source: 'return { sum: args.a + args.b };' };

/** The ReAct agent node in graphs run by the real executor, against the chat stub. */
describe('ReAct agent node', () => {
  let k: AgentTestKernel;
  let weather: http.Server;
  let weatherUrl: string;
  const weatherRequests: Array<{ method: string; url: string }> = [];

  beforeAll(async () => {
    k = await startAgentKernel();
    weather = http.createServer((request, response) => {
      weatherRequests.push({ method: request.method ?? '', url: request.url ?? '' });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ city: decodeURIComponent((request.url ?? '').split('/').pop()!.split('?')[0]!), celsius: 14 }));
    });
    await new Promise<void>((resolve) => weather.listen(0, '127.0.0.1', resolve));
    weatherUrl = `http://127.0.0.1:${(weather.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await k?.close();
    if (weather) await new Promise((resolve) => weather.close(resolve));
  });

  beforeEach(() => {
    k.stub.reset();
    weatherRequests.length = 0;
  });

  it('calls tools and feeds their results back until it answers', async () => {
    k.stub.script(
      { content: 'I will look up the weather.', toolCalls: [{ id: 'call_w', name: 'weather', arguments: { city: 'Oslo', units: 'metric' } }] },
      calls({ id: 'call_a', name: 'add', arguments: { a: 14, b: 3 } }),
      text('It is 14 °C in Oslo; 17 with the offset.'),
    );

    const run = await k.runAgent(REACT, {
      system: 'You are a weather assistant.',
      tools: [{ kind: 'http', name: 'weather', description: 'Current weather of a city', url: `${weatherUrl}/weather/{city}`, method: 'GET' }, adder],
    });

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output[0]!.answer).toBe('It is 14 °C in Oslo; 17 with the offset.');
    expect(run.output[0]!.agent).toMatchObject({ strategy: 'react', stoppedBy: 'answer', modelCalls: 3, steps: 3, tools: ['weather', 'add'], usage: { inputTokens: 30, outputTokens: 15 } });
    expect(run.usage).toMatchObject({ inputTokens: 30, outputTokens: 15 });

    // The HTTP tool filled the URL template and sent the other argument as a query parameter.
    expect(weatherRequests).toEqual([{ method: 'GET', url: '/weather/Oslo?units=metric' }]);

    // Request 1: system prompt, request and both tools declared.
    const [first, second, third] = k.stub.requests;
    expect(first!.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(first!.messages[1]!.content).toBe('What is the weather in Oslo?');
    expect(first!.tools!.map((tool) => tool.function.name)).toEqual(['weather', 'add']);
    expect(first!.tools![0]!.function.parameters).toEqual({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });

    // Request 2: the assistant's tool call and the HTTP tool's result.
    expect(second!.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(second!.messages[2]!.tool_calls![0]!.function.name).toBe('weather');
    expect(second!.messages[3]!.tool_call_id).toBe('call_w');
    expect(second!.messages[3]!.content).toBe('HTTP 200\n{"city":"Oslo","celsius":14}');

    // Request 3: the code tool's result.
    expect(third!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_a', content: '{"sum":17}' });

    expect(traceShape(run.trace)).toEqual(['request:react', 'thought:agent', 'tool_call:agent', 'observation:agent', 'thought:agent', 'tool_call:agent', 'observation:agent', 'final_answer:agent']);
    expect(run.trace[1]).toMatchObject({ content: 'I will look up the weather.', step: 1, usage: { inputTokens: 10, outputTokens: 5 } });
    expect(run.trace[2]).toMatchObject({ tool: 'weather', callId: 'call_w', arguments: { city: 'Oslo', units: 'metric' } });
    expect(run.trace[6]).toMatchObject({ tool: 'add', content: '{"sum":17}' });
    expect(run.trace.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reports a failing tool as an observation', async () => {
    k.stub.script(calls({ id: 'call_x', name: 'divide', arguments: { a: 1 } }), calls({ id: 'call_y', name: 'missing', arguments: {} }), text('I could not divide.'));

    const run = await k.runAgent(REACT, { tools: [{ kind: 'code', name: 'divide', source: 'throw new Error("no divisor");' }] });

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const toolMessages = k.stub.requests[2]!.messages.filter((message) => message.role === 'tool');
    expect(toolMessages[0]!.content).toMatch(/^Error: the tool divide failed: .*no divisor/);
    expect(toolMessages[1]!.content).toBe("Error: there is no tool named 'missing'. Call one of the listed tools.");
    expect(run.trace.filter((entry) => entry.type === 'observation').map((entry) => entry.error)).toEqual([true, true]);
  });

  it('fails at maxSteps with the limit in the trace', async () => {
    k.stub.script(calls({ name: 'add', arguments: { a: 1, b: 1 } }), calls({ name: 'add', arguments: { a: 2, b: 2 } }), text('never sent'));

    const run = await k.runAgent(REACT, { tools: [adder], maxSteps: 2 });

    expect(run.status).toBe('failed');
    expect(run.error!.message).toContain('max_steps_exceeded: The agent took 2 steps without a final answer, which is its maxSteps limit.');
    expect(run.error!.code).toBe('max_steps_exceeded');
    expect(k.stub.requests).toHaveLength(2);
    expect(k.stub.pending()).toBe(1);
    expect(traceShape(run.trace).slice(-2)).toEqual(['observation:agent', 'limit:agent']);
    expect(run.trace.at(-1)).toMatchObject({ limit: 'max_steps' });
  });

  it('returns a partial answer at maxSteps with onLimit partial', async () => {
    k.stub.script({ content: 'Half done: 1 + 1 is 2.', toolCalls: [{ name: 'add', arguments: { a: 1, b: 1 } }] });

    const run = await k.runAgent(REACT, { tools: [adder], maxSteps: 1, onLimit: 'partial' });

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output[0]!.answer).toBe('Half done: 1 + 1 is 2.');
    expect(run.output[0]!.agent).toMatchObject({ stoppedBy: 'max_steps', modelCalls: 1 });
    expect(traceShape(run.trace).slice(-2)).toEqual(['limit:agent', 'partial_answer:react']);
  });

  it('stops at the token budget before the next call', async () => {
    const usage = { promptTokens: 80, completionTokens: 20 };
    k.stub.script({ content: '', toolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }], usage }, { content: '', toolCalls: [{ name: 'add', arguments: { a: 3, b: 4 } }], usage }, text('never sent'));

    const run = await k.runAgent(REACT, { tools: [adder], tokenBudget: 150 });

    expect(run.status).toBe('failed');
    expect(run.error!.message).toContain('token_budget_exceeded: The agent used 200 tokens, which reaches its token budget of 150.');
    expect(k.stub.requests).toHaveLength(2);
    expect(run.trace.at(-1)).toMatchObject({ type: 'limit', limit: 'token_budget', tokensUsed: 200 });
  });

  it('returns the last text at the token budget with onLimit partial', async () => {
    k.stub.script(text('A short answer.', { promptTokens: 300, completionTokens: 10 }));

    const run = await k.runAgent(REACT, { tokenBudget: 100, onLimit: 'partial' });

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output[0]!.answer).toBe('A short answer.');
    expect(run.output[0]!.agent).toMatchObject({ stoppedBy: 'token_budget' });
  });

  it('remembers the conversation of a session across runs', async () => {
    k.stub.script(text('Nice to meet you, Ada.'));
    const first = await k.runAgent(REACT, { sessionId: '{{ $json.chat }}', system: 'Be brief.' }, [{ chat: 'chat-7', prompt: 'My name is Ada.' }]);
    k.stub.script(text('Your name is Ada.'));
    const second = await k.runAgent(REACT, { sessionId: '{{ $json.chat }}', system: 'Be brief.' }, [{ chat: 'chat-7', prompt: 'What is my name?' }]);
    k.stub.script(text('I do not know your name.'));
    await k.runAgent(REACT, { sessionId: '{{ $json.chat }}' }, [{ chat: 'chat-8', prompt: 'What is my name?' }]);

    expect(first.status).toBe('succeeded');
    expect(second.output[0]!.agent).toMatchObject({ sessionId: 'chat-7' });
    expect(k.stub.requests[1]!.messages.map((message) => [message.role, message.content])).toEqual([
      ['system', 'Be brief.'],
      ['user', 'My name is Ada.'],
      ['assistant', 'Nice to meet you, Ada.'],
      ['user', 'What is my name?'],
    ]);
    expect(second.trace[0]).toMatchObject({ type: 'request', sessionId: 'chat-7', memoryMessages: 2 });
    expect(k.stub.requests[2]!.messages.map((message) => message.content)).toEqual(['What is my name?']);
  });

  it('keeps only memoryMessages of a session', async () => {
    for (const [index, answer] of ['one', 'two', 'three'].entries()) {
      k.stub.script(text(answer));
      await k.runAgent(REACT, { sessionId: 'short', memoryMessages: 2 }, [{ prompt: `question ${index + 1}` }]);
    }

    expect(k.stub.requests[2]!.messages.map((message) => message.content)).toEqual(['question 2', 'two', 'question 3']);
  });

  it('runs a published graph as a tool', async () => {
    const created = await k.api<{ id: string }>('POST', '/api/graphs', {
      name: 'Shipping quote',
      definition: { nodes: [{ id: 'quote', name: 'Quote', type: 'mify.data.code', typeVersion: 1, parameters: { mode: 'eachItem', code: 'return { weightKg: $json.weightKg, priceEur: $json.weightKg * 4 };' } }], edges: [] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const published = await k.api('POST', `/api/graphs/${created.body.id}/publish`, {});
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    k.stub.script(calls({ id: 'call_q', name: 'quote', arguments: { weightKg: 3 } }), text('Shipping costs 12 EUR.'));

    const run = await k.runAgent(REACT, { tools: [{ kind: 'graph', name: 'quote', description: 'Shipping price of a parcel', graphId: created.body.id, parameters: { type: 'object', properties: { weightKg: { type: 'number' } }, required: ['weightKg'] } }] });

    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const observation = k.stub.requests[1]!.messages.at(-1)!;
    expect(observation).toMatchObject({ role: 'tool', tool_call_id: 'call_q' });
    expect(JSON.parse(observation.content!)).toEqual({ weightKg: 3, priceEur: 12 });
    const childRuns = await k.api<{ items: Array<{ graphId: string; status: string; mode: string }> }>('GET', `/api/runs?graphId=${created.body.id}`);
    expect(childRuns.body.items).toEqual([expect.objectContaining({ status: 'succeeded', mode: 'extension' })]);
  });

  it('rejects a graph with an invalid tool name', async () => {
    const graph = { nodes: [{ id: 'agent', name: 'Agent', type: REACT, typeVersion: 1, parameters: { model: 'stub-model', tools: [{ kind: 'code', name: 'has space', source: 'return 1;' }] } }], edges: [] };

    const response = await k.api<{ detail: string; errors: Array<{ path: string }> }>('POST', '/api/runs', { graph, wait: true });

    expect(response.status).toBe(422);
    expect(response.body.errors[0]!.path).toBe('graph.nodes[0].parameters.tools[0].name');
  });

  it('fails on two tools with one name', async () => {
    const run = await k.runAgent(REACT, { tools: [adder, { ...adder, description: 'Adds again' }] });

    expect(run.status).toBe('failed');
    expect(run.error!.message).toContain("tools declares two tools named 'add'");
    expect(run.trace.map((entry) => entry.type)).toEqual(['request', 'error']);
    expect(k.stub.requests).toHaveLength(0);
  });

  it('answers each item of a batch on its own', async () => {
    k.stub.script(text('Answer A'), text('Answer B'));

    const run = await k.runAgent(REACT, {}, [{ question: 'A?' }, { question: 'B?' }]);

    expect(run.output.map((json) => json.answer)).toEqual(['Answer A', 'Answer B']);
    expect(run.trace.filter((entry) => entry.type === 'request').map((entry) => [entry.item, entry.content])).toEqual([[0, 'A?'], [1, 'B?']]);
  });
});
