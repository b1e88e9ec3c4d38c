/**
 * Live streaming end to end: a graph run whose chat node streams from a stub vendor on
 * 127.0.0.1, watched by a client of `GET /api/runs/:id/events`. The stub withholds the rest
 * of its reply until the client has received the first `step.progress` event, so the test
 * fails unless deltas reach the client while the model is still "writing".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamParser } from '../src/sse.js';
import { startLlmKernel, type LlmTestKernel } from './support/kernel.js';
import { sse, startStubServer, type StubReply, type StubServer } from './support/stub-server.js';

interface RunEvent {
  id: number;
  event: string;
  data: Record<string, any>;
}

/** One vendor's stream format: the credential it needs and a reply made of the given text pieces. */
interface StreamFormat {
  name: string;
  provider: string;
  credentialType: string;
  model: string;
  /** Events of a streamed reply whose text deltas are `pieces`. */
  events(pieces: string[]): string[];
  /** Events before the first text delta, so the hold comes right after the first piece. */
  leadingEvents: number;
}

const PIECES = ['Once ', 'upon ', 'a time', '.'];

const FORMATS: StreamFormat[] = [
  {
    name: 'OpenAI-compatible',
    provider: 'openai',
    credentialType: 'mify.llm.openai-compatible',
    model: 'gpt-4.1-mini',
    leadingEvents: 0,
    events: (pieces) => [
      ...pieces.map((piece) => sse({ model: 'gpt-4.1-mini', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })),
      sse({ model: 'gpt-4.1-mini', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      sse({ model: 'gpt-4.1-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: 4 } }),
      sse('[DONE]'),
    ],
  },
  {
    name: 'Anthropic',
    provider: 'anthropic',
    credentialType: 'mify.llm.anthropic',
    model: 'claude-sonnet-4-20250514',
    leadingEvents: 2,
    events: (pieces) => [
      sse({ type: 'message_start', message: { model: 'claude-sonnet-4-20250514', usage: { input_tokens: 9, output_tokens: 1 } } }, 'message_start'),
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
      ...pieces.map((piece) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }, 'content_block_delta')),
      sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      sse({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } }, 'message_delta'),
      sse({ type: 'message_stop' }, 'message_stop'),
    ],
  },
  {
    name: 'Gemini',
    provider: 'gemini',
    credentialType: 'mify.llm.gemini',
    model: 'gemini-2.5-flash',
    leadingEvents: 0,
    events: (pieces) =>
      pieces.map((piece, index) =>
        sse({
          candidates: [{ content: { role: 'model', parts: [{ text: piece }] }, ...(index === pieces.length - 1 ? { finishReason: 'STOP' } : {}) }],
          ...(index === pieces.length - 1 ? { usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4 } } : {}),
          modelVersion: 'gemini-2.5-flash',
        }),
      ),
  },
];

/** Reads a run's event stream, calling `onEvent` for each event as it arrives, until `run.finished`. */
async function followEvents(k: LlmTestKernel, runId: string, onEvent: (event: RunEvent) => void): Promise<RunEvent[]> {
  const response = await k.t.fetch(`/api/runs/${runId}/events`, { cookie: k.cookie });
  expect(response.status).toBe(200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new EventStreamParser();
  const events: RunEvent[] = [];

  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    for (const raw of parser.push(value)) {
      const event = { id: events.length + 1, event: raw.event, data: JSON.parse(raw.data) as Record<string, any> };
      events.push(event);
      onEvent(event);
      if (event.event === 'run.finished') {
        await reader.cancel();
        return events;
      }
    }
  }
}

function chatGraph(provider: string, model: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'Streaming chat',
    nodes: [{ id: 'chat', type: 'mify.llm.chat', typeVersion: 1, name: 'Chat', parameters: { provider, model, stream: true, prompt: 'Tell a story.', ...extra }, position: { x: 0, y: 0 } }],
    edges: [],
  };
}

