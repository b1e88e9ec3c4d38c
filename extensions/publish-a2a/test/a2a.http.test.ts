/**
 * The sandboxed A2A v1.0 agent at /api/a2a-server, driven by the @a2a-js/sdk client over
 * JSON-RPC on 127.0.0.1, and its REST-style task routes.
 */
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GREETING_INPUT_SCHEMA, greetingGraph, startPublishKernel, type PublishKernel } from '../../publish-rest/test/support/publish-kernel.js';

function userMessage(skillId: string, data: Record<string, unknown>) {
  return { messageId: crypto.randomUUID(), role: 1, parts: [{ content: { $case: 'data' as const, value: data }, filename: '', mediaType: 'application/json', metadata: undefined }], metadata: { skillId }, contextId: '', taskId: '', extensions: [], referenceTaskIds: [] };
}

describe('workflow A2A agent', () => {
  let k: PublishKernel;
  let client: Client;

  beforeAll(async () => {
    k = await startPublishKernel({ extensions: ['publish-a2a'] });
    await k.publish({ name: 'Greeting', slug: 'greeting', description: 'Greets a person', definition: greetingGraph(), settings: { endpoint: { inputSchema: GREETING_INPUT_SCHEMA } } });
    await k.publish({ name: 'Limited', slug: 'limited', definition: greetingGraph('limited'), settings: { endpoint: { rateLimit: { limit: 1, windowSeconds: 60 } } } });
    const fetchImpl: typeof fetch = (input, init = {}) => fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${k.key}` } });
    const factory = new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) });
    client = await factory.createFromUrl(`${k.t.url}/api/a2a-server/`);
  });

  afterAll(async () => {
    await k?.close();
  });

  it('serves an agent card with one skill per published graph', async () => {
    const card = (await (await k.t.fetch('/api/a2a-server/.well-known/agent-card', { key: k.key })).json()) as Record<string, any>;

    expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(['greeting', 'limited']);
    expect(card.supportedInterfaces).toEqual([{ url: `${k.t.url}/api/a2a-server/rpc`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }]);
    expect(card.capabilities.streaming).toBe(true);
  });

  it('sends a message and gets a completed task', async () => {
    const task = (await client.sendMessage({ message: userMessage('greeting', { name: 'Ada' }) } as never)) as any;

    expect(task.status.state).toBe(3);
    expect(task.artifacts[0].parts[0].content).toEqual({ $case: 'data', value: { greeting: 'Hello, Ada!' } });
    expect(task.id).toMatch(/^run_/);
  });

  it('reads a task back with GetTask', async () => {
    const sent = (await client.sendMessage({ message: userMessage('greeting', { name: 'Grace' }) } as never)) as any;

    const task = (await client.getTask({ id: sent.id, tenant: '' } as never)) as any;

    expect(task.id).toBe(sent.id);
    expect(task.contextId).toBe(sent.contextId);
    expect(task.status.state).toBe(3);
    expect(task.artifacts[0].parts[0].content.value).toEqual({ greeting: 'Hello, Grace!' });
  });

  it('streams status and artifact updates', async () => {
    const events: any[] = [];
    for await (const event of client.sendMessageStream({ message: userMessage('greeting', { name: 'Alan' }) } as never)) events.push(event);

    const kinds = events.map((event) => event.payload?.$case ?? (event.kind as string));
    expect(kinds[0]).toBe('task');
    expect(kinds).toContain('artifactUpdate');
    const last = events.at(-1)!.payload.value;
    expect(last.status.state).toBe(3);
    const artifact = events.find((event) => event.payload.$case === 'artifactUpdate')!.payload.value.artifact;
    expect(artifact.parts[0].content.value).toEqual({ greeting: 'Hello, Alan!' });
  });

  describe('bad input', () => {
    const rpc = (method: string, params: unknown) => k.t.fetch('/api/a2a-server/rpc', { method: 'POST', key: k.key, json: { jsonrpc: '2.0', id: 7, method, params } });
    const message = (skillId: string, data: unknown) => ({ message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ data }], metadata: { skillId } } });

    it('rejects an unknown skill', async () => {
      const body = (await (await rpc('SendMessage', message('missing', { name: 'x' }))).json()) as { id: number; error: { code: number; message: string } };

      expect(body.id).toBe(7);
      expect(body.error.code).toBe(-32602);
      expect(body.error.message).toContain("'missing'");
    });

    it('rejects input that violates the schema', async () => {
      const body = (await (await rpc('SendMessage', message('greeting', { name: 3 }))).json()) as { error: { code: number; data: { errors: Array<{ path: string }> } } };

      expect(body.error.code).toBe(-32602);
      expect(body.error.data.errors[0]!.path).toBe('$.name');
    });

    it('rejects a message without a skill', async () => {
      const body = (await (await rpc('SendMessage', { message: { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'hi' }] } })).json()) as { error: { code: number; message: string } };

      expect(body.error.code).toBe(-32602);
      expect(body.error.message).toContain('skillId');
    });

    it('rejects a call past the rate limit', async () => {
      await rpc('SendMessage', message('limited', { name: 'a' }));

      const body = (await (await rpc('SendMessage', message('limited', { name: 'b' }))).json()) as { error: { code: number; data: { retryAfterSeconds: number } } };

      expect(body.error.code).toBe(-32029);
      expect(body.error.data.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    });

    it('reports an unknown task', async () => {
      const body = (await (await rpc('GetTask', { id: 'run_missing' })).json()) as { error: { code: number } };

      expect(body.error.code).toBe(-32001);
    });

    it('reports an unknown method', async () => {
      const body = (await (await rpc('tasks/resubscribe', {})).json()) as { error: { code: number } };

      expect(body.error.code).toBe(-32601);
    });

    it('refuses to cancel a task', async () => {
      const sent = (await (await rpc('SendMessage', message('greeting', { name: 'c' }))).json()) as { result: { task: { id: string } } };

      const body = (await (await rpc('CancelTask', { id: sent.result.task.id })).json()) as { error: { code: number } };

      expect(body.error.code).toBe(-32002);
    });
  });

  describe('REST-style routes', () => {
    const send = { message: { messageId: 'm2', role: 'ROLE_USER', parts: [{ data: { name: 'Edsger' } }], metadata: { skillId: 'greeting' } } };

    it('sends a task and reads it by id', async () => {
      const sent = (await (await k.t.fetch('/api/a2a-server/tasks/send', { method: 'POST', key: k.key, json: send })).json()) as { id: string; status: { state: string } };
      const read = (await (await k.t.fetch(`/api/a2a-server/tasks/${sent.id}`, { key: k.key })).json()) as { id: string; artifacts: Array<{ parts: Array<{ data: unknown }> }> };

      expect(sent.status.state).toBe('TASK_STATE_COMPLETED');
      expect(read.id).toBe(sent.id);
      expect(read.artifacts[0]!.parts[0]!.data).toEqual({ greeting: 'Hello, Edsger!' });
    });

    it('streams a task as Server-Sent Events', async () => {
      const response = await k.t.fetch('/api/a2a-server/tasks/stream', { method: 'POST', key: k.key, json: send });
      const text = await response.text();

      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(text).toContain('"statusUpdate"');
      expect(text).toContain('TASK_STATE_COMPLETED');
    });

    it('answers 404 problem for an unknown task', async () => {
      const response = await k.t.fetch('/api/a2a-server/tasks/run_unknown', { key: k.key });

      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('answers 422 problem for invalid input', async () => {
      const response = await k.t.fetch('/api/a2a-server/tasks/send', { method: 'POST', key: k.key, json: { message: { ...send.message, parts: [{ data: { name: '' } }] } } });

      expect(response.status).toBe(422);
    });
  });
});
