import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestDatabase } from '../../test-support/databases.js';
import { createHostBridge } from './bridge.js';
import type { HttpFetchResult } from './http-fetch.js';
import { defaultHttpTransport, type ConnectTarget, type ResolvedAddress } from './http-transport.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { HostApiConfig, HostCallContext, HostServices } from './types.js';

/** Largest response the tests allow, in bytes; the server sends more to check the cap. */
const MAX_RESPONSE_BYTES = 64 * 1024;

// HTTP behaviour does not depend on the database, so these tests run on PGlite only, which stores the audit rows.
describe('http.fetch', () => {
  let host: TestHostServices;
  let database: TestDatabase;
  let services: HostServices;
  let server: http.Server;
  let base: string;
  let port: number;
  /** Every request the local server received, by path. */
  const received: Array<{ path: string; method: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  /** Responses that /slow leaves open, destroyed after each test. */
  const openResponses: http.ServerResponse[] = [];

  const connect = vi.fn((target: ConnectTarget) => defaultHttpTransport.connect(target));
  const lookup = vi.fn((hostname: string): Promise<ResolvedAddress[]> => {
    // Names ending in .test resolve to the local server. public.test resolves to a public address,
    // which its test steers to the local server. Other names go to the system resolver.
    if (hostname === 'public.test') return Promise.resolve([{ address: '93.184.215.14', family: 4 }]);
    if (hostname.endsWith('.test')) return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    if (hostname === 'mixed.example') return Promise.resolve([{ address: '8.8.8.8', family: 4 }, { address: '10.0.0.1', family: 4 }]);
    return defaultHttpTransport.lookup(hostname);
  });

  function bridge(options: { permissions?: string[]; config?: Partial<HostApiConfig>; context?: Partial<HostCallContext> } = {}) {
    return createHostBridge(
      { extensionId: 'acme.fetcher', permissions: options.permissions ?? ['http:fetch:*'], workspaceId: 'ws_a', collections: [], dataDir: '/nonexistent', ...options.context },
      { ...services, config: { allowPrivateNetwork: true, httpMaxResponseBytes: MAX_RESPONSE_BYTES, httpTimeoutMs: 5_000, ...options.config } },
    );
  }

  function fetchWith(url: string, request: Record<string, unknown> = {}, options: Parameters<typeof bridge>[0] = {}) {
    return bridge(options).call('http.fetch', [url, request]) as Promise<HttpFetchResult>;
  }

  beforeAll(async () => {
    host = await createTestHostServices('pglite', { httpTransport: { connect, lookup } });
    ({ database, services } = host);

    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        received.push({ path: url.pathname, method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });

        switch (url.pathname) {
          case '/hello':
            response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-test': 'yes' }).end('hello');
            return;
          case '/echo':
            response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }));
            return;
          case '/binary':
            response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 159, 146, 150]));
            return;
          case '/gzip':
            response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(zlib.gzipSync('compressed hello'));
            return;
          case '/gzip-bomb':
            response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(zlib.gzipSync(Buffer.alloc(MAX_RESPONSE_BYTES * 16)));
            return;
          case '/big':
            response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(MAX_RESPONSE_BYTES * 4) }).end(Buffer.alloc(MAX_RESPONSE_BYTES * 4, 'a'));
            return;
          case '/big-chunked':
            response.writeHead(200, { 'content-type': 'text/plain' });
            for (let chunk = 0; chunk < 8; chunk += 1) response.write(Buffer.alloc(MAX_RESPONSE_BYTES / 2, 'b'));
            response.end();
            return;
          case '/slow':
            openResponses.push(response);
            return;
          case '/redirect':
            response.writeHead(302, { location: url.searchParams.get('to') ?? '/hello' }).end();
            return;
          case '/see-other':
            response.writeHead(303, { location: '/echo' }).end();
            return;
          case '/loop':
            response.writeHead(302, { location: '/loop' }).end();
            return;
          default:
            response.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterEach(() => {
    for (const response of openResponses.splice(0)) response.destroy();
    connect.mockClear();
    lookup.mockClear();
    received.length = 0;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await host?.close();
  });

  describe('address guard', () => {
    it.each([
      ['http://127.0.0.1/', 'a loopback address'],
      ['http://169.254.169.254/latest/meta-data', 'a cloud metadata service address'],
      ['http://10.0.0.1/', 'a private address'],
      ['http://[::1]/', 'a loopback address (::1)'],
      ['http://2130706433/', 'a loopback address'],
      ['http://0x7f.1/', 'a loopback address'],
      ['http://[::ffff:127.0.0.1]/', 'embedded in IPv6'],
      ['http://0.0.0.0/', 'an unspecified address'],
      ['http://100.64.0.1/', 'a carrier-grade NAT address'],
      ['http://localhost/', `the host 'localhost' resolves to`],
    ])('blocks %s before connecting', async (url, reason) => {
      const error = await rejection(fetchWith(url, {}, { config: { allowPrivateNetwork: false } }));

      expect(error.code).toBe('address_blocked');
      expect(error.status).toBe(403);
      expect(error.message).toContain(reason);
      expect(error.message).toContain('MIFY_ALLOW_PRIVATE_NETWORK=true');
      expect(connect).not.toHaveBeenCalled();
    });

    it('blocks the metadata service even when private networks are allowed', async () => {
      const error = await rejection(fetchWith('http://169.254.169.254/latest/meta-data', {}, { config: { allowPrivateNetwork: true } }));

      expect(error.code).toBe('address_blocked');
      expect(connect).not.toHaveBeenCalled();
    });

    it('blocks a name whose addresses include a private one', async () => {
      const error = await rejection(fetchWith('http://mixed.example/', {}, { config: { allowPrivateNetwork: false } }));

      expect(error.message).toContain(`the host 'mixed.example' resolves to 10.0.0.1`);
      expect(connect).not.toHaveBeenCalled();
    });

    it('connects to the address it checked', async () => {
      const response = await fetchWith(`http://app.test:${port}/echo`);
      const echoed = JSON.parse(response.body) as { headers: Record<string, string> };

      expect(lookup).toHaveBeenCalledTimes(1);
      expect(connect).toHaveBeenCalledTimes(1);
      expect(connect.mock.calls[0]![0]).toEqual({ address: '127.0.0.1', family: 4, port, hostname: 'app.test', tls: false });
      expect(echoed.headers.host).toBe(`app.test:${port}`);
    });
  });

  describe('requests', () => {
    it('fetches from an allowed local server', async () => {
      const response = await fetchWith(`${base}/hello`, {}, { permissions: ['http:fetch:127.0.0.1'] });

      expect(response.status).toBe(200);
      expect(response.body).toBe('hello');
      expect(response.headers['x-test']).toBe('yes');
      expect(response).not.toHaveProperty('bodyBase64');
      expect(connect).toHaveBeenCalledTimes(1);
    });

    it('sends the method, headers and body', async () => {
      const response = await fetchWith(`${base}/echo`, { method: 'post', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer t' }, body: '{"a":1}' });
      const echoed = JSON.parse(response.body) as { method: string; headers: Record<string, string>; body: string };

      expect(echoed.method).toBe('POST');
      expect(echoed.body).toBe('{"a":1}');
      expect(echoed.headers['content-type']).toBe('application/json');
      expect(echoed.headers['user-agent']).toBe('MIFY extension acme.fetcher');
    });

    it('sends a base64 body', async () => {
      const response = await fetchWith(`${base}/echo`, { method: 'PUT', bodyBase64: Buffer.from('binary body').toString('base64') });

      expect((JSON.parse(response.body) as { body: string }).body).toBe('binary body');
    });

    it('returns binary bodies as base64 too', async () => {
      const response = await fetchWith(`${base}/binary`);

      expect(Buffer.from(response.bodyBase64!, 'base64')).toEqual(Buffer.from([0, 159, 146, 150]));
    });

    it('decompresses gzip', async () => {
      const response = await fetchWith(`${base}/gzip`);

      expect(response.body).toBe('compressed hello');
      expect(response.headers).not.toHaveProperty('content-encoding');
    });

    it.each(['Host', 'transfer-encoding', 'Content-Length', 'Proxy-Authorization'])('rejects the header %s', async (name) => {
      const error = await rejection(fetchWith(`${base}/hello`, { headers: { [name]: 'x' } }));

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain(`options.headers.${name}`);
      expect(connect).not.toHaveBeenCalled();
    });

    it.each([
      ['file:///etc/passwd', 'must use http or https'],
      ['ftp://127.0.0.1/', 'must use http or https'],
      ['http://user:secret@127.0.0.1/', 'must not contain a user name or password'],
      ['/relative', 'must be an absolute URL'],
    ])('rejects the URL %s', async (url, reason) => {
      const error = await rejection(fetchWith(url));

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain(reason);
    });
  });

  describe('redirects', () => {
    it('follows a redirect on the same server', async () => {
      const response = await fetchWith(`${base}/redirect?to=/hello`);

      expect(response.body).toBe('hello');
      expect(response.url).toBe(`${base}/hello`);
      expect(connect).toHaveBeenCalledTimes(2);
    });

    it('blocks a redirect to the metadata service without connecting to it', async () => {
      const error = await rejection(fetchWith(`${base}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data')}`));

      expect(error.code).toBe('address_blocked');
      expect(connect).toHaveBeenCalledTimes(1);
      expect(connect.mock.calls[0]![0].address).toBe('127.0.0.1');
    });

    it('blocks a redirect to a private address', async () => {
      // public.test resolves to a public address, so the first hop passes the guard even with private
      // networks blocked. The connection itself goes to the local server, so no packet leaves the machine.
      connect.mockImplementationOnce((target) => defaultHttpTransport.connect({ ...target, address: '127.0.0.1' }));
      const error = await rejection(fetchWith(`http://public.test:${port}/redirect?to=${encodeURIComponent('http://10.0.0.1/admin')}`, {}, { config: { allowPrivateNetwork: false } }));

      expect(error.code).toBe('address_blocked');
      expect(error.message).toContain('10.0.0.1 is a private address');
      expect(connect).toHaveBeenCalledTimes(1);
      expect(received.map((request) => request.path)).toEqual(['/redirect']);
    });

    it('checks the permission of the redirect target', async () => {
      const error = await rejection(fetchWith(`${base}/redirect?to=${encodeURIComponent(`http://other.test:${port}/hello`)}`, {}, { permissions: ['http:fetch:127.0.0.1'] }));

      expect(error.code).toBe('permission_denied');
      expect(error.message).toContain(`The response from 127.0.0.1:${port} redirected to other.test:${port}`);
      expect(connect).toHaveBeenCalledTimes(1);
    });

    it('drops credentials when the redirect leaves the origin', async () => {
      const response = await fetchWith(`${base}/redirect?to=${encodeURIComponent(`http://other.test:${port}/echo`)}`, { headers: { authorization: 'Bearer secret', 'x-kept': '1' } });
      const echoed = JSON.parse(response.body) as { headers: Record<string, string> };

      expect(echoed.headers).not.toHaveProperty('authorization');
      expect(echoed.headers['x-kept']).toBe('1');
    });

    it('turns a POST into a GET on 303', async () => {
      const response = await fetchWith(`${base}/see-other`, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
      const echoed = JSON.parse(response.body) as { method: string; body: string };

      expect(echoed.method).toBe('GET');
      expect(echoed.body).toBe('');
    });

    it('stops after five redirects', async () => {
      const error = await rejection(fetchWith(`${base}/loop`));

      expect(error.code).toBe('too_many_redirects');
      expect(received.filter((request) => request.path === '/loop')).toHaveLength(6);
    });

    it('returns a redirect unfollowed on request', async () => {
      const response = await fetchWith(`${base}/redirect?to=/hello`, { followRedirects: false });

      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/hello');
    });
  });

  describe('limits', () => {
    it.each(['/big', '/big-chunked', '/gzip-bomb'])('caps the response size of %s', async (pathname) => {
      const error = await rejection(fetchWith(`${base}${pathname}`));

      expect(error.code).toBe('response_too_large');
      expect(error.message).toContain(`limit of ${MAX_RESPONSE_BYTES} bytes`);
    });

    it('times out', async () => {
      const started = performance.now();
      const error = await rejection(fetchWith(`${base}/slow`, { timeoutMs: 300 }));

      expect(error.code).toBe('timeout');
      expect(error.status).toBe(504);
      expect(performance.now() - started).toBeLessThan(3_000);
    });

    it('caps timeoutMs at the kernel maximum', async () => {
      const error = await rejection(fetchWith(`${base}/slow`, { timeoutMs: 600_000 }, { config: { httpTimeoutMs: 300 } }));

      expect(error.code).toBe('timeout');
      expect(error.message).toContain('timed out after 300 ms');
    });

    it('caps the response at maxResponseBytes', async () => {
      const error = await rejection(fetchWith(`${base}/hello`, { maxResponseBytes: 3 }));

      expect(error.code).toBe('response_too_large');
      expect(error.message).toContain(`the request's maxResponseBytes limit of 3 bytes`);
    });

    it('keeps the kernel limit above maxResponseBytes', async () => {
      const error = await rejection(fetchWith(`${base}/big`, { maxResponseBytes: MAX_RESPONSE_BYTES * 100 }));

      expect(error.code).toBe('response_too_large');
      expect(error.message).toContain(`the kernel's limit of ${MAX_RESPONSE_BYTES} bytes`);
    });

    it('waits delayMs before sending', async () => {
      const started = performance.now();
      const response = await fetchWith(`${base}/hello`, { delayMs: 250, timeoutMs: 100 });

      expect(response.body).toBe('hello');
      expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    });

    it('rejects a delayMs over the maximum', async () => {
      const error = await rejection(fetchWith(`${base}/hello`, { delayMs: 60_001 }));

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain('options.delayMs');
      expect(connect).not.toHaveBeenCalled();
    });

    it('reports a refused connection', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const error = await rejection(fetchWith(`http://127.0.0.1:${closedPort}/`));

      expect(error.code).toBe('network_error');
      expect(error.message).toContain('ECONNREFUSED');
    });
  });

  describe('https', () => {
    let tlsServer: https.Server | undefined;
    let tlsPort = 0;
    let certificateFolder: string | undefined;

    beforeAll(async () => {
      // A self-signed certificate for 127.0.0.1, made with the openssl command-line tool.
      certificateFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-tls-'));
      const keyPath = path.join(certificateFolder, 'key.pem');
      const certificatePath = path.join(certificateFolder, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certificatePath, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

      tlsServer = https.createServer({ key: fs.readFileSync(keyPath), cert: fs.readFileSync(certificatePath) }, (_request, response) => response.end('secret over tls'));
      await new Promise<void>((resolve) => tlsServer!.listen(0, '127.0.0.1', resolve));
      tlsPort = (tlsServer.address() as AddressInfo).port;
    });

    afterAll(async () => {
      tlsServer?.closeAllConnections();
      await new Promise<void>((resolve) => (tlsServer ? tlsServer.close(() => resolve()) : resolve()));
      if (certificateFolder) fs.rmSync(certificateFolder, { recursive: true, force: true });
    });

    it('rejects a certificate no authority signed', async () => {
      const error = await rejection(fetchWith(`https://127.0.0.1:${tlsPort}/`));

      expect(error.code).toBe('network_error');
      expect(error.message).toContain('SELF_SIGNED_CERT');
      expect(connect.mock.calls[0]![0]).toMatchObject({ address: '127.0.0.1', port: tlsPort, tls: true });
    });
  });

  describe('audit', () => {
    it('records the host, not the URL', async () => {
      await fetchWith(`${base}/hello?token=abc`, {}, { context: { extensionId: 'acme.audited-fetch' } });
      await services.auditQueue!.flush();

      const rows = await database.db.query<{ target: string; details: Record<string, unknown> }>(`select target, details from audit_log where actor_id = 'acme.audited-fetch'`);

      expect(rows).toEqual([{ target: `127.0.0.1:${port}`, details: { allowed: true, runId: null, nodeId: null } }]);
    });
  });
});
