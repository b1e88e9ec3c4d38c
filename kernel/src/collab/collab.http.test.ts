/**
 * Live collaboration over a real WebSocket: two Hocuspocus providers (the client the studio
 * uses) edit one graph through the kernel, on each database back end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { readGraphFromDoc, writeGraphToDoc, type GraphJson } from '@mify/sdk/graph-doc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { loadConfig } from '../config.js';
import { createKernel } from '../kernel.js';
import { createLogger } from '../logger.js';
import { ACME_TEST, testEdge, testNode } from '../runtime/testing/acme-extension.js';
import { startServer } from '../server.js';
import { backendTitle, createServerDatabase, databaseBackends, dropServerDatabase } from '../test-support/databases.js';
import { writeIsolateExtension } from '../test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../test-support/kernel.js';

/** Public workflow exports of other platforms (see SOURCES.md there). */
const IMPORT_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../tests/fixtures/imports');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const definition = { nodes: [testNode('t', 'trigger'), testNode('p', 'pass', { parameters: { note: 'first' } })], edges: [testEdge('t', 'p')] };

async function waitFor<T>(description: string, read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

interface Client {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  failures: string[];
  close(): void;
}

/** Connects a provider to the kernel's collaboration endpoint and waits until it has synced, or was refused. */
async function connect(baseUrl: string, graphId: string, token: string): Promise<Client> {
  const doc = new Y.Doc();
  const failures: string[] = [];
  const socket = new HocuspocusProviderWebsocket({ url: `${baseUrl.replace(/^http/, 'ws')}/api/collab`, WebSocketPolyfill: WebSocket, maxAttempts: 1 });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: graphId, document: doc, token, onAuthenticationFailed: ({ reason }) => failures.push(reason) });
  // A provider given its socket does not attach itself; the socket connects once attached.
  provider.attach();
  await waitFor('the provider to sync or be refused', () => provider.isSynced || failures.length > 0, Boolean);
  return {
    doc,
    provider,
    failures,
    close() {
      provider.destroy();
      socket.destroy();
    },
  };
}

const parameterOf = (doc: Y.Doc, nodeId: string, name: string) => readGraphFromDoc(doc).nodes.find((node) => node.id === nodeId)?.parameters?.[name];

function setParameter(doc: Y.Doc, nodeId: string, name: string, value: unknown): void {
  const graph = readGraphFromDoc(doc);
  const node = graph.nodes.find((candidate) => candidate.id === nodeId)!;
  node.parameters = { ...node.parameters, [name]: value };
  writeGraphToDoc(doc, graph);
}

