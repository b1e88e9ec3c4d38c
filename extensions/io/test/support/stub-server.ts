/**
 * An HTTP server on 127.0.0.1 with an ephemeral port. Each test sets `handle` to respond as
 * the API under test would, and reads `requests` to check what the node sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, such as `/items?page=2`. */
  url: string;
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** Time the request arrived, from performance.now(). */
  at: number;
}

export interface StubServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  handle: (request: RecordedRequest, response: http.ServerResponse) => void;
  close(): Promise<void>;
}

/** Sends a JSON response. */
export function sendJson(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function startStubServer(): Promise<StubServer> {
  const stub: StubServer = {
    url: '',
    port: 0,
    requests: [],
    handle: (_request, response) => sendJson(response, 500, { error: 'no handler configured for this test' }),
    close: async () => undefined,
  };
  const open = new Set<http.ServerResponse>();

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const parsed = new URL(request.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]));
      const recorded: RecordedRequest = { method: request.method ?? '', url: request.url ?? '/', path: parsed.pathname, query: parsed.searchParams, headers, body, text: body.toString('utf8'), at: performance.now() };
      stub.requests.push(recorded);
      open.add(response);
      response.on('close', () => open.delete(response));
      stub.handle(recorded, response);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.port = (server.address() as AddressInfo).port;
  stub.url = `http://127.0.0.1:${stub.port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}
