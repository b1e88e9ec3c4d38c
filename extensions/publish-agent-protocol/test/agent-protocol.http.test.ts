/** The sandboxed LangGraph Agent Protocol routes at /api/agent-protocol over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GREETING_INPUT_SCHEMA, greetingGraph, startPublishKernel, type PublishKernel } from '../../publish-rest/test/support/publish-kernel.js';

describe('workflow Agent Protocol', () => {
  let k: PublishKernel;

  beforeAll(async () => {
    k = await startPublishKernel({ extensions: ['publish-agent-protocol'] });
    await k.publish({ name: 'Greeting', slug: 'greeting', description: 'Greets a person', definition: greetingGraph(), settings: { endpoint: { inputSchema: GREETING_INPUT_SCHEMA } } });
    await k.publish({ name: 'Limited', slug: 'limited', definition: greetingGraph('limited'), settings: { endpoint: { rateLimit: { limit: 1, windowSeconds: 60 } } } });
    await k.publish({ name: 'Draft', slug: 'draft', definition: greetingGraph('draft'), publish: false });
  });

  afterAll(async () => {
    await k?.close();
  });

  it('lists published graphs as agents', async () => {
    const body = (await (await k.t.fetch('/api/agent-protocol/agents', { key: k.key })).json()) as { agents: Array<Record<string, any>> };

    expect(body.agents.map((agent) => agent.agent_id)).toEqual(['greeting', 'limited']);
    expect(body.agents[0]).toMatchObject({ name: 'Greeting', description: 'Greets a person', capabilities: { 'ap.io.streaming': true } });
  });

  it('describes the schemas of an agent', async () => {
    const body = (await (await k.t.fetch('/api/agent-protocol/agents/greeting/schemas', { key: k.key })).json()) as Record<string, unknown>;

    expect(body.input_schema).toEqual(GREETING_INPUT_SCHEMA);
    expect(body.output_schema).toMatchObject({ type: 'object' });
  });

  it('invokes an agent and returns its output', async () => {
    const response = await k.t.fetch('/api/agent-protocol/agents/greeting/invoke', { method: 'POST', key: k.key, json: { input: { name: 'Ada' } } });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ agent_id: 'greeting', status: 'success', output: { greeting: 'Hello, Ada!' } });
    expect(body.run_id).toMatch(/^run_/);
  });

  it('streams metadata, updates, values and end', async () => {
    const response = await k.t.fetch('/api/agent-protocol/agents/greeting/stream', { method: 'POST', key: k.key, json: { input: { name: 'Grace' } } });
    const text = await response.text();
    const events = [...text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);

    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(events[0]).toBe('metadata');
    expect(events.filter((event) => event === 'updates')).toHaveLength(3);
    expect(events.slice(-2)).toEqual(['values', 'end']);
    expect(text).toContain('data: {"greeting":"Hello, Grace!"}');
  });

  describe('bad input', () => {
    it('answers 404 for an unknown agent', async () => {
      const response = await k.t.fetch('/api/agent-protocol/agents/nobody/invoke', { method: 'POST', key: k.key, json: { input: {} } });

      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe('agent_not_found');
    });

    it('answers 404 for an unpublished graph', async () => {
      const response = await k.t.fetch('/api/agent-protocol/agents/draft', { key: k.key });

      expect(response.status).toBe(404);
    });

    it('answers 422 for input against the schema', async () => {
      const response = await k.t.fetch('/api/agent-protocol/agents/greeting/invoke', { method: 'POST', key: k.key, json: { input: { name: 5 } } });

      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('answers 422 without an input object', async () => {
      const response = await k.t.fetch('/api/agent-protocol/agents/greeting/invoke', { method: 'POST', key: k.key, json: { name: 'x' } });

      expect(response.status).toBe(422);
    });

    it('answers 429 past the rate limit', async () => {
      await k.t.fetch('/api/agent-protocol/agents/limited/invoke', { method: 'POST', key: k.key, json: { input: { name: 'a' } } });

      const response = await k.t.fetch('/api/agent-protocol/agents/limited/invoke', { method: 'POST', key: k.key, json: { input: { name: 'b' } } });

      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).not.toBeNull();
    });

    it('answers 401 for a wrong key', async () => {
      const response = await k.t.fetch('/api/agent-protocol/agents', { key: 'mify_not_a_key' });

      expect(response.status).toBe(401);
    });
  });
});
