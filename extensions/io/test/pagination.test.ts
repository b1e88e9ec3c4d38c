/** Pagination of the HTTP request node against a local server holding 7 records. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startIoKernel, type IoTestKernel } from './support/kernel.js';
import { sendJson, startStubServer, type StubServer } from './support/stub-server.js';

const NODE = 'mify.io.http-request';
const RECORDS = Array.from({ length: 7 }, (_, index) => ({ id: index + 1 }));

describe('HTTP request pagination', () => {
  let k: IoTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startIoKernel();
    await k.addCredential('key-query', 'mify.io.http-api-key', { name: 'key', value: 'secret', location: 'query' });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  beforeEach(() => {
    stub.requests.length = 0;
  });

  const ids = (items: Array<{ json: Record<string, any> }>) => items.map((item) => item.json.id);

  it('follows a next URL in the body', async () => {
    stub.handle = (request, response) => {
      const start = Number(request.query.get('from') ?? 0);
      const next = start + 3 < RECORDS.length ? `/records?from=${start + 3}` : null;
      sendJson(response, 200, { data: RECORDS.slice(start, start + 3), links: { next } });
    };

    const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/records`, output: 'body', itemsPath: 'data', pagination: { mode: 'nextUrl', nextUrlPath: 'links.next' } });

    expect(ids(output)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stub.requests.map((request) => request.url)).toEqual(['/records', '/records?from=3', '/records?from=6']);
  });

  it('follows the Link header and keeps a query credential', async () => {
    stub.handle = (request, response) => {
      const page = Number(request.query.get('page') ?? 1);
      const links = [`<${stub.url}/records?page=1>; rel="first"`];
      if (page < 3) links.push(`<records?page=${page + 1}>; rel="next"`);
      sendJson(response, 200, RECORDS.slice((page - 1) * 3, page * 3), { link: links.join(', ') });
    };

    const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/records`, credential: 'key-query', pagination: { mode: 'linkHeader' } });

    expect(output.map((item) => item.json.page)).toEqual([1, 2, 3]);
    expect(output.flatMap((item) => item.json.body.map((record: { id: number }) => record.id))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stub.requests.map((request) => request.query.get('key'))).toEqual(['secret', 'secret', 'secret']);
  });

  it('sends a cursor until has_more is false', async () => {
    stub.handle = (request, response) => {
      const cursor = Number(request.query.get('after') ?? 0);
      const slice = RECORDS.slice(cursor, cursor + 2);
      sendJson(response, 200, { items: slice, has_more: cursor + 2 < RECORDS.length, next_cursor: String(cursor + 2) });
    };

    const output = await k.runNode(NODE, [{ json: {} }], {
      url: `${stub.url}/records`,
      output: 'body',
      itemsPath: 'items',
      pagination: { mode: 'cursor', cursorPath: 'next_cursor', cursorParameter: 'after', hasMorePath: 'has_more' },
    });

    expect(ids(output)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stub.requests).toHaveLength(4);
  });

  it('increments a page number until a page is empty', async () => {
    stub.handle = (request, response) => {
      const page = Number(request.query.get('p'));
      sendJson(response, 200, RECORDS.slice((page - 1) * 3, page * 3));
    };

    const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/records?sort=id`, output: 'body', pagination: { mode: 'page', parameter: 'p' } });

    expect(ids(output)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stub.requests.map((request) => request.url)).toEqual(['/records?sort=id&p=1', '/records?sort=id&p=2', '/records?sort=id&p=3', '/records?sort=id&p=4']);
  });

  it('increments an offset and stops on a short page', async () => {
    stub.handle = (request, response) => {
      const offset = Number(request.query.get('offset'));
      const limit = Number(request.query.get('limit'));
      sendJson(response, 200, { results: RECORDS.slice(offset, offset + limit) });
    };

    const output = await k.runNode(NODE, [{ json: {} }], {
      url: `${stub.url}/records`,
      output: 'body',
      itemsPath: 'results',
      pagination: { mode: 'offset', pageSize: 3, limitParameter: 'limit', stopOnShortPage: true },
    });

    expect(ids(output)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stub.requests.map((request) => request.query.get('offset'))).toEqual(['0', '3', '6']);
  });

  it('stops at maxPages', async () => {
    stub.handle = (request, response) => sendJson(response, 200, [{ id: Number(request.query.get('page')) }]);

    const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/endless`, output: 'body', pagination: { mode: 'page', maxPages: 4 } });

    expect(ids(output)).toEqual([1, 2, 3, 4]);
    expect(stub.requests).toHaveLength(4);
  });

  it('stops when a next URL repeats', async () => {
    stub.handle = (_request, response) => sendJson(response, 200, { items: [{ id: 1 }], next: '/same' });

    const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/same`, output: 'body', itemsPath: 'items', pagination: { mode: 'nextUrl', maxPages: 50 } });

    expect(output).toHaveLength(1);
    expect(stub.requests).toHaveLength(1);
  });

  it('waits pageDelayMs between pages', async () => {
    stub.handle = (request, response) => sendJson(response, 200, Number(request.query.get('page')) < 3 ? [{ id: 1 }] : []);

    await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/slow`, output: 'body', pagination: { mode: 'page', pageDelayMs: 150 } });

    expect(stub.requests).toHaveLength(3);
    expect(stub.requests[1]!.at - stub.requests[0]!.at).toBeGreaterThanOrEqual(140);
  });

  it('retries a page after Retry-After', async () => {
    let calls = 0;
    stub.handle = (request, response) => {
      calls += 1;
      if (calls === 2) return sendJson(response, 429, { error: 'later' }, { 'retry-after': '1' });
      const page = Number(request.query.get('page'));
      sendJson(response, 200, page <= 2 ? [{ id: page }] : []);
    };

    const output = await k.runNode(NODE, [{ json: {} }], { url: `${stub.url}/records`, output: 'body', pagination: { mode: 'page' } });

    expect(ids(output)).toEqual([1, 2]);
    expect(stub.requests.map((request) => request.query.get('page'))).toEqual(['1', '2', '2', '3']);
    expect(stub.requests[2]!.at - stub.requests[1]!.at).toBeGreaterThanOrEqual(950);
  });
});
