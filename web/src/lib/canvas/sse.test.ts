import { describe, expect, it } from 'vitest';
import { followRunEvents, SseParser } from './sse';
import type { RunEvent } from './run-state';

describe('SseParser', () => {
  it('parses messages split across chunks', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\nevent: step.started\nda')).toEqual([]);
    expect(parser.push('ta: {"nodeId":"a"}\n\n')).toEqual([{ id: '1', event: 'step.started', data: '{"nodeId":"a"}' }]);
  });

  it('skips comments and joins data lines', () => {
    const parser = new SseParser();
    expect(parser.push(': heartbeat\n\ndata: a\ndata: b\n\n')).toEqual([{ id: null, event: 'message', data: 'a\nb' }]);
  });

  it('keeps the last id for later messages and ignores an id with NUL', () => {
    const parser = new SseParser();
    parser.push('id: 7\ndata: a\n\n');

    expect(parser.push('id: 8\0\ndata: b\n\n')).toEqual([{ id: '7', event: 'message', data: 'b' }]);
  });

  it('handles CRLF line ends split between chunks', () => {
    const parser = new SseParser();
    expect(parser.push('id: 4\r')).toEqual([]);
    expect(parser.push('\nevent: x\r\ndata: 1\r\n\r\n')).toEqual([{ id: '4', event: 'x', data: '1' }]);
  });
});

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

describe('followRunEvents', () => {
  it('delivers events until run.finished, with the workspace header', async () => {
    const requests: Array<{ url: string; headers: Record<string, string> }> = [];
    const fetchStub = (async (url: string, init: RequestInit) => {
      requests.push({ url, headers: init.headers as Record<string, string> });
      return new Response(streamOf('id: 1\nevent: run.started\ndata: {"runId":"r"}\n\nid: 2\nevent: step.succeeded\ndata: {"nodeId":"a"}\n\nid: 3\nevent: run.finished\ndata: {"status":"succeeded"}\n\n'), { status: 200 });
    }) as unknown as typeof fetch;
    const events: RunEvent[] = [];

    await followRunEvents('run_1', { workspace: 'ws_1', fetch: fetchStub, onEvent: (event) => events.push(event) });

    expect(events.map((event) => event.type)).toEqual(['run.started', 'step.succeeded', 'run.finished']);
    expect(requests[0]!.url).toBe('/api/runs/run_1/events');
    expect(requests[0]!.headers['X-Mify-Workspace']).toBe('ws_1');
  });

  it('resumes after the last event id', async () => {
    const lastIds: Array<string | undefined> = [];
    let call = 0;
    const fetchStub = (async (_url: string, init: RequestInit) => {
      lastIds.push((init.headers as Record<string, string>)['last-event-id']);
      call += 1;
      const body = call === 1 ? 'id: 1\nevent: step.started\ndata: {"nodeId":"a"}\n\n' : 'id: 2\nevent: run.finished\ndata: {}\n\n';
      return new Response(streamOf(body), { status: 200 });
    }) as unknown as typeof fetch;
    const events: RunEvent[] = [];

    await followRunEvents('run_1', { workspace: 'ws', fetch: fetchStub, onEvent: (event) => events.push(event) });

    expect(lastIds).toEqual([undefined, '1']);
    expect(events.map((event) => event.id)).toEqual([1, 2]);
  });

  it('stops on 204 for a finished run', async () => {
    const fetchStub = (async () => new Response(null, { status: 204 })) as unknown as typeof fetch;
    const events: RunEvent[] = [];
    await followRunEvents('run_1', { workspace: 'ws', fetch: fetchStub, onEvent: (event) => events.push(event) });
    expect(events).toEqual([]);
  });

  it('reports a problem response', async () => {
    const problem = { type: 'about:blank', title: 'Not found', status: 404, code: 'not_found', detail: "Run 'run_1' was not found." };
    const fetchStub = (async () => new Response(JSON.stringify(problem), { status: 404, headers: { 'content-type': 'application/problem+json' } })) as unknown as typeof fetch;
    await expect(followRunEvents('run_1', { workspace: 'ws', fetch: fetchStub, onEvent: () => undefined })).rejects.toThrow("Run 'run_1' was not found.");
  });

  it('gives up after repeated breaks', async () => {
    const fetchStub = (async () => new Response(streamOf(''), { status: 200 })) as unknown as typeof fetch;
    await expect(followRunEvents('run_1', { workspace: 'ws', fetch: fetchStub, maxReconnects: 1, onEvent: () => undefined })).rejects.toThrow('The event stream of run run_1 broke 2 times before the run finished');
  });
});