describe.each(databaseBackends)('live collaboration on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let t: TestKernel;
    let editorKey: string;
    let viewerKey: string;
    let otherWorkspaceKey: string;
    let cookie: string;

    async function createGraph(): Promise<string> {
      const response = await t.fetch('/api/graphs', { method: 'POST', key: editorKey, json: { name: 'Shared', definition } });
      const body = (await response.json()) as { id: string };
      expect(response.status, JSON.stringify(body)).toBe(201);
      return body.id;
    }

    beforeAll(async () => {
      t = await startTestKernel(backend.name);
      const owner = await setupOwner(t, { workspace: 'Collab' });
      cookie = owner.cookie;
      const key = async (role: string, headers: Record<string, string> = {}) =>
        ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie, headers, json: { name: role, role } })).json()) as { key: string }).key;
      editorKey = await key('editor');
      viewerKey = await key('viewer');
      const other = (await (await t.fetch('/api/workspaces', { method: 'POST', cookie, json: { name: 'Elsewhere' } })).json()) as { id: string };
      otherWorkspaceKey = await key('editor', { 'x-mify-workspace': other.id });
      await t.kernel.services.extensionHost.install({ folder: writeIsolateExtension({ id: ACME_TEST.id, code: ACME_TEST.code, manifest: ACME_TEST.manifest }) });
    });

    afterAll(async () => {
      await t?.close();
    });

    const importFixtures = fs.readdirSync(IMPORT_FIXTURES).flatMap((platform) =>
      fs.statSync(path.join(IMPORT_FIXTURES, platform)).isDirectory() ? fs.readdirSync(path.join(IMPORT_FIXTURES, platform)).map((file) => [platform, file] as const) : [],
    );

    it.each(importFixtures)('imported %s/%s converts losslessly', async (platform, file) => {
      const content = fs.readFileSync(path.join(IMPORT_FIXTURES, platform, file), 'utf8');
      const imported = await t.fetch(`/api/graphs/import/${platform}`, { method: 'POST', key: editorKey, json: { fileName: file, content, confirmNewerVersion: true } });
      const body = (await imported.json()) as { graph: { id: string }; additionalGraphs?: Array<{ graph: { id: string } }> };
      expect(imported.status, JSON.stringify(body)).toBe(201);

      for (const { id } of [body.graph, ...(body.additionalGraphs ?? []).map((entry) => entry.graph)]) {
        const stored = (await (await t.fetch(`/api/graphs/${id}`, { key: editorKey })).json()) as { draft: GraphJson };
        const doc = new Y.Doc();
        writeGraphToDoc(doc, stored.draft);
        const copy = new Y.Doc();
        Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));

        expect(readGraphFromDoc(copy)).toEqual(stored.draft);
      }
    });

    it('two providers see each other edits', async () => {
      const graphId = await createGraph();
      const a = await connect(t.url, graphId, editorKey);
      const b = await connect(t.url, graphId, editorKey);
      try {
        expect(readGraphFromDoc(a.doc)).toEqual(readGraphFromDoc(b.doc));
        expect(parameterOf(a.doc, 'p', 'note')).toBe('first');

        setParameter(a.doc, 'p', 'note', 'from a');
        setParameter(b.doc, 't', 'label', 'from b');

        await waitFor('both edits on both sides', () => [parameterOf(a.doc, 't', 'label'), parameterOf(b.doc, 'p', 'note')], ([label, note]) => label === 'from b' && note === 'from a');
        expect(readGraphFromDoc(a.doc)).toEqual(readGraphFromDoc(b.doc));
      } finally {
        a.close();
        b.close();
      }
    });

    it('accepts the session token of a signed-in user', async () => {
      const graphId = await createGraph();
      const sessionToken = cookie.split('=')[1]!;
      const client = await connect(t.url, graphId, sessionToken);
      try {
        expect(client.failures).toEqual([]);
        expect(parameterOf(client.doc, 'p', 'note')).toBe('first');
      } finally {
        client.close();
      }
    });

    it('viewer edits reach nobody', async () => {
      const graphId = await createGraph();
      const editor = await connect(t.url, graphId, editorKey);
      const viewer = await connect(t.url, graphId, viewerKey);
      try {
        setParameter(viewer.doc, 'p', 'note', 'from the viewer');
        setParameter(editor.doc, 't', 'label', 'from the editor');

        await waitFor('the editor change at the viewer', () => parameterOf(viewer.doc, 't', 'label'), (label) => label === 'from the editor');
        await sleep(300);
        const later = await connect(t.url, graphId, editorKey);
        later.close();

        expect(parameterOf(editor.doc, 'p', 'note')).toBe('first');
        expect(parameterOf(later.doc, 'p', 'note')).toBe('first');
        expect(parameterOf(later.doc, 't', 'label')).toBe('from the editor');
      } finally {
        editor.close();
        viewer.close();
      }
    });

    it('refuses a wrong key, another workspace and an unknown graph', async () => {
      const graphId = await createGraph();
      const wrong = await connect(t.url, graphId, 'mify_wrong');
      const foreign = await connect(t.url, graphId, otherWorkspaceKey);
      const unknown = await connect(t.url, 'gr_missing', editorKey);
      try {
        expect(wrong.failures[0]).toMatch(/no valid session or key/);
        expect(foreign.failures[0]).toMatch(/not found in the API key's workspace/);
        expect(unknown.failures[0]).toMatch(/was not found/);
        expect(wrong.provider.isSynced).toBe(false);
      } finally {
        wrong.close();
        foreign.close();
        unknown.close();
      }
    });

    it('brings a draft saved through the API into the live document', async () => {
      const graphId = await createGraph();
      const client = await connect(t.url, graphId, editorKey);
      try {
        const saved = { ...definition, nodes: [definition.nodes[0]!, testNode('p', 'pass', { parameters: { note: 'saved by the API' } })] };
        const response = await t.fetch(`/api/graphs/${graphId}/definition`, { method: 'PUT', key: editorKey, json: saved });
        expect(response.status, await response.text()).toBe(200);

        await waitFor('the saved draft in the document', () => parameterOf(client.doc, 'p', 'note'), (note) => note === 'saved by the API');
      } finally {
        client.close();
      }
    });

    it('saving the document through the API keeps versioning', async () => {
      const graphId = await createGraph();
      const client = await connect(t.url, graphId, editorKey);
      try {
        setParameter(client.doc, 'p', 'note', 'edited live');
        const response = await t.fetch(`/api/graphs/${graphId}/definition`, { method: 'PUT', key: editorKey, json: readGraphFromDoc(client.doc) });
        expect(response.status).toBe(200);
        const published = await t.fetch(`/api/graphs/${graphId}/publish`, { method: 'POST', key: editorKey, json: {} });
        const versions = (await (await t.fetch(`/api/graphs/${graphId}/versions`, { key: editorKey })).json()) as { items: Array<{ definition?: GraphJson }> };

        expect(published.status).toBeLessThan(300);
        expect(versions.items.length).toBeGreaterThanOrEqual(1);
        const graph = (await (await t.fetch(`/api/graphs/${graphId}`, { key: editorKey })).json()) as { draft: GraphJson };
        expect(graph.draft.nodes.find((node) => node.id === 'p')!.parameters).toMatchObject({ note: 'edited live' });
      } finally {
        client.close();
      }
    });
  });
});

