import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the stub received it. */
export interface Received { method: string; path: string; headers: http.IncomingHttpHeaders; body: unknown }

/** The status and JSON body the stub returns for one request. */
export interface Reply { status: number; body: unknown }

/**
 * Starts an HTTP server on 127.0.0.1 that records each request and responds with `reply`.
 * Tests pass a `reply` that follows the platform's protocol for the case under test.
 */
export async function startPlatformStub(reply: (request: Received) => Reply) {
  const received: Received[] = [];
  const state = { reply };
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Kept as text, so the test can check what was sent.
      }
      const entry: Received = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      const reply = state.reply(entry);
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Replaces the reply function for the requests that follow. */
    respondWith(next: (request: Received) => Reply) {
      state.reply = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
