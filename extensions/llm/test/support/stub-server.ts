/**
 * A vendor stand-in on 127.0.0.1 with an ephemeral port. Each test sets `reply` to respond
 * as the vendor would, and reads `requests` to check what the adapter sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, such as `/v1/messages`. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: any;
  /** The body's exact bytes, for multipart uploads. */
  bytes: Buffer;
}

export interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Server-sent events, written one by one; `cutOff` ends the response without closing the last event. */
  events?: string[];
  /** With `events`: the first `after` events are sent, then the server waits for `until` before it sends the rest. */
  hold?: { after: number; until: Promise<void> };
  /** A binary body sent as it is, such as audio. */
  raw?: { contentType: string; bytes: Buffer };
}

export interface StubServer {
  url: string;
  requests: RecordedRequest[];
  reply: (request: RecordedRequest) => StubReply;
  close(): Promise<void>;
}

/** Formats one server-sent event: an optional `event:` line, a `data:` line and the blank line that ends it. */
export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export async function startStubServer(): Promise<StubServer> {
  const stub: StubServer = {
    url: '',
    requests: [],
    reply: () => ({ status: 500, body: { error: { message: 'no reply configured for this test' } } }),
    close: async () => undefined,
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text.
      }
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]));
      const recorded: RecordedRequest = { method: request.method ?? '', path: request.url ?? '', headers, body, bytes: Buffer.concat(chunks) };
      stub.requests.push(recorded);

      const reply = stub.reply(recorded);
      if (reply.events) {
        const events = reply.events;
        response.writeHead(reply.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
        const hold = reply.hold;
        const first = hold ? events.slice(0, hold.after) : events;
        for (const event of first) response.write(event);
        if (!hold) {
          response.end();
          return;
        }
        void hold.until.then(() => {
          for (const event of events.slice(hold.after)) response.write(event);
          response.end();
        });
        return;
      }
      if (reply.raw) {
        response.writeHead(reply.status ?? 200, { 'content-type': reply.raw.contentType, ...reply.headers });
        response.end(reply.raw.bytes);
        return;
      }
      const isText = typeof reply.body === 'string';
      response.writeHead(reply.status ?? 200, { 'content-type': isText ? 'text/plain' : 'application/json', ...reply.headers });
      response.end(isText ? (reply.body as string) : JSON.stringify(reply.body ?? {}));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return stub;
}
