// Server-Sent Events over fetch. EventSource cannot send the X-Mify-Workspace
// header that workspace routes need, so the studio reads the stream itself.

import { ApiError, parseProblem, WORKSPACE_HEADER } from '$lib/api';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Splits a Server-Sent Events stream into events, also across chunk
 * boundaries. It follows the WHATWG event stream format: the fields are
 * `event`, `data` (lines joined with newlines) and `id`, and comment lines
 * start with a colon.
 */
export class SseParser {
  private buffer = '';
  private id: string | null = null;
  private event = '';
  private data: string[] = [];

  /** Feeds a chunk of text and returns the events it completes. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let newline = this.buffer.search(/\r\n|\r|\n/);
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      const event = this.line(line);
      if (event) events.push(event);
      newline = this.buffer.search(/\r\n|\r|\n/);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const event = { id: this.id, event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return null;

    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }
}

/**
 * Follows a run's event stream (`GET /api/runs/:id/events`) until it ends or
 * `signal` aborts, calling `onevent` for each event. Resolves when the stream
 * ends (the run has finished) and rejects with an `ApiError` when the kernel
 * refuses it.
 */
export async function followRunEvents(runId: string, workspace: string, onevent: (event: SseEvent) => void, signal: AbortSignal, lastEventId?: string): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream', [WORKSPACE_HEADER]: workspace };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, { headers, credentials: 'same-origin', signal });
  if (response.status === 204) return;
  if (!response.ok) throw new ApiError(await parseProblem(response));
  if (!response.body) return;

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const event of parser.push(value)) onevent(event);
    }
  } finally {
    reader.releaseLock();
  }
}
