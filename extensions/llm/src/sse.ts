/**
 * Server-sent events parsing, as the WHATWG HTML standard defines the
 * `text/event-stream` format: lines of `field: value`, events ended by a blank line,
 * comments starting with `:`, and several `data` lines joined with a newline.
 *
 * NOTE: `http.fetch` returns a body only once the response has ended, so streams are parsed
 * whole and no partial tokens reach the run's events while the model writes.
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
 * Parses a whole `text/event-stream` body. Only events ended by a blank line are
 * dispatched, so an event cut off midway is left in `unterminated`.
 *
 * @example
 * parseEventStream('event: ping\ndata: {}\n\n').events; // [{ event: 'ping', data: '{}' }]
 */
export function parseEventStream(body: string): ParsedEventStream {
  const events: ServerSentEvent[] = [];
  const lines = body.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  // A body that ends with a line break splits into a trailing empty string, which is not a line.
  const endsWithBreak = /(?:\r\n|\r|\n)$/.test(body);
  if (endsWithBreak) lines.pop();

  let eventName = '';
  let dataLines: string[] = [];
  let pendingLines: string[] = [];

  for (const line of lines) {
    if (line === '') {
      if (dataLines.length > 0) events.push({ event: eventName || 'message', data: dataLines.join('\n') });
      eventName = '';
      dataLines = [];
      pendingLines = [];
      continue;
    }
    pendingLines.push(line);
    if (line.startsWith(':')) continue;

    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);

    if (field === 'event') eventName = value;
    else if (field === 'data') dataLines.push(value);
  }

  const unterminated = pendingLines.filter((line) => !line.startsWith(':')).join('\n');
  return { events, unterminated };
}
