import { WORKSPACE_HEADER, ApiError, parseProblem } from '$lib/api';
import type { RunEvent } from './run-state';

/** A parsed Server-Sent Events message. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Parses a text/event-stream in chunks as they arrive. It reads the fields
 * `id`, `event` and `data`, and joins several `data` lines with newlines. A
 * blank line ends a message, and lines starting with `:` are comments such as
 * heartbeats.
 */
export class SseParser {
  private buffer = '';
  private id: string | null = null;
  private event = '';
  private data: string[] = [];

  /** Feeds a chunk of text and returns the messages it completes. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];

    for (let end = this.lineEnd(); end !== -1; end = this.lineEnd()) {
      const line = this.buffer.slice(0, end);
      const skip = this.buffer[end] === '\r' && this.buffer[end + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(end + skip);

      if (line === '') {
        if (this.data.length > 0) messages.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;

      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id' && !value.includes('\0')) this.id = value;
      else if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return messages;
  }

  private lineEnd(): number {
    const newline = this.buffer.search(/[\r\n]/);
    // A lone \r at the end of the buffer may be the first half of \r\n.
    if (newline === this.buffer.length - 1 && this.buffer[newline] === '\r') return -1;
    return newline;
  }
}

export interface FollowRunOptions {
  workspace: string;
  onEvent: (event: RunEvent) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Reconnections after the stream broke before `run.finished`. */
  maxReconnects?: number;
}

/**
 * Follows the events of a run over `GET /api/runs/:id/events` until
 * `run.finished`. It reads the stream with fetch rather than EventSource
 * because the request must carry the workspace header. A broken stream is
 * resumed with Last-Event-ID, so no event is lost or repeated.
 *
 * @example
 * await followRunEvents(run.id, { workspace, onEvent: (event) => (states = applyRunEvent(states, event)) });
 */
export async function followRunEvents(runId: string, options: FollowRunOptions): Promise<void> {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxReconnects = options.maxReconnects ?? 3;
  let lastId = 0;

  for (let attempt = 0; attempt <= maxReconnects; attempt += 1) {
    const headers: Record<string, string> = { accept: 'text/event-stream', [WORKSPACE_HEADER]: options.workspace };
    if (lastId > 0) headers['last-event-id'] = String(lastId);

    const response = await fetchImpl(`/api/runs/${encodeURIComponent(runId)}/events`, { headers, credentials: 'same-origin', signal: options.signal });
    if (response.status === 204) return;
    if (!response.ok) throw new ApiError(await parseProblem(response));
    if (!response.body) throw new Error(`The event stream of run ${runId} has no body; the browser cannot read streamed responses.`);

    const parser = new SseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const message of parser.push(value)) {
        const event = toRunEvent(message);
        if (event === null) continue;
        lastId = event.id;
        options.onEvent(event);
        if (event.type === 'run.finished') {
          await reader.cancel();
          return;
        }
      }
    }
    if (options.signal?.aborted) return;
  }
  throw new Error(`The event stream of run ${runId} broke ${maxReconnects + 1} times before the run finished; open the run page to see its state.`);
}

/** Reads a run event from a message; a message without a numeric id or a JSON object as data is skipped with a warning. */
function toRunEvent(message: SseMessage): RunEvent | null {
  const id = Number(message.id);
  let data: unknown = null;
  try {
    data = JSON.parse(message.data);
  } catch {
    data = null;
  }
  if (!Number.isInteger(id) || typeof data !== 'object' || data === null) {
    console.warn(`Skipped a run event that is not an object with a numeric id: id ${String(message.id)}, event ${message.event}`);
    return null;
  }
  return { id, type: message.event, data: data as Record<string, unknown> };
}
