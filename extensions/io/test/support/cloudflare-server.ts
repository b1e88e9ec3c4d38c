/**
 * A local server that speaks the parts of Cloudflare's REST API the Cloudflare nodes use,
 * under `/client/v4/accounts/<account>/…`, with the `{ success, errors, messages, result }`
 * envelope and bearer-token checks. KV, R2, Vectorize and Queues keep their data in memory;
 * D1 understands two statements on a `users` table (insert and select by id).
 */
import type http from 'node:http';
import { sendJson, startStubServer, type RecordedRequest, type StubServer } from './stub-server.js';

export const ACCOUNT_ID = '0123456789abcdef0123456789abcdef';
export const API_TOKEN = 'cf-test-token';

export interface CloudflareServer {
  stub: StubServer;
  /** Base URL to store in the credential, ending in /client/v4. */
  baseUrl: string;
  kv: Map<string, { value: Buffer; metadata?: unknown; expiration?: number }>;
  r2: Map<string, { body: Buffer; contentType: string }>;
  vectors: Map<string, { id: string; values: number[]; metadata?: Record<string, unknown>; namespace?: string }>;
  queue: Array<{ body: unknown; content_type: string; delay_seconds?: number }>;
  users: Map<number, { id: number; email: string }>;
  /** Most keys one KV list page returns, below the requested limit, as Cloudflare may return fewer. */
  kvPageSize: number;
  /** Failures returned for the next requests, before normal handling. */
  failures: Array<{ status: number; retryAfter?: string }>;
  close(): Promise<void>;
}

function envelope(result: unknown, extra: Record<string, unknown> = {}) {
  return { success: true, errors: [], messages: [], result, ...extra };
}

function failure(response: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}) {
  sendJson(response, status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    normA += a[index]! ** 2;
    normB += b[index]! ** 2;
  }
  return dot / Math.sqrt(normA * normB);
}