describe('chat streaming to run events', () => {
  let k: LlmTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startLlmKernel();
    await k.addCredential('openai', 'mify.llm.openai-compatible', { apiKey: 'sk-stream', baseUrl: `${stub.url}/v1` });
    await k.addCredential('anthropic', 'mify.llm.anthropic', { apiKey: 'sk-ant-stream', baseUrl: stub.url });
    await k.addCredential('gemini', 'mify.llm.gemini', { apiKey: 'gm-stream', baseUrl: stub.url });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  /**
   * Starts a run of `graph` with the stub reply from `reply`, and returns the run's events.
   * The reply's pause ends at the first `step.progress` event, or after 5 s without one.
   */
  async function streamRun(graph: Record<string, unknown>, reply: (release: Promise<void>) => StubReply) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    stub.reply = () => reply(released);
    // A stream that never reports progress is released late, so the test fails on its checks instead of hanging.
    let releasedBy: 'progress' | 'timer' | null = null;
    const fallback = setTimeout(() => {
      releasedBy ??= 'timer';
      release();
    }, 5_000);

    const started = await k.t.fetch('/api/runs', { method: 'POST', cookie: k.cookie, json: { graph, input: [{ json: { text: 'unused' } }] } });
    expect(started.status).toBe(201);
    const run = (await started.json()) as { id: string };

    const events = await followEvents(k, run.id, (event) => {
      if (event.event !== 'step.progress' || releasedBy !== null) return;
      releasedBy = 'progress';
      release();
    });
    clearTimeout(fallback);
    release();
    return { runId: run.id, events, releasedBy };
  }

  for (const format of FORMATS) {
    it(`streams ${format.name} deltas before step.succeeded`, async () => {
      const { runId, events, releasedBy } = await streamRun(chatGraph(format.provider, format.model), (until) => ({
        events: format.events(PIECES),
        hold: { after: format.leadingEvents + 1, until },
      }));

      const types = events.map((event) => event.event);
      const progress = events.filter((event) => event.event === 'step.progress');
      const succeeded = types.indexOf('step.succeeded');

      expect(types[0]).toBe('run.started');
      expect(types.at(-1)).toBe('run.finished');
      expect(events.at(-1)!.data.status).toBe('succeeded');
      expect(releasedBy).toBe('progress');
      expect(progress[0]!.data.delta).toBe(PIECES[0]);
      expect(progress.map((event) => event.data.delta).join('')).toBe(PIECES.join(''));
      expect(progress.every((event) => events.indexOf(event) < succeeded)).toBe(true);
      expect(progress.every((event) => event.data.nodeId === 'chat' && event.data.stepId === events[succeeded]!.data.stepId && event.data.runId === runId)).toBe(true);

      const record = (await (await k.t.fetch(`/api/runs/${runId}`, { cookie: k.cookie })).json()) as { output: { items: Array<{ json: Record<string, any> }> }; steps: Array<{ output: unknown }> };
      expect(record.output.items[0]!.json.response).toBe(PIECES.join(''));
      expect(JSON.stringify(record.steps)).not.toContain('step.progress');
    });
  }

  it('numbers progress events in order with the others', async () => {
    const { events } = await streamRun(chatGraph('openai', 'gpt-4.1-mini'), (until) => ({ events: FORMATS[0]!.events(PIECES), hold: { after: 1, until } }));

    const response = await k.t.fetch(`/api/runs/${events[0]!.data.runId}/events`, { cookie: k.cookie });
    const stored = new EventStreamParser().push(await response.text());

    expect(stored.map((event) => event.event)).toEqual(events.map((event) => event.event));
  });

  it('fails the step on a cut-off stream', async () => {
    const { events } = await streamRun(chatGraph('openai', 'gpt-4.1-mini'), (until) => ({ events: FORMATS[0]!.events(PIECES).slice(0, 3), hold: { after: 1, until } }));

    const types = events.map((event) => event.event);

    expect(types).toContain('step.progress');
    expect(types.indexOf('step.progress')).toBeLessThan(types.indexOf('step.failed'));
    expect(events.find((event) => event.event === 'step.failed')!.data.error.message).toContain('cut off its stream');
  });

  it('records no progress without stream', async () => {
    stub.reply = () => ({ body: { model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'Whole reply.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } } });
    const started = await k.t.fetch('/api/runs', { method: 'POST', cookie: k.cookie, json: { graph: chatGraph('openai', 'gpt-4.1-mini', { stream: false }), wait: true } });
    const run = (await started.json()) as { id: string; status: string };

    const events = await followEvents(k, run.id, () => {});

    expect(run.status).toBe('succeeded');
    expect(events.map((event) => event.event)).not.toContain('step.progress');
  });

  describe('through the gateway', () => {
    function askerGraph(stream: boolean) {
      const request = { provider: 'openai', model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Tell a story.' }], stream };
      return {
        name: 'Gateway chat',
        nodes: [{ id: 'asker', type: 'acme.asker.echo', typeVersion: 1, name: 'Asker', parameters: {}, position: { x: 0, y: 0 } }],
        edges: [],
        input: [{ json: { method: 'llm.chat', request } }],
      };
    }

    async function runAsker(stream: boolean) {
      const { input, ...graph } = askerGraph(stream);
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      stub.reply = () => ({ events: FORMATS[0]!.events(PIECES), hold: { after: 1, until: released } });
      const fallback = setTimeout(release, 5_000);
      const started = await k.t.fetch('/api/runs', { method: 'POST', cookie: k.cookie, json: { graph, input } });
      const run = (await started.json()) as { id: string };
      const events = await followEvents(k, run.id, (event) => {
        if (event.event === 'step.progress') release();
      });
      clearTimeout(fallback);
      release();
      return events;
    }

    it('forwards provider deltas to the calling step', async () => {
      const events = await runAsker(true);

      const progress = events.filter((event) => event.event === 'step.progress');

      expect(progress.map((event) => event.data.delta).join('')).toBe(PIECES.join(''));
      expect(progress[0]!.data.nodeId).toBe('asker');
      expect(events.at(-1)!.data.status).toBe('succeeded');
    });
  });
});
