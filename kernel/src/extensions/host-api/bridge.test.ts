import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { HOST_METHOD_PERMISSIONS } from '@mify/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharedState } from '../../infra/types.js';
import { createLogger } from '../../logger.js';
import { backendTitle, databaseBackends, type TestDatabase } from '../../test-support/databases.js';
import { createHostBridge, HOST_METHODS } from './bridge.js';
import { eventChannel, type ExtensionEventMessage } from './events.js';
import { MAX_LOG_MESSAGE_CHARS } from './log.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { HostCallContext, HostServices } from './types.js';

/** Collects pino's JSON lines. */
function logCapture(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

describe('host method table', () => {
  it('matches the permissions the SDK documents', () => {
    const kernel = Object.fromEntries(HOST_METHODS.map((method) => [method.name, method.permission]));

    for (const [name, permission] of Object.entries(HOST_METHOD_PERMISSIONS)) {
      expect(kernel[name], name).toBe(name === 'http.fetch' ? 'http:fetch:<host>' : permission);
    }
  });
});

describe.each(databaseBackends)('host bridge on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;
    let database: TestDatabase;
    let sharedState: SharedState;
    let services: HostServices;
    let dataDir: string;
    const logs = logCapture();

    function bridge(overrides: Partial<HostCallContext> = {}) {
      return createHostBridge({ extensionId: 'acme.notes', permissions: [], workspaceId: 'ws_a', collections: [], dataDir, ...overrides }, services);
    }

    async function auditRows(actorId: string) {
      await services.auditQueue!.flush();
      return database.db.query<{ action: string; target: string | null; workspace_id: string | null; actor_type: string; details: Record<string, unknown> }>(
        `select action, target, workspace_id, actor_type, details from audit_log where actor_id = $1 order by id`,
        [actorId],
      );
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name, { logger: createLogger({ level: 'debug', destination: logs.stream }) });
      ({ database, services } = host);
      sharedState = services.sharedState;
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-host-api-'));
      await database.db.prisma.workspace.create({ data: { id: 'ws_a', slug: 'alpha', name: 'Alpha' } });
    });

    afterAll(async () => {
      await host?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    describe('permission checks', () => {
      const cases: Array<[method: string, args: unknown[], permission: string]> = [
        ['kv.get', ['k'], 'kv:read'],
        ['kv.set', ['k', 1], 'kv:write'],
        ['collections.find', ['tasks', {}], 'collections:read'],
        ['collections.put', ['tasks', { data: {} }], 'collections:write'],
        ['vectors.query', ['docs', { vector: [1], topK: 1 }], 'vectors:read'],
        ['vectors.createCollection', ['docs', { dimensions: 3 }], 'vectors:write'],
        ['http.fetch', ['https://api.example.com/items'], 'http:fetch:api.example.com'],
        ['credentials.get', ['openai'], 'credentials:read'],
        ['events.publish', ['saved', {}], 'events:publish'],
        ['events.subscribe', ['saved'], 'events:subscribe'],
        ['files.read', ['notes.txt'], 'files:read'],
        ['files.write', ['notes.txt', { text: 'x' }], 'files:write'],
        ['graphs.get', ['g1'], 'graphs:read'],
        ['runs.start', ['g1'], 'runs:start'],
        ['llm.chat', [{ model: 'm', messages: [] }], 'llm:invoke'],
      ];

      it.each(cases)('denies %s without %s', async (method, args, permission) => {
        const error = await rejection(bridge().call(method, args));

        expect(error.code).toBe('permission_denied');
        expect(error.status).toBe(403);
        expect(error.message).toBe(
          `Extension 'acme.notes' called ${method} without the permission '${permission}'. Add "${permission}" to "permissions" in its mify.extension.json.`,
        );
      });

      it('denies http.fetch to a host the manifest does not list', async () => {
        const error = await rejection(bridge({ permissions: ['http:fetch:api.example.com'] }).call('http.fetch', ['https://other.example.com/']));

        expect(error.code).toBe('permission_denied');
        expect(error.message).toContain(`without the permission 'http:fetch:other.example.com'`);
      });

      it('rejects an unknown method', async () => {
        const error = await rejection(bridge({ permissions: ['kv:read'] }).call('kv.drop', []));

        expect(error.code).toBe('unknown_method');
        expect(error.message).toContain(`'kv.drop'`);
      });
    });

    describe('argument validation', () => {
      it('names the invalid argument', async () => {
        const error = await rejection(bridge({ permissions: ['kv:write'] }).call('kv.set', ['', 1]));

        expect(error.code).toBe('invalid_argument');
        expect(error.status).toBe(422);
        expect(error.message).toMatch(/^Invalid arguments to kv\.set\(key, value, options\): key: /);
      });

      it('names a nested option', async () => {
        const error = await rejection(bridge({ permissions: ['kv:write'] }).call('kv.set', ['k', 1, { ttlMs: -5 }]));

        expect(error.message).toContain('options.ttlMs');
      });

      it('rejects extra arguments', async () => {
        const error = await rejection(bridge({ permissions: ['kv:read'] }).call('kv.get', ['a', 'b']));

        expect(error.message).toContain('takes at most 1 arguments, got 2');
      });

      it('rejects arguments that are not an array', async () => {
        const error = await rejection(bridge({ permissions: ['kv:read'] }).call('kv.get', 'a' as never));

        expect(error.message).toContain('must be a JSON array');
      });
    });

    describe('audit', () => {
      it('records allowed and denied calls without values', async () => {
        const extension = bridge({ extensionId: 'acme.audited', permissions: ['kv:write'], runId: 'run_1', nodeId: 'node_1' });
        await extension.call('kv.set', ['secret-key', 'secret-value']);
        await rejection(extension.call('kv.get', ['secret-key']));

        const rows = await auditRows('acme.audited');

        expect(rows.map((row) => row.action)).toEqual(['host.kv.set', 'host.kv.get']);
        expect(rows[0]!.details).toEqual({ allowed: true, runId: 'run_1', nodeId: 'node_1' });
        expect(rows[1]!.details).toEqual({ allowed: false, runId: 'run_1', nodeId: 'node_1', error: 'permission_denied' });
        expect(rows.every((row) => row.actor_type === 'extension' && row.workspace_id === 'ws_a')).toBe(true);
        expect(JSON.stringify(rows)).not.toContain('secret');
      });

      it('records failures after the permission check as allowed', async () => {
        const extension = bridge({ extensionId: 'acme.audit-fail', permissions: ['kv:write'] });
        await rejection(extension.call('kv.set', ['', 1]));

        const rows = await auditRows('acme.audit-fail');

        expect(rows[0]!.details).toEqual({ allowed: true, runId: null, nodeId: null, error: 'invalid_argument' });
      });

      it('records unknown methods', async () => {
        await rejection(bridge({ extensionId: 'acme.audit-unknown' }).call('nope.nothing', []));

        const rows = await auditRows('acme.audit-unknown');

        expect(rows).toMatchObject([{ action: 'host.unknown_method', target: 'nope.nothing', details: { allowed: false } }]);
      });

      it('writes a full batch without flush', async () => {
        const extension = bridge({ extensionId: 'acme.audit-batch' });
        for (let call = 0; call < 100; call += 1) await extension.call('log.debug', [`line ${call}`]);

        await expect.poll(async () => (await database.db.query(`select 1 from audit_log where actor_id = 'acme.audit-batch'`)).length, { timeout: 5_000 }).toBe(100);
      });

      it('writes a partial batch after the flush interval', async () => {
        await bridge({ extensionId: 'acme.audit-timer' }).call('log.info', ['one line']);

        await expect.poll(async () => (await database.db.query(`select 1 from audit_log where actor_id = 'acme.audit-timer'`)).length, { timeout: 5_000 }).toBe(1);
      });
    });

    describe('log', () => {
      it('writes with the extension id and fields', async () => {
        await bridge({ extensionId: 'acme.logger', runId: 'run_9' }).call('log.warn', ['disk almost full', { freeMb: 12 }]);

        const line = logs.lines.find((entry) => entry.msg === 'disk almost full');

        expect(line).toMatchObject({ level: 40, extensionId: 'acme.logger', runId: 'run_9', fields: { freeMb: 12 } });
      });

      it('keeps fields from overwriting the extension id', async () => {
        await bridge({ extensionId: 'acme.logger' }).call('log.info', ['spoof attempt', { extensionId: 'mify.kernel' }]);

        const line = logs.lines.find((entry) => entry.msg === 'spoof attempt');

        expect(line?.extensionId).toBe('acme.logger');
      });

      it('truncates long messages', async () => {
        await bridge({ extensionId: 'acme.logger' }).call('log.info', [`long:${'x'.repeat(MAX_LOG_MESSAGE_CHARS * 2)}`]);

        const line = logs.lines.find((entry) => String(entry.msg).startsWith('long:'));

        expect(String(line?.msg)).toMatch(/… \[truncated \d+ characters\]$/);
        expect(String(line?.msg).length).toBeLessThan(MAX_LOG_MESSAGE_CHARS + 50);
      });

      it('drops lines over the rate limit', async () => {
        // The limit is per extension and process, so each back end's run uses its own extension id.
        const extensionId = `acme.chatty-${backend.name}`;
        const extension = bridge({ extensionId });
        const results = [];
        for (let call = 0; call < 250; call += 1) results.push(await extension.call('log.debug', [`chatty ${call}`]));

        expect(results.filter((result) => (result as { logged: boolean }).logged)).toHaveLength(200);
        expect(logs.lines.filter((entry) => entry.extensionId === extensionId && String(entry.msg).startsWith('chatty'))).toHaveLength(200);
      });
    });

    describe('events', () => {
      it('publishes on the extension channel', async () => {
        const received: string[] = [];
        const unsubscribe = await sharedState.pubsub.subscribe(eventChannel('acme.notes', 'note.saved'), (message) => received.push(message));

        await bridge({ permissions: ['events:publish'], runId: 'run_2' }).call('events.publish', ['note.saved', { id: 'n1' }]);
        await expect.poll(() => received.length).toBe(1);
        await unsubscribe();

        const message = JSON.parse(received[0]!) as ExtensionEventMessage;
        expect(message).toMatchObject({ topic: 'note.saved', payload: { id: 'n1' }, source: 'acme.notes', workspaceId: 'ws_a', runId: 'run_2' });
      });

      it('names the channel after the extension', () => {
        expect(eventChannel('acme.notes', 'note.saved')).toBe('ext.acme.notes.note.saved');
      });

      it('rejects a topic with a wildcard', async () => {
        const error = await rejection(bridge({ permissions: ['events:publish'] }).call('events.publish', ['*', {}]));

        expect(error.code).toBe('invalid_argument');
      });

      it('reports subscribe as not available', async () => {
        const error = await rejection(bridge({ permissions: ['events:subscribe'] }).call('events.subscribe', ['note.saved']));

        expect(error.code).toBe('not_available');
        expect(error.status).toBe(501);
      });
    });

    describe('credentials', () => {
      beforeAll(async () => {
        await services.vault.create('ws_a', { name: 'crm', type: 'acme.crm', data: { apiKey: 'sk-test-123' } });
      });

      it('resolves by name and audits the read for the node', async () => {
        const credential = await bridge({ permissions: ['credentials:read'], runId: 'run_3', nodeId: 'node_3' }).call('credentials.get', ['crm']);
        const reads = await database.db.query<{ actor_type: string; actor_id: string; details: Record<string, unknown> }>(
          `select actor_type, actor_id, details from audit_log where action = 'credential.read'`,
        );

        expect(credential).toMatchObject({ type: 'acme.crm', data: { apiKey: 'sk-test-123' } });
        expect(reads).toContainEqual({ actor_type: 'node', actor_id: 'acme.notes', details: { runId: 'run_3', nodeId: 'node_3', scope: 'workspace' } });
      });

      it('requires a workspace', async () => {
        const error = await rejection(bridge({ permissions: ['credentials:read'], workspaceId: null }).call('credentials.get', ['crm']));

        expect(error.code).toBe('workspace_required');
      });

      it('keeps the secret out of the host audit rows', async () => {
        await bridge({ extensionId: 'acme.reader', permissions: ['credentials:read'] }).call('credentials.get', ['crm']);

        const rows = await auditRows('acme.reader');

        expect(JSON.stringify(rows)).not.toContain('sk-test-123');
      });
    });

    describe('services still to come', () => {
      it.each([
        ['graphs.list', 'graphs:read', []],
        ['runs.get', 'runs:read', ['run_1']],
        ['llm.embed', 'llm:invoke', [{ model: 'm', input: ['x'] }]],
      ])('reports %s as not available', async (method, permission, args) => {
        const error = await rejection(bridge({ permissions: [permission] }).call(method, args));

        expect(error.code).toBe('not_available');
        expect(error.status).toBe(501);
      });
    });
  });
});
