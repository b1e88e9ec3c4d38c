/**
 * The Cloudflare nodes against a local server that speaks Cloudflare's REST API: paths under
 * /client/v4/accounts/<account>, the JSON envelope, bearer tokens, error envelopes and retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_ID, API_TOKEN, startCloudflareServer, type CloudflareServer } from './support/cloudflare-server.js';
import { startIoKernel, type IoTestKernel } from './support/kernel.js';

const common = { credential: 'cf', retryDelayMs: 10 };

describe('Cloudflare nodes', () => {
  let k: IoTestKernel;
  let cf: CloudflareServer;

  beforeAll(async () => {
    cf = await startCloudflareServer();
    k = await startIoKernel();
    await k.addCredential('cf', 'mify.io.cloudflare-api-token', { accountId: ACCOUNT_ID, apiToken: API_TOKEN, baseUrl: cf.baseUrl });
    await k.addCredential('cf-bad-token', 'mify.io.cloudflare-api-token', { accountId: ACCOUNT_ID, apiToken: 'revoked', baseUrl: cf.baseUrl });
    await k.addCredential('cf-no-account', 'mify.io.cloudflare-api-token', { apiToken: API_TOKEN, baseUrl: cf.baseUrl });
  });

  afterAll(async () => {
    await k?.close();
    await cf?.close();
  });

  beforeEach(() => {
    cf.stub.requests.length = 0;
    cf.failures.length = 0;
  });

  describe('KV', () => {
    const kv = (parameters: Record<string, unknown>, items = [{ json: {} }]) => k.runNode('mify.io.cloudflare-kv', items, { ...common, namespaceId: 'ns1', ...parameters });

    it('puts, gets, lists and deletes', async () => {
      await kv({ operation: 'put', key: 'user:1', value: { name: 'Ada' }, valueType: 'json', metadata: { owner: 'ops' }, expirationTtl: 3600 });
      await kv({ operation: 'put', key: 'user:2', value: 'plain text' });
      const [json] = await kv({ operation: 'get', key: 'user:1', valueType: 'json' });
      const [text] = await kv({ operation: 'get', key: 'user:2', outputField: 'stored' });
      const listed = await kv({ operation: 'list', prefix: 'user:' });
      await kv({ operation: 'delete', key: 'user:2' });
      const [missing] = await kv({ operation: 'get', key: 'user:2' });

      const put = cf.stub.requests[0]!;
      expect(put.method).toBe('PUT');
      expect(put.path).toBe(`/client/v4/accounts/${ACCOUNT_ID}/storage/kv/namespaces/ns1/values/user%3A1`);
      expect(put.query.get('expiration_ttl')).toBe('3600');
      expect(put.headers.authorization).toBe(`Bearer ${API_TOKEN}`);
      expect(json!.json.value).toEqual({ name: 'Ada' });
      expect(text!.json.stored).toBe('plain text');
      expect(listed.map((item) => item.json.name)).toEqual(['user:1', 'user:2']);
      expect(listed[0]!.json.metadata).toEqual({ owner: 'ops' });
      expect(missing!.json.value).toBeNull();
      expect(cf.kv.has('ns1:user:2')).toBe(false);
    });

    it('stores and reads binary values', async () => {
      const bytes = Buffer.from([0, 255, 1, 254]);
      await kv({ operation: 'put', key: 'blob', valueType: 'binary' }, [{ json: {}, binary: { data: { mimeType: 'application/octet-stream', data: bytes.toString('base64') } } }] as never);
      const [item] = await kv({ operation: 'get', key: 'blob', valueType: 'binary', binaryProperty: 'file' });

      expect(cf.kv.get('ns1:blob')!.value.equals(bytes)).toBe(true);
      expect(Buffer.from(item!.binary!.file!.data, 'base64').equals(bytes)).toBe(true);
    });

    it('follows list cursors up to the limit', async () => {
      for (let index = 0; index < 25; index++) cf.kv.set(`ns2:k${String(index).padStart(2, '0')}`, { value: Buffer.from('v') });
      cf.kvPageSize = 10;

      const all = await kv({ operation: 'list', namespaceId: 'ns2', limit: 100 });
      const allLimits = cf.stub.requests.map((request) => request.query.get('limit'));
      cf.stub.requests.length = 0;
      const some = await kv({ operation: 'list', namespaceId: 'ns2', limit: 12 });
      cf.kvPageSize = 1000;

      expect(all).toHaveLength(25);
      expect(allLimits).toEqual(['100', '90', '80']);
      expect(some.map((item) => item.json.name)).toEqual(Array.from({ length: 12 }, (_, index) => `k${String(index).padStart(2, '0')}`));
      expect(cf.stub.requests.map((request) => request.query.get('limit'))).toEqual(['12', '10']);
    });

    it('fails on a missing key when asked', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-kv', [{ json: {} }], { ...common, namespaceId: 'ns1', key: 'absent', failIfMissing: true });

      expect(error.message).toContain(`Cloudflare KV get of key 'absent' found nothing`);
      expect(error.message).toContain("code 10009: get: 'key not found'");
    });

    it('reports a rejected expirationTtl', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-kv', [{ json: {} }], { ...common, namespaceId: 'ns1', operation: 'put', key: 'x', value: 'y', expirationTtl: 30 });

      expect(error.message).toContain("Parameter 'expirationTtl' must be an integer from 60");
      expect(cf.stub.requests).toHaveLength(0);
    });
  });

  describe('R2', () => {
    const r2 = (parameters: Record<string, unknown>, items: unknown[] = [{ json: {} }]) => k.runNode('mify.io.cloudflare-r2', items as never, { ...common, bucket: 'reports', ...parameters });

    it('puts, gets, lists and deletes objects', async () => {
      const pdf = Buffer.from('%PDF-1.7 binary \u0000\u00ff');
      const [put] = await r2({ operation: 'put', key: 'q1/report.pdf' }, [{ json: { id: 1 }, binary: { data: { mimeType: 'application/pdf', data: pdf.toString('base64') } } }]);
      await r2({ operation: 'put', key: 'q1/notes.json', source: 'json', content: { ok: true } });
      const [binary] = await r2({ operation: 'get', key: 'q1/report.pdf' });
      const [json] = await r2({ operation: 'get', key: 'q1/notes.json', format: 'json' });
      const listed = await r2({ operation: 'list', prefix: 'q1/' });
      await r2({ operation: 'delete', key: 'q1/notes.json' });

      expect(cf.stub.requests[0]!.path).toBe(`/client/v4/accounts/${ACCOUNT_ID}/r2/buckets/reports/objects/q1%2Freport.pdf`);
      expect(cf.stub.requests[0]!.headers['content-type']).toBe('application/pdf');
      expect(put!.json).toMatchObject({ id: 1, r2: { bucket: 'reports', key: 'q1/report.pdf', operation: 'put', object: { size: pdf.length } } });
      expect(binary!.binary!.data).toEqual({ mimeType: 'application/pdf', fileName: 'report.pdf', data: pdf.toString('base64') });
      expect(json!.json.content).toEqual({ ok: true });
      expect(listed.map((item) => item.json.key)).toEqual(['q1/notes.json', 'q1/report.pdf']);
      expect(cf.r2.has('reports/q1/notes.json')).toBe(false);
    });

    it('reports a missing object with its code', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-r2', [{ json: {} }], { ...common, bucket: 'reports', key: 'nothing.txt' });

      expect(error.message).toContain(`Cloudflare R2 get of 'reports/nothing.txt' found nothing`);
      expect(error.message).toContain('code 10007: The specified key does not exist.');
    });

    it('rejects an invalid bucket name', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-r2', [{ json: {} }], { ...common, bucket: 'My_Bucket', key: 'a' });

      expect(error.message).toContain(`Parameter 'bucket' is "My_Bucket"; R2 bucket names have 3 to 63 lower-case letters`);
    });
  });

  describe('D1', () => {
    it('inserts and selects with bound parameters', async () => {
      const inserted = await k.runNode('mify.io.cloudflare-d1', [{ json: { id: 1, email: 'a@x.io' } }, { json: { id: 2, email: 'b@x.io' } }], { ...common, databaseId: 'db-1', sql: 'INSERT INTO users (id, email) VALUES (?, ?)', output: 'statements' }, [
        { ...common, databaseId: 'db-1', sql: 'INSERT INTO users (id, email) VALUES (?, ?)', output: 'statements', params: [1, 'a@x.io'] },
        { ...common, databaseId: 'db-1', sql: 'INSERT INTO users (id, email) VALUES (?, ?)', output: 'statements', params: [2, 'b@x.io'] },
      ]);
      const rows = await k.runNode('mify.io.cloudflare-d1', [{ json: {} }], { ...common, databaseId: 'db-1', sql: 'SELECT id, email FROM users WHERE id >= ?', params: [1] });

      expect(JSON.parse(cf.stub.requests[0]!.text)).toEqual({ sql: 'INSERT INTO users (id, email) VALUES (?, ?)', params: [1, 'a@x.io'] });
      expect(inserted[1]!.json.d1[0].meta).toMatchObject({ changes: 1, last_row_id: 2 });
      expect(rows.map((item) => item.json)).toEqual([{ id: 1, email: 'a@x.io' }, { id: 2, email: 'b@x.io' }]);
    });

    it('reports an SQL error from the envelope', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-d1', [{ json: {} }], { ...common, databaseId: 'db-1', sql: 'SELEC 1' });

      expect(error.message).toContain(`Cloudflare D1 query on database 'db-1' was rejected (HTTP 400, code 7500: near "SELEC": syntax error`);
    });
  });

  describe('Vectorize', () => {
    it('upserts vectors and queries the nearest', async () => {
      const items = [
        { json: { id: 'a', embedding: [1, 0, 0], topic: 'cats' } },
        { json: { id: 'b', embedding: [0, 1, 0], topic: 'dogs' } },
        { json: { id: 'c', embedding: [0.9, 0.1, 0], topic: 'cats' } },
      ];
      const upserted = await k.runNode('mify.io.cloudflare-vectorize', items, { ...common, operation: 'upsert', index: 'docs', batchSize: 2 }, items.map((item) => ({ ...common, operation: 'upsert', index: 'docs', batchSize: 2, metadata: { topic: item.json.topic } })));
      const [queried] = await k.runNode('mify.io.cloudflare-vectorize', [{ json: { q: 'cats' } }], { ...common, index: 'docs', vector: [1, 0, 0], topK: 2, returnMetadata: 'all' });
      const split = await k.runNode('mify.io.cloudflare-vectorize', [{ json: {} }], { ...common, index: 'docs', vector: [0, 1, 0], topK: 1, filter: { topic: 'dogs' }, splitMatches: true });

      expect(cf.stub.requests[0]!.headers['content-type']).toBe('application/x-ndjson');
      expect(cf.stub.requests[0]!.text.trim().split('\n').map((line) => JSON.parse(line).id)).toEqual(['a', 'b']);
      expect(upserted.map((item) => item.json.vectorize.mutationId)).toEqual(['mutation-2', 'mutation-2', 'mutation-1']);
      expect(queried!.json.matches.map((match: { id: string }) => match.id)).toEqual(['a', 'c']);
      expect(queried!.json.matches[0].metadata).toEqual({ topic: 'cats' });
      expect(split.map((item) => item.json)).toEqual([{ id: 'b', score: 1, rank: 1 }]);
    });

    it('rejects a vector that is not numbers', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-vectorize', [{ json: {} }], { ...common, index: 'docs', vector: [1, 'x'] });

      expect(error.message).toContain(`Parameter 'vector' must be a non-empty array of finite numbers`);
    });
  });

  describe('Queues', () => {
    it('sends items in batches', async () => {
      const items = Array.from({ length: 150 }, (_, index) => ({ json: { n: index } }));
      const output = await k.runNode('mify.io.cloudflare-queues', items, { ...common, queueId: 'q-1', delaySeconds: 5 });

      expect(cf.stub.requests.map((request) => request.path)).toEqual([`/client/v4/accounts/${ACCOUNT_ID}/queues/q-1/messages/batch`, `/client/v4/accounts/${ACCOUNT_ID}/queues/q-1/messages/batch`]);
      expect(cf.queue).toHaveLength(150);
      expect(cf.queue[149]).toEqual({ body: { n: 149 }, content_type: 'json', delay_seconds: 5 });
      expect(output[0]!.json).toEqual({ n: 0, queue: { queueId: 'q-1', sent: true } });
    });
  });

  describe('errors and retries', () => {
    it('explains a rejected token', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-kv', [{ json: {} }], { credential: 'cf-bad-token', namespaceId: 'ns1', key: 'a' });

      expect(error.message).toContain(`the API token of credential 'cf-bad-token' is invalid or expired (HTTP 401, code 10000: Authentication error)`);
      expect(error.message).toContain(`'Workers KV Storage Read' permission`);
    });

    it('explains a credential without an account id', async () => {
      const error = await k.runNodeError('mify.io.cloudflare-d1', [{ json: {} }], { credential: 'cf-no-account', databaseId: 'db', sql: 'SELECT 1' });

      expect(error.message).toContain(`Credential 'cf-no-account' needs accountId`);
      expect(cf.stub.requests).toHaveLength(0);
    });

    it('retries 429 after Retry-After and 5xx', async () => {
      cf.failures.push({ status: 429, retryAfter: '1' }, { status: 502 });

      const [item] = await k.runNode('mify.io.cloudflare-kv', [{ json: {} }], { ...common, namespaceId: 'ns1', operation: 'put', key: 'retry', value: 'ok' });

      expect(item!.json.kv).toEqual({ key: 'retry', operation: 'put', stored: true });
      expect(cf.stub.requests).toHaveLength(3);
      expect(cf.stub.requests[1]!.at - cf.stub.requests[0]!.at).toBeGreaterThanOrEqual(950);
    });

    it('fails when the retries run out', async () => {
      cf.failures.push({ status: 429 }, { status: 429 });

      const error = await k.runNodeError('mify.io.cloudflare-queues', [{ json: {} }], { ...common, queueId: 'q-1', maxRetries: 1 });

      expect(error.message).toContain(`Cloudflare Queues send to queue 'q-1' was rate limited after 2 attempts (HTTP 429, code 971`);
    });
  });
});
