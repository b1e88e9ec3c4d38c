import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostBridge } from './bridge.js';
import type { HttpFetchResult } from './http-fetch.js';
import { MAX_OPEN_HTTP_STREAMS, type HttpStreamChunk } from './http-stream.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';

/** Response size limit of these tests, in bytes. */
const MAX_RESPONSE_BYTES = 32 * 1024;

// Streaming does not depend on the database, so these tests run on PGlite only.
describe('http.fetch with stream and http.read', () => {
  let host: TestHostServices;
  let server: http.Server;
  let base: string;
  /** Resolves the held /gated response so it sends its second half. */
  let releaseGate: () => void = () => {};

  function bridge(timeoutMs = 5_000) {
    return createHostBridge(
      { extensionId: 'acme.streamer', permissions: ['http:fetch:127.0.0.1'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent' },
      { ...host.services, config: { allowPrivateNetwork: true, httpMaxResponseBytes: MAX_RESPONSE_BYTES, httpTimeoutMs: timeoutMs } },
    );
  }

  /** Reads a stream to its end and returns every chunk. */
  async function readAll(call: (method: string, args: unknown[]) => Promise<unknown>, streamId: string): Promise<HttpStreamChunk[]> {
    const chunks: HttpStreamChunk[] = [];
    for (;;) {
      const chunk = (await call('http.read', [streamId])) as HttpStreamChunk;
      chunks.push(chunk);
      if (chunk.done) return chunks;
    }
  }

  beforeAll(async () => {
    host = await createTestHostServices('pglite');
    server = http.createServer((request, response) => {
      if (request.url === '/gated') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        new Promise<void>((resolve) => {
          releaseGate = resolve;
        }).then(() => response.end('data: second\n\n'));
        return;
      }
      if (request.url === '/utf8') {
        // "é" is two bytes in UTF-8; the split puts one byte in each chunk.
        const bytes = Buffer.from('café', 'utf8');
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.write(bytes.subarray(0, 4));
        setTimeout(() => response.end(bytes.subarray(4)), 50);
        return;
      }
      if (request.url === '/binary') {
        response.writeHead(200, { 'content-type': 'audio/mpeg' });
        response.end(Buffer.from([0, 1, 2, 255]));
        return;
      }
      if (request.url === '/gzip') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        response.end(zlib.gzipSync('compressed text'));
        return;
      }
      if (request.url === '/huge') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        for (let index = 0; index < 8; index++) response.write('x'.repeat(8 * 1024));
        response.end();
        return;
      }
      if (request.url === '/stall') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('partial');
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"missing"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await host.close();
  });

  it('delivers a chunk before the response ends', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/gated`, { stream: true }])) as HttpFetchResult;

    const first = (await call('http.read', [response.streamId])) as HttpStreamChunk;
    releaseGate();
    const rest = await readAll(call, response.streamId!);

    expect(response.status).toBe(200);
    expect(response.body).toBe('');
    expect(first).toEqual({ text: 'data: first\n\n', done: false });
    expect(rest.map((chunk) => chunk.text).join('')).toBe('data: second\n\n');
    expect(rest.at(-1)!.done).toBe(true);
  });

  it('decodes a character split across chunks', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/utf8`, { stream: true }])) as HttpFetchResult;

    const chunks = await readAll(call, response.streamId!);

    expect(chunks.map((chunk) => chunk.text).join('')).toBe('café');
  });

  it('returns binary chunks as base64', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/binary`, { stream: true }])) as HttpFetchResult;

    const chunks = await readAll(call, response.streamId!);

    expect(Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.bodyBase64 ?? '', 'base64')))).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('decompresses a streamed gzip body', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/gzip`, { stream: true }])) as HttpFetchResult;

    const chunks = await readAll(call, response.streamId!);

    expect(chunks.map((chunk) => chunk.text).join('')).toBe('compressed text');
    expect(response.headers['content-encoding']).toBeUndefined();
  });

  it('streams error statuses too', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/missing`, { stream: true }])) as HttpFetchResult;

    const chunks = await readAll(call, response.streamId!);

    expect(response.status).toBe(404);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe('{"error":"missing"}');
  });

  it('rejects a stream past the size limit', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/huge`, { stream: true }])) as HttpFetchResult;

    const error = await rejection(readAll(call, response.streamId!));

    expect(error.code).toBe('response_too_large');
    expect(error.message).toContain(`${MAX_RESPONSE_BYTES} bytes`);
  });

  it('times out a stalled stream', async () => {
    const { call } = bridge(300);
    const response = (await call('http.fetch', [`${base}/stall`, { stream: true }])) as HttpFetchResult;

    const error = await rejection(readAll(call, response.streamId!));

    expect(error.code).toBe('timeout');
    expect(error.message).toContain('timed out after 300 ms');
  });

  it('rejects an unknown or finished stream id', async () => {
    const { call } = bridge();
    const response = (await call('http.fetch', [`${base}/binary`, { stream: true }])) as HttpFetchResult;
    await readAll(call, response.streamId!);

    const finished = await rejection(call('http.read', [response.streamId]));
    const unknown = await rejection(call('http.read', ['stream_99']));

    expect(finished.code).toBe('not_found');
    expect(unknown.message).toContain("there is no open stream 'stream_99'");
  });

  it('keeps streams to the bridge that opened them', async () => {
    const opener = bridge();
    const response = (await opener.call('http.fetch', [`${base}/stall`, { stream: true }])) as HttpFetchResult;

    const error = await rejection(bridge().call('http.read', [response.streamId]));
    opener.dispose();

    expect(error.code).toBe('not_found');
  });

  it('limits the streams open at once', async () => {
    const { call, dispose } = bridge();
    for (let index = 0; index < MAX_OPEN_HTTP_STREAMS; index++) await call('http.fetch', [`${base}/stall`, { stream: true }]);

    const error = await rejection(call('http.fetch', [`${base}/stall`, { stream: true }]));
    dispose();

    expect(error.code).toBe('rate_limited');
    expect(error.message).toContain(`already has ${MAX_OPEN_HTTP_STREAMS} streamed responses open`);
  });

  it('closes open streams on dispose', async () => {
    const { call, dispose } = bridge();
    const response = (await call('http.fetch', [`${base}/stall`, { stream: true }])) as HttpFetchResult;

    dispose();
    const error = await rejection(call('http.read', [response.streamId]));

    expect(error.code).toBe('not_found');
  });
});
