/**
 * The HTTP request node against a local server: methods, query, headers, bodies, credentials,
 * response formats, errors, retries, timeouts, size limits and per-item parameters.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startIoKernel, type IoTestKernel } from './support/kernel.js';
import { sendJson, startStubServer, type StubServer } from './support/stub-server.js';

const NODE = 'mify.io.http-request';

describe('HTTP request node', () => {
  let k: IoTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startIoKernel();
    await k.addCredential('basic', 'mify.io.http-basic', { username: 'ada', password: 'pä:ss' });
    await k.addCredential('bearer', 'mify.io.http-bearer', { token: 'tok-123' });
    await k.addCredential('key-header', 'mify.io.http-api-key', { name: 'X-Api-Key', value: 'k-1', location: 'header' });
    await k.addCredential('key-query', 'mify.io.http-api-key', { name: 'api_key', value: 'k-2', location: 'query' });
    await k.addCredential('headers', 'mify.io.http-header', { headers: { 'X-Tenant': 'acme', 'X-Secret': 's-3' } });
    await k.addCredential('wrong-type', 'mify.llm.openai-compatible', { apiKey: 'x' });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
    stub.handle = (request, response) => sendJson(response, 200, { method: request.method, path: request.path, query: Object.fromEntries(request.query), body: request.text });
  });

  describe('requests', () => {
    it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('sends method %s', async (method) => {
      const [item] = await k.runNode(NODE, [{ json: {} }], { method, url: `${stub.url}/things` });

      expect(stub.requests[0]!.method).toBe(method);
      expect(item!.json.status).toBe(200);
      expect(item!.json.body.method).toBe(method);
    });

    it('sends HEAD and outputs an empty body', async () => {
      stub.handle = (_request, response) => response.writeHead(200, { 'content-type': 'application/json', 'x-total': '7' }).end();

      const [item] = await k.runNode(NODE, [{ json: {} }], { method: 'HEAD', url: `${stub.url}/things` });

      expect(stub.requests[0]!.method).toBe('HEAD');
      expect(item!.json.headers['x-total']).toBe('7');
      expect(item!.json.body).toBeNull();
    });

    it('adds query parameters and headers', async () => {
      await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/search?fixed=1`, query: { q: 'a b&c', tag: ['x', 'y'], n: 5, skip: null }, headers: { 'X-Trace': 'abc' } });

      const request = stub.requests[0]!;
      expect(request.query.get('fixed')).toBe('1');
      expect(request.query.get('q')).toBe('a b&c');
      expect(request.query.getAll('tag')).toEqual(['x', 'y']);
      expect(request.query.get('n')).toBe('5');
      expect(request.query.has('skip')).toBe(false);
      expect(request.headers['x-trace']).toBe('abc');
    });

    it('sends a JSON body, the item by default', async () => {
      await k.runNode(NODE, [{ json: { id: 1, name: 'Ada' } }], { method: 'POST', url: `${stub.url}/users`, bodyType: 'json' });
      await k.runNode(NODE, [{ json: {} }], { method: 'POST', url: `${stub.url}/users`, bodyType: 'json', body: '{"from": "text"}' });

      expect(stub.requests[0]!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(stub.requests[0]!.text)).toEqual({ id: 1, name: 'Ada' });
      expect(JSON.parse(stub.requests[1]!.text)).toEqual({ from: 'text' });
    });

    it('sends a form-urlencoded body', async () => {
      await k.runNode(NODE, [{ json: {} }], { method: 'POST', url: `${stub.url}/form`, bodyType: 'form', body: { name: 'Ada Lovelace', lang: ['en', 'fr'], note: 'a&b=c' } });

      const request = stub.requests[0]!;
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.text).toBe('name=Ada+Lovelace&lang=en&lang=fr&note=a%26b%3Dc');
    });

    it('sends a multipart body with a file', async () => {
      const file = Buffer.from([0, 1, 2, 250, 255]);
      await k.runNode(NODE, [{ json: {}, binary: { photo: { mimeType: 'image/png', fileName: 'p.png', data: file.toString('base64') } } }], {
        method: 'POST',
        url: `${stub.url}/upload`,
        bodyType: 'multipart',
        body: [{ name: 'title', value: 'Größe' }, { name: 'file', binaryProperty: 'photo' }],
      });

      const request = stub.requests[0]!;
      const boundary = /boundary=(.+)$/.exec(request.headers['content-type']!)![1]!;
      const expected = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nGröße\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`),
        file,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(request.body.equals(expected)).toBe(true);
    });

    it('sends text and binary bodies', async () => {
      const bytes = Buffer.from([9, 8, 7, 0, 200]);
      await k.runNode(NODE, [{ json: {} }], { method: 'PUT', url: `${stub.url}/text`, bodyType: 'text', body: 'plain words', contentType: 'text/csv' });
      await k.runNode(NODE, [{ json: {}, binary: { data: { mimeType: 'application/pdf', data: bytes.toString('base64') } } }], { method: 'PUT', url: `${stub.url}/bin`, bodyType: 'binary' });

      expect(stub.requests[0]!.headers['content-type']).toBe('text/csv');
      expect(stub.requests[0]!.text).toBe('plain words');
      expect(stub.requests[1]!.headers['content-type']).toBe('application/pdf');
      expect(stub.requests[1]!.body.equals(bytes)).toBe(true);
    });

    it('uses per-item parameters', async () => {
      const items = [{ json: { id: 1 } }, { json: { id: 2 } }];
      const output = await k.runNode(NODE, items, { url: `${stub.url}/items/1` }, [{ url: `${stub.url}/items/1` }, { url: `${stub.url}/items/2`, query: { v: 'two' } }]);

      expect(stub.requests.map((request) => request.url)).toEqual(['/items/1', '/items/2?v=two']);
      expect(output.map((item) => item.json.body.path)).toEqual(['/items/1', '/items/2']);
    });
  });

  describe('credentials', () => {
    it('sends basic authentication', async () => {
      await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/a`, credential: 'basic' });

      expect(stub.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ada:pä:ss').toString('base64')}`);
    });

    it('sends a bearer token', async () => {
      await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/a`, credential: 'bearer', headers: { Authorization: 'Bearer overridden' } });

      expect(stub.requests[0]!.headers.authorization).toBe('Bearer tok-123');
    });

    it('sends an API key in a header or the query', async () => {
      const [first] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/a`, credential: 'key-header' });
      const [second] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/b`, credential: 'key-query' });

      expect(stub.requests[0]!.headers['x-api-key']).toBe('k-1');
      expect(stub.requests[1]!.query.get('api_key')).toBe('k-2');
      expect(first!.json.url).toBe(`${stub.url}/a`);
      expect(second!.json.url).toBe(`${stub.url}/b`);
    });

    it('sends custom credential headers', async () => {
      await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/a`, credential: 'headers' });

      expect(stub.requests[0]!.headers['x-tenant']).toBe('acme');
      expect(stub.requests[0]!.headers['x-secret']).toBe('s-3');
    });

    it('rejects a missing or unsupported credential', async () => {
      const missing = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/a`, credential: 'nope' });
      const wrong = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/a`, credential: 'wrong-type' });

      expect(missing.message).toContain(`Credential 'nope' was not found in this workspace`);
      expect(wrong.message).toContain(`has type 'mify.llm.openai-compatible', which the HTTP request node cannot apply`);
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe('responses', () => {
    it('outputs JSON, text and binary bodies', async () => {
      const bytes = Buffer.from([0, 159, 146, 150]);
      stub.handle = (request, response) => {
        if (request.path === '/json') sendJson(response, 200, { ok: true });
        else if (request.path === '/text') response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
        else response.writeHead(200, { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="pic.png"' }).end(bytes);
      };

      const [json] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/json` });
      const [text] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/text` });
      const [binary] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/file`, binaryProperty: 'image' });

      expect(json!.json).toMatchObject({ status: 200, statusText: 'OK', body: { ok: true }, attempts: 1 });
      expect(text!.json.body).toBe('hello');
      expect(binary!.binary!.image).toEqual({ mimeType: 'image/png', fileName: 'pic.png', data: bytes.toString('base64') });
      expect(binary!.json).not.toHaveProperty('body');
    });

    it('forces a response format', async () => {
      stub.handle = (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('{"n":1}');

      const [json] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/x`, responseFormat: 'json' });
      const [binary] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/x`, responseFormat: 'binary' });

      expect(json!.json.body).toEqual({ n: 1 });
      expect(Buffer.from(binary!.binary!.data!.data, 'base64').toString()).toBe('{"n":1}');
    });

    it('splits a body array into items', async () => {
      stub.handle = (_request, response) => sendJson(response, 200, { data: [{ id: 1 }, { id: 2 }, 3] });

      const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/list`, output: 'body', itemsPath: 'data' });

      expect(output.map((item) => item.json)).toEqual([{ id: 1 }, { id: 2 }, { value: 3 }]);
    });

    it('rejects invalid JSON with the body start', async () => {
      stub.handle = (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops');

      const error = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/bad` });

      expect(error.message).toContain('is not valid JSON');
      expect(error.message).toContain('"<html>oops"');
      expect(error.message).toContain('set responseFormat to text');
    });

    it('fails on 4xx with the server message', async () => {
      stub.handle = (request, response) => {
        if (request.path === '/private') sendJson(response, 401, { error: { message: 'token expired' } });
        else if (request.path === '/missing') sendJson(response, 404, { message: 'no such user' });
        else sendJson(response, 422, { detail: 'email is invalid' });
      };

      const unauthorized = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/private`, credential: 'bearer' });
      const missing = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/missing` });
      const invalid = await k.runNodeError(NODE, [{ json: {} }], { method: 'POST', url: `${stub.url}/users` });

      expect(unauthorized.message).toContain(`GET ${stub.url}/private was rejected as unauthenticated (HTTP 401: token expired). Check credential 'bearer'.`);
      expect(missing.message).toContain('was not found (HTTP 404: no such user)');
      expect(invalid.message).toContain('was rejected (HTTP 422: email is invalid)');
      expect(stub.requests).toHaveLength(3);
    });

    it('outputs errors with neverError', async () => {
      stub.handle = (_request, response) => sendJson(response, 404, { message: 'gone' });

      const [item] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/gone`, neverError: true });

      expect(item!.json).toMatchObject({ status: 404, body: { message: 'gone' } });
    });

    it('returns a redirect unfollowed on request', async () => {
      stub.handle = (request, response) => (request.path === '/old' ? response.writeHead(301, { location: '/new' }).end() : sendJson(response, 200, { at: request.path }));

      const [followed] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/old` });
      const [kept] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/old`, followRedirects: false });

      expect(followed!.json.body).toEqual({ at: '/new' });
      expect(followed!.json.url).toBe(`${stub.url}/new`);
      expect(kept!.json).toMatchObject({ status: 301, headers: { location: '/new' } });
    });
  });

  describe('retries and limits', () => {
    it('retries 429 after Retry-After', async () => {
      stub.handle = (_request, response) => (stub.requests.length === 1 ? sendJson(response, 429, { error: 'slow down' }, { 'retry-after': '1' }) : sendJson(response, 200, { ok: true }));

      const [item] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/limited`, retryDelayMs: 10 });

      expect(item!.json).toMatchObject({ status: 200, attempts: 2 });
      expect(stub.requests[1]!.at - stub.requests[0]!.at).toBeGreaterThanOrEqual(950);
    });

    it('retries 5xx with backoff', async () => {
      stub.handle = (_request, response) => (stub.requests.length < 3 ? sendJson(response, 503, { error: 'busy' }) : sendJson(response, 200, { ok: true }));

      const [item] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/flaky`, retryDelayMs: 100 });

      expect(item!.json.attempts).toBe(3);
      expect(stub.requests[1]!.at - stub.requests[0]!.at).toBeGreaterThanOrEqual(75);
      expect(stub.requests[2]!.at - stub.requests[1]!.at).toBeGreaterThanOrEqual(155);
    });

    it('fails after the retries run out', async () => {
      stub.handle = (_request, response) => sendJson(response, 500, { error: 'broken' });

      const error = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/down`, maxRetries: 2, retryDelayMs: 1 });

      expect(error.message).toContain('failed on the server after 3 attempts (HTTP 500: broken)');
      expect(stub.requests).toHaveLength(3);
    });

    it('does not wait a Retry-After over maxRetryDelayMs', async () => {
      stub.handle = (_request, response) => sendJson(response, 429, { error: 'quota' }, { 'retry-after': '120' });

      const error = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/quota`, maxRetryDelayMs: 5000 });

      expect(error.message).toContain('was rate limited (HTTP 429: quota). The server requests a wait of 120 s');
      expect(stub.requests).toHaveLength(1);
    });

    it('retries a timeout, then fails', async () => {
      stub.handle = () => undefined;

      const started = performance.now();
      const error = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/hang`, timeoutMs: 200, maxRetries: 1, retryDelayMs: 1 });

      expect(error.message).toContain(`HTTP GET to ${stub.url}/hang timed out`);
      expect(error.message).toContain('Raise timeoutMs');
      expect(error.message).toContain('(after 2 attempts)');
      expect(stub.requests).toHaveLength(2);
      expect(performance.now() - started).toBeLessThan(5000);
    });

    it('enforces maxResponseBytes, also compressed', async () => {
      stub.handle = (request, response) => {
        if (request.path === '/gzip') response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(zlib.gzipSync(Buffer.alloc(100_000, 'z')));
        else response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2000));
      };

      const plain = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/big`, maxResponseBytes: 1000 });
      const gzip = await k.runNodeError(NODE, [{ json: {} }], { url: `${stub.url}/gzip`, maxResponseBytes: 50_000 });
      const [fits] = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/big`, maxResponseBytes: 2000 });

      expect(plain.message).toContain("maxResponseBytes limit of 1000 bytes");
      expect(gzip.message).toContain("maxResponseBytes limit of 50000 bytes");
      expect(fits!.json.body).toHaveLength(2000);
    });
  });

  describe('parameter checks', () => {
    it.each([
      [{ url: 'ftp://example.com/x' }, "Parameter 'url' must be an absolute http or https URL"],
      [{ url: 'https://user:pw@example.com/' }, "Parameter 'url' contains a user name or password (https://example.com/)"],
      [{ url: '' }, "Parameter 'url' is required"],
      [{ url: 'http://127.0.0.1/', method: 'FETCH' }, `Parameter 'method' is "FETCH"; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.`],
      [{ url: 'http://127.0.0.1/', headers: { 'Bad Name': 'x' } }, 'Header name "Bad Name" is not a valid HTTP header name'],
      [{ url: 'http://127.0.0.1/', bodyType: 'json', body: '{oops' }, "Parameter 'body' is not valid JSON"],
      [{ url: 'http://127.0.0.1/', bodyType: 'binary' }, "The item has no binary attachment 'data' to send (it has none)"],
      [{ url: 'http://127.0.0.1/', maxRetries: 11 }, "Parameter 'maxRetries' must be an integer from 0 to 10, got number 11."],
      [{ url: 'http://127.0.0.1/', pagination: { mode: 'pages' } }, `Parameter 'pagination.mode' is "pages"; expected one of none, nextUrl, linkHeader, cursor, page, offset.`],
      [{ url: 'http://127.0.0.1/', pagination: { mode: 'page', maxPages: 5000 } }, "Parameter 'pagination.maxPages' must be an integer from 1 to 1000"],
    ])('rejects %j', async (parameters, message) => {
      const error = await k.runNodeError(NODE, [{ json: {} }], parameters);

      expect(error.message).toContain(message);
      expect(stub.requests).toHaveLength(0);
    });
  });
});
