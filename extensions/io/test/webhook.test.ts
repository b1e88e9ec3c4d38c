/**
 * The webhook trigger and respond-to-webhook nodes in the real sandbox: parameter checks,
 * request filtering, the response description, and one published graph that receives a
 * webhook, calls a local API with the HTTP request node and responds with its data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIoKernel, type IoTestKernel, type OutputItem } from './support/kernel.js';
import { sendJson, startStubServer, type StubServer } from './support/stub-server.js';

const WEBHOOK = 'mify.io.webhook';
const RESPOND = 'mify.io.respond-to-webhook';

/** Builds an item shaped like the kernel's webhook request item. */
function requestItem(path: string, method = 'POST', body: unknown = { id: 1 }): OutputItem {
  return { json: { method, path, headers: { 'content-type': 'application/json' }, query: {}, body, receivedAt: '2030-01-01T00:00:00.000Z' } };
}

describe('webhook nodes', () => {
  let k: IoTestKernel;
  let stub: StubServer;
  let invocation = 0;

  /** Runs a node and returns its whole output, keyed by port. */
  async function runPorts(type: string, items: OutputItem[], parameters: Record<string, unknown>): Promise<Record<string, OutputItem[]>> {
    invocation += 1;
    const runId = `run_webhook_${invocation}`;
    const input = { items, ports: { main: items }, parameters, node: { id: 'node_1', name: type, type, typeVersion: 1, parameters }, run: { id: runId, workspaceId: k.workspaceId, stepId: `${runId}_1`, idempotencyKey: `${runId}:node_1:1`, attempt: 1 } };
    return (await k.t.kernel.services.extensionHost.invoke('mify.io', { kind: 'node', name: type, input }, { workspaceId: k.workspaceId, runId, nodeId: 'node_1' })) as Record<string, OutputItem[]>;
  }

  beforeAll(async () => {
    stub = await startStubServer();
    k = await startIoKernel();
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  describe('webhook trigger', () => {
    it('passes a matching request item on', async () => {
      const items = await k.runNode(WEBHOOK, [requestItem('orders/new')], { path: '/orders/new/', methods: ['POST'] });

      expect(items).toEqual([requestItem('orders/new')]);
    });

    it('drops a request for another path or method', async () => {
      const otherPath = await k.runNode(WEBHOOK, [requestItem('orders/old')], { path: 'orders/new' });
      const otherMethod = await k.runNode(WEBHOOK, [requestItem('orders/new', 'GET')], { path: 'orders/new', methods: ['POST', 'PUT'] });

      expect(otherPath).toEqual([]);
      expect(otherMethod).toEqual([]);
    });

    it('passes manual input through unchanged', async () => {
      const items = await k.runNode(WEBHOOK, [{ json: { test: true } }], { path: 'orders/new' });

      expect(items).toEqual([{ json: { test: true } }]);
    });

    it.each([
      ['a missing path', {}, "Parameter 'path' is required"],
      ['an expression path', { path: 'orders/{{ $json.id }}' }, 'expression'],
      ['a path with a dot', { path: 'orders/../admin' }, "Parameter 'path'"],
      ['an unknown method', { path: 'a', methods: ['TRACE'] }, 'TRACE'],
      ['an empty method list', { path: 'a', methods: [] }, "Parameter 'methods'"],
      ['headerSecret without a credential', { path: 'a', authentication: 'headerSecret' }, "Parameter 'credential'"],
      ['a timeout over 120 s', { path: 'a', responseMode: 'lastNode', timeoutMs: 120_001 }, 'from 100 to 120000 ms'],
    ])('rejects %s', async (_case, parameters, message) => {
      const error = await k.runNodeError(WEBHOOK, [{ json: {} }], parameters);

      expect(error.message).toContain(message);
    });
  });

  describe('respond-to-webhook', () => {
    const items: OutputItem[] = [{ json: { id: 1 } }, { json: { id: 2 } }];

    it('defaults to the first item JSON', async () => {
      const output = await runPorts(RESPOND, items, {});

      expect(output.main).toEqual(items);
      expect(output.response).toEqual([{ json: { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, bodyType: 'json', body: { id: 1 } } }]);
    });

    it('describes all items, status and headers', async () => {
      const output = await runPorts(RESPOND, items, { body: 'allItemsJson', statusCode: 207, headers: { 'X-Count': 2, 'Content-Type': 'application/vnd.acme+json' } });

      expect(output.response![0]!.json).toEqual({ statusCode: 207, headers: { 'x-count': '2', 'content-type': 'application/vnd.acme+json' }, bodyType: 'json', body: [{ id: 1 }, { id: 2 }] });
    });

    it('describes a text body', async () => {
      const output = await runPorts(RESPOND, items, { body: 'text', text: '<p>ok</p>', headers: { 'content-type': 'text/html' } });

      expect(output.response![0]!.json).toEqual({ statusCode: 200, headers: { 'content-type': 'text/html' }, bodyType: 'text', body: '<p>ok</p>' });
    });

    it('describes a binary attachment', async () => {
      const attachment = { mimeType: 'image/png', fileName: 'dot.png', data: 'iVBORw0KGgo=' };

      const output = await runPorts(RESPOND, [{ json: {}, binary: { image: attachment } }], { body: 'binary', binaryProperty: 'image' });

      expect(output.response![0]).toEqual({ json: { statusCode: 200, headers: { 'content-type': 'image/png' }, bodyType: 'binary' }, binary: { body: attachment } });
    });

    it('sends no body with 204', async () => {
      const output = await runPorts(RESPOND, items, { statusCode: 204 });

      expect(output.response![0]!.json).toEqual({ statusCode: 204, headers: {}, bodyType: 'empty' });
    });

    it.each([
      ['a 1xx status', { statusCode: 101 }, 'from 200 to 599'],
      ['a status over 599', { statusCode: 600 }, 'from 200 to 599'],
      ['Set-Cookie', { headers: { 'Set-Cookie': 'a=b' } }, "'Set-Cookie' cannot be set"],
      ['Content-Length', { headers: { 'Content-Length': '3' } }, "'Content-Length' cannot be set"],
      ['a header with a line break', { headers: { 'X-Bad': 'a\r\nb' } }, 'line break'],
      ['an invalid header name', { headers: { 'Bad Name': 'x' } }, 'Bad Name'],
      ['a missing attachment', { body: 'binary', binaryProperty: 'file' }, "attachment 'file'"],
      ['an unknown body mode', { body: 'xml' }, 'firstItemJson'],
    ])('rejects %s', async (_case, parameters, message) => {
      const error = await k.runNodeError(RESPOND, items, parameters);

      expect(error.message).toContain(message);
    });
  });

  describe('in a published graph', () => {
    it('responds with fetched data', async () => {
      stub.handle = (request, response) => sendJson(response, 200, { customer: request.query.get('id'), plan: 'gold' });

      const definition = {
        nodes: [
          { id: 'hook', name: 'Hook', type: WEBHOOK, typeVersion: 1, parameters: { path: 'customers/lookup', methods: ['GET'], responseMode: 'responseNode' } },
          { id: 'fetch', name: 'Fetch', type: 'mify.io.http-request', typeVersion: 1, parameters: { url: `${stub.url}/customers`, query: { id: '{{ $json.query.id }}' }, output: 'body' } },
          { id: 'reply', name: 'Reply', type: RESPOND, typeVersion: 1, parameters: { statusCode: 200, headers: { 'X-Source': 'stub' } } },
        ],
        edges: [
          { from: { node: 'hook', port: 'main' }, to: { node: 'fetch', port: 'main' } },
          { from: { node: 'fetch', port: 'main' }, to: { node: 'reply', port: 'main' } },
        ],
      };
      const graph = await k.t.kernel.services.graphService.create(k.workspaceId, { type: 'system', id: 'test' }, { name: 'Customer lookup', definition });
      await k.t.kernel.services.graphService.publish(k.workspaceId, graph.id, { type: 'system', id: 'test' });
      const workspace = await k.t.kernel.services.userService.findWorkspace(k.workspaceId);

      const response = await fetch(`${k.t.url}/api/webhooks/${workspace!.slug}/customers/lookup?id=c-42`);

      expect(response.status).toBe(200);
      expect(response.headers.get('x-source')).toBe('stub');
      expect(await response.json()).toEqual({ customer: 'c-42', plan: 'gold' });
      expect(stub.requests.at(-1)!.path).toBe('/customers');
    });
  });
});