/** Returns the status with which the server rejects a WebSocket upgrade of `url`. */
async function rejectedUpgradeStatus(url: string): Promise<number> {
  const socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    socket.on('error', () => {});
    socket.on('open', () => reject(new Error(`the upgrade of ${url} was accepted`)));
  });
}

describe('collaboration endpoint', () => {
  // The collaboration service loads with the first connection; other paths and a closing server are refused.
  it('loads on first connection', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-collab-lazy-'));
    const kernel = await createKernel({ config: loadConfig({ MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent' }), logger: createLogger({ level: 'silent' }) });
    const running = await startServer(kernel, { host: '127.0.0.1', port: 0, webDir: path.join(dataDir, 'no-studio') });
    const wsUrl = running.url.replace(/^http/, 'ws');
    try {
      const setup = await fetch(`${running.url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'lazy@example.com', password: 'correct-horse-1', workspace: 'Lazy' }) });
      const sessionCookie = setup.headers.getSetCookie().find((value) => value.startsWith('mify_session='))!.split(';')[0]!;
      const keyResponse = await fetch(`${running.url}/api/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: sessionCookie }, body: JSON.stringify({ name: 'collab', role: 'editor' }) });
      const { key } = (await keyResponse.json()) as { key: string };
      const graphResponse = await fetch(`${running.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ name: 'Lazy', definition: { nodes: [], edges: [] } }) });
      const { id: graphId } = (await graphResponse.json()) as { id: string };

      expect(running.collab.stats()).toEqual({ documents: 0, connections: 0 });
      expect(await rejectedUpgradeStatus(`${wsUrl}/api/other`)).toBe(404);

      const client = await connect(running.url, graphId, key);
      expect(client.provider.isSynced).toBe(true);
      expect(running.collab.stats()).toEqual({ documents: 1, connections: 1 });
      client.close();

      await running.collab.close();
      expect(await rejectedUpgradeStatus(`${wsUrl}/api/collab`)).toBe(503);
    } finally {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(databaseBackends)('collaboration across a kernel restart on $name', (backend) => {
  it.skipIf(backend.skipReason !== null)(`keeps the document${backend.skipReason ? ` (skipped: ${backend.skipReason})` : ''}`, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-collab-restart-'));
    const databaseUrl = backend.name === 'postgres' ? await createServerDatabase() : undefined;
    const env = { MIFY_DATA_DIR: dataDir, MIFY_LOG_LEVEL: 'silent', MIFY_RATE_LIMIT_IP_PER_MINUTE: '100000', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
    const start = async () => {
      const kernel = await createKernel({ config: loadConfig(env), logger: createLogger({ level: 'silent' }) });
      return startServer(kernel, { host: '127.0.0.1', port: 0, webDir: path.join(dataDir, 'no-studio') });
    };

    try {
      const first = await start();
      const setup = await fetch(`${first.url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'restart@example.com', password: 'correct-horse-1', workspace: 'Restart' }) });
      const sessionCookie = setup.headers.getSetCookie().find((value) => value.startsWith('mify_session='))!.split(';')[0]!;
      const keyResponse = await fetch(`${first.url}/api/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: sessionCookie }, body: JSON.stringify({ name: 'collab', role: 'editor' }) });
      const { key } = (await keyResponse.json()) as { key: string };
      const graphResponse = await fetch(`${first.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ name: 'Restarted', definition: { nodes: [], edges: [] } }) });
      const { id: graphId } = (await graphResponse.json()) as { id: string };

      const before = await connect(first.url, graphId, key);
      before.doc.transact(() => {
        const graph = readGraphFromDoc(before.doc);
        writeGraphToDoc(before.doc, { ...graph, nodes: [{ id: 'live', type: 'acme.test.pass', typeVersion: 1, name: 'Added live', parameters: { text: 'kept' }, position: { x: 10, y: 20 } }] });
      });
      await waitFor('the provider to send its change', () => before.provider.unsyncedChanges, (count) => count === 0);
      before.close();
      await first.close();

      const second = await start();
      try {
        const after = await connect(second.url, graphId, key);
        try {
          const node = readGraphFromDoc(after.doc).nodes.find((candidate) => candidate.id === 'live');
          expect(node).toMatchObject({ name: 'Added live', parameters: { text: 'kept' }, position: { x: 10, y: 20 } });
        } finally {
          after.close();
        }
      } finally {
        await second.close();
      }
    } finally {
      if (databaseUrl) await dropServerDatabase(databaseUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
