/**
 * Server-sent events parsing, as the WHATWG HTML standard defines the
 * `text/event-stream` format: lines of `field: value`, events ended by a blank line,
 * comments starting with `:`, and several `data` lines joined with a newline.
 */

export interface ServerSentEvent {
  /** Value of the `event` field; `message` when the event has none. */
  event: string;
  data: string;
}

export interface ParsedEventStream {
  events: ServerSentEvent[];
  /** Text after the last complete event. Not empty when the stream was cut off inside an event. */
  unterminated: string;
}

/**
 * Parses a `text/event-stream` body piece by piece, as it arrives. Only events ended by a
 * blank line are returned, so an event cut off midway stays in `unterminated()`.
 *
 * @example
 * const parser = new EventStreamParser();
 * parser.push('data: {"a"'); // []
 * parser.push(':1}\n\n'); // [{ event: 'message', data: '{"a":1}' }]
 */
export class EventStreamParser {
  private pending = '';
  private started = false;
  private eventName = '';
  private dataLines: string[] = [];
  private eventLines: string[] = [];

  /** Adds text and returns the events it completed. */
  push(text: string): ServerSentEvent[] {
    let input = this.pending + text;
    if (!this.started && input.length > 0) {
      input = input.replace(/^\uFEFF/, '');
      this.started = true;
    }

    const events: ServerSentEvent[] = [];
    const lineBreak = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineBreak.exec(input); match !== null; match = lineBreak.exec(input)) {
      // A CR at the very end may be the first half of CRLF, so it waits for the next piece.
      if (match[0] === '\r' && match.index === input.length - 1) break;
      this.line(input.slice(start, match.index), events);
      start = match.index + match[0].length;
    }
    this.pending = input.slice(start);
    return events;
  }

  /** Text of the event that was open when the body ended, without comments; '' when the last event was complete. */
  unterminated(): string {
    const lines = this.pending === '' ? this.eventLines : [...this.eventLines, this.pending];
    return lines.filter((line) => !line.startsWith(':')).join('\n');
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      if (this.dataLines.length > 0) events.push({ event: this.eventName || 'message', data: this.dataLines.join('\n') });
      this.eventName = '';
      this.dataLines = [];
      this.eventLines = [];
      return;
    }
    this.eventLines.push(line);
    if (line.startsWith(':')) return;

    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);

    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.dataLines.push(value);
  }
}

/**
 * Parses a whole `text/event-stream` body. Only events ended by a blank line are
 * dispatched, so an event cut off midway is left in `unterminated`.
 *
 * @example
 * parseEventStream('event: ping\ndata: {}\n\n').events; // [{ event: 'ping', data: '{}' }]
 */
export function parseEventStream(body: string): ParsedEventStream {
  const parser = new EventStreamParser();
  const events = parser.push(body);
  // A body that ends with a lone CR ends its last line.
  if (body.endsWith('\r')) events.push(...parser.push('\n'));
  return { events, unterminated: parser.unterminated() };
}
