import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('reads events split across chunks', () => {
    const parser = new SseParser();

    const first = parser.push('id: 1\nevent: step.started\ndata: {"node');
    const second = parser.push('Id":"a"}\n\nid: 2\nevent: run.finished\ndata: {}\n\n');

    expect(first).toEqual([]);
    expect(second).toEqual([
      { id: '1', event: 'step.started', data: '{"nodeId":"a"}' },
      { id: '2', event: 'run.finished', data: '{}' },
    ]);
  });

  it('skips comments and joins data lines', () => {
    const parser = new SseParser();

    const events = parser.push(': heartbeat\n\ndata: line one\ndata: line two\n\n');

    expect(events).toEqual([{ id: null, event: 'message', data: 'line one\nline two' }]);
  });

  it('accepts CRLF line ends', () => {
    const parser = new SseParser();

    expect(parser.push('event: run.paused\r\ndata: {}\r\n\r\n')).toEqual([{ id: null, event: 'run.paused', data: '{}' }]);
  });

  it('keeps the last id for later events', () => {
    const parser = new SseParser();
    parser.push('id: 7\ndata: a\n\n');

    expect(parser.push('data: b\n\n')).toEqual([{ id: '7', event: 'message', data: 'b' }]);
  });
});