/** Splits a multipart/form-data body into its named parts. */
function multipartParts(request: RecordedRequest): Map<string, Buffer> {
  const boundary = /boundary=([^;]+)/.exec(request.headers['content-type'] ?? '')![1]!;
  const parts = new Map<string, Buffer>();
  const delimiter = Buffer.from(`--${boundary}`);
  let position = request.body.indexOf(delimiter);
  while (position !== -1) {
    const next = request.body.indexOf(delimiter, position + delimiter.length);
    if (next === -1) break;
    const part = request.body.subarray(position + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(part.subarray(0, headerEnd).toString())![1]!;
    parts.set(name, part.subarray(headerEnd + 4));
    position = next;
  }
  return parts;
}

export async function startCloudflareServer(): Promise<CloudflareServer> {
  const stub = await startStubServer();
  const server: CloudflareServer = {
    stub,
    baseUrl: `${stub.url}/client/v4`,
    kv: new Map(),
    r2: new Map(),
    vectors: new Map(),
    queue: [],
    users: new Map(),
    kvPageSize: 1000,
    failures: [],
    close: () => stub.close(),
  };

  stub.handle = (request, response) => {
    const prefix = `/client/v4/accounts/${ACCOUNT_ID}`;
    const authorization = request.headers.authorization;
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return failure(response, 400, 6003, 'Invalid request headers');
    if (authorization !== `Bearer ${API_TOKEN}`) return failure(response, 401, 10000, 'Authentication error');
    if (!request.path.startsWith(`${prefix}/`)) return failure(response, 404, 7003, 'Could not route to /client/v4' + request.path + ', perhaps your object identifier is invalid?');
    const pending = server.failures.shift();
    if (pending) return failure(response, pending.status, pending.status === 429 ? 971 : 10013, pending.status === 429 ? 'Please wait and consider throttling your request speed' : 'Internal error', pending.retryAfter ? { 'retry-after': pending.retryAfter } : {});

    const path = request.path.slice(prefix.length);
    let match: RegExpExecArray | null;

    // Workers KV
    if ((match = /^\/storage\/kv\/namespaces\/([^/]+)\/values\/(.+)$/.exec(path))) {
      const key = `${match[1]}:${decodeURIComponent(match[2]!)}`;
      if (request.method === 'GET') {
        const entry = server.kv.get(key);
        if (!entry) return failure(response, 404, 10009, "get: 'key not found'");
        return response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(entry.value);
      }
      if (request.method === 'PUT') {
        const multipart = (request.headers['content-type'] ?? '').startsWith('multipart/form-data');
        const parts = multipart ? multipartParts(request) : null;
        const value = parts ? parts.get('value')! : request.body;
        const ttl = request.query.get('expiration_ttl');
        if (ttl !== null && Number(ttl) < 60) return failure(response, 400, 10033, 'Invalid expiration_ttl of ' + ttl + '. Expiration TTL must be at least 60.');
        server.kv.set(key, { value, ...(parts?.has('metadata') ? { metadata: JSON.parse(parts.get('metadata')!.toString()) } : {}), ...(ttl ? { expiration: Math.floor(Date.now() / 1000) + Number(ttl) } : {}) });
        return sendJson(response, 200, envelope({}));
      }
      if (request.method === 'DELETE') {
        server.kv.delete(key);
        return sendJson(response, 200, envelope({}));
      }
    }
    if ((match = /^\/storage\/kv\/namespaces\/([^/]+)\/keys$/.exec(path)) && request.method === 'GET') {
      const namespace = `${match[1]}:`;
      const prefixFilter = request.query.get('prefix') ?? '';
      const limit = Number(request.query.get('limit') ?? 1000);
      if (limit < 10 || limit > 1000) return failure(response, 400, 10026, 'Invalid key limit: must be between 10 and 1000');
      const names = [...server.kv.keys()].filter((key) => key.startsWith(namespace)).map((key) => key.slice(namespace.length)).filter((name) => name.startsWith(prefixFilter)).sort();
      const start = Number(request.query.get('cursor') ?? 0);
      const size = Math.min(limit, server.kvPageSize);
      const page = names.slice(start, start + size);
      const next = start + size < names.length ? String(start + size) : '';
      const result = page.map((name) => {
        const entry = server.kv.get(namespace + name)!;
        return { name, ...(entry.expiration ? { expiration: entry.expiration } : {}), ...(entry.metadata ? { metadata: entry.metadata } : {}) };
      });
      return sendJson(response, 200, envelope(result, { result_info: { count: result.length, cursor: next } }));
    }

    // R2 objects
    if ((match = /^\/r2\/buckets\/([^/]+)\/objects\/(.+)$/.exec(path))) {
      const key = `${match[1]}/${decodeURIComponent(match[2]!)}`;
      if (request.method === 'GET') {
        const object = server.r2.get(key);
        if (!object) return failure(response, 404, 10007, 'The specified key does not exist.');
        return response.writeHead(200, { 'content-type': object.contentType, etag: '"e1"' }).end(object.body);
      }
      if (request.method === 'PUT') {
        server.r2.set(key, { body: request.body, contentType: request.headers['content-type'] ?? 'application/octet-stream' });
        return sendJson(response, 200, envelope({ key: decodeURIComponent(match[2]!), size: request.body.length, etag: 'e1', uploaded: '2026-01-01T00:00:00.000Z', storage_class: 'Standard' }));
      }
      if (request.method === 'DELETE') {
        server.r2.delete(key);
        return sendJson(response, 200, envelope({}));
      }
    }
    if ((match = /^\/r2\/buckets\/([^/]+)\/objects$/.exec(path)) && request.method === 'GET') {
      const bucket = `${match[1]}/`;
      const perPage = Number(request.query.get('per_page') ?? 1000);
      const keys = [...server.r2.keys()].filter((key) => key.startsWith(bucket + (request.query.get('prefix') ?? ''))).sort();
      const start = Number(request.query.get('cursor') ?? 0);
      const page = keys.slice(start, start + perPage).map((key) => ({ key: key.slice(bucket.length), size: server.r2.get(key)!.body.length, etag: 'e1', last_modified: '2026-01-01T00:00:00.000Z', http_metadata: { contentType: server.r2.get(key)!.contentType }, custom_metadata: {}, storage_class: 'Standard' }));
      const truncated = start + perPage < keys.length;
      return sendJson(response, 200, envelope(page, { result_info: { cursor: truncated ? String(start + perPage) : '', is_truncated: truncated, per_page: perPage } }));
    }

    // D1
    if ((match = /^\/d1\/database\/([^/]+)\/query$/.exec(path)) && request.method === 'POST') {
      const { sql, params } = JSON.parse(request.text) as { sql: string; params: unknown[] };
      const meta = (changes: number, lastRowId: number, rowsRead: number) => ({ changed_db: changes > 0, changes, duration: 0.2, last_row_id: lastRowId, rows_read: rowsRead, rows_written: changes, size_after: 8192 });
      if (/^INSERT INTO users \(id, email\) VALUES \(\?, \?\)$/i.test(sql)) {
        const [id, email] = params as [number, string];
        if (server.users.has(id)) return failure(response, 400, 7500, 'UNIQUE constraint failed: users.id: SQLITE_CONSTRAINT');
        server.users.set(id, { id, email });
        return sendJson(response, 200, envelope([{ results: [], success: true, meta: meta(1, id, 0) }]));
      }
      if (/^SELECT id, email FROM users WHERE id >= \?$/i.test(sql)) {
        const rows = [...server.users.values()].filter((user) => user.id >= (params[0] as number)).sort((a, b) => a.id - b.id);
        return sendJson(response, 200, envelope([{ results: rows, success: true, meta: meta(0, 0, rows.length) }]));
      }
      return failure(response, 400, 7500, `near "${sql.split(' ')[0]}": syntax error at offset 0: SQLITE_ERROR`);
    }

    // Vectorize v2
    if ((match = /^\/vectorize\/v2\/indexes\/([^/]+)\/(query|upsert)$/.exec(path)) && request.method === 'POST') {
      if (match[2] === 'upsert') {
        if (request.headers['content-type'] !== 'application/x-ndjson') return failure(response, 400, 40006, 'expected application/x-ndjson');
        const lines = request.text.split('\n').filter((line) => line.trim() !== '');
        for (const line of lines) {
          const vector = JSON.parse(line) as { id: string; values: number[]; metadata?: Record<string, unknown>; namespace?: string };
          server.vectors.set(`${match[1]}:${vector.id}`, vector);
        }
        return sendJson(response, 200, envelope({ mutationId: `mutation-${lines.length}` }));
      }
      const query = JSON.parse(request.text) as { vector: number[]; topK: number; returnValues: boolean; returnMetadata: string; filter?: Record<string, unknown> };
      const matches = [...server.vectors.entries()]
        .filter(([key]) => key.startsWith(`${match![1]}:`))
        .map(([, vector]) => vector)
        .filter((vector) => !query.filter || Object.entries(query.filter).every(([field, value]) => vector.metadata?.[field] === value))
        .map((vector) => ({ id: vector.id, score: cosine(query.vector, vector.values), ...(query.returnValues ? { values: vector.values } : {}), ...(query.returnMetadata !== 'none' ? { metadata: vector.metadata ?? {} } : {}) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, query.topK);
      return sendJson(response, 200, envelope({ count: matches.length, matches }));
    }

    // Queues
    if ((match = /^\/queues\/([^/]+)\/messages\/batch$/.exec(path)) && request.method === 'POST') {
      const { messages } = JSON.parse(request.text) as { messages: CloudflareServer['queue'] };
      if (messages.length > 100) return failure(response, 400, 100101, 'Too many messages in batch');
      server.queue.push(...messages);
      return sendJson(response, 200, envelope({ metadata: { metrics: { backlog_count: server.queue.length } } }));
    }

    failure(response, 404, 7003, `No route for ${request.method} ${request.path}`);
  };
  return server;
}
