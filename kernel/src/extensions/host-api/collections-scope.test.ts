/** The extension-level scope of collections: public calls read it, workspace calls reach only their own id prefix. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { createHostBridge } from './bridge.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { CollectionDeclaration, HostCallContext } from './types.js';

const COLLECTIONS: CollectionDeclaration[] = [{ name: 'widgets', indexes: [{ fields: ['kind'] }] }];
const EXTENSION = { scope: 'extension' };

interface Document {
  id: string;
  data: Record<string, unknown>;
}

describe.each(databaseBackends)('collections extension scope on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;

    function bridge(workspaceId: string | null, overrides: Partial<HostCallContext> = {}) {
      return createHostBridge({ extensionId: 'acme.widgets', permissions: ['collections:read', 'collections:write'], workspaceId, collections: COLLECTIONS, dataDir: '/nonexistent', ...overrides }, host.services);
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name);
      await bridge('ws_a').call('collections.put', ['widgets', { id: 'ws_a:w1', data: { kind: 'chat', graphId: 'g1' } }, EXTENSION]);
      await bridge('ws_b').call('collections.put', ['widgets', { id: 'ws_b:w2', data: { kind: 'chat', graphId: 'g2' } }, EXTENSION]);
    });

    afterAll(async () => {
      await host?.close();
    });

    it('lets a call without workspace read what members wrote', async () => {
      const document = (await bridge(null).call('collections.get', ['widgets', 'ws_a:w1'])) as Document;

      expect(document.data.graphId).toBe('g1');
    });

    it('keeps extension-level documents out of the workspace scope', async () => {
      expect(await bridge('ws_a').call('collections.get', ['widgets', 'ws_a:w1'])).toBeNull();
    });

    it('prefixes a generated id with the workspace id', async () => {
      const document = (await bridge('ws_a').call('collections.put', ['widgets', { data: { kind: 'form' } }, EXTENSION])) as Document;

      expect(document.id.startsWith('ws_a:')).toBe(true);
    });

    it.each([
      ['get', ['widgets', 'ws_b:w2', EXTENSION]],
      ['put', ['widgets', { id: 'ws_b:w2', data: { kind: 'stolen' } }, EXTENSION]],
      ['put', ['widgets', { id: 'w3', data: { kind: 'unprefixed' } }, EXTENSION]],
      ['delete', ['widgets', 'ws_b:w2', EXTENSION]],
    ])('rejects %s of an id of another workspace', async (method, args) => {
      const error = await rejection(bridge('ws_a').call(`collections.${method}`, args));

      expect(error.code).toBe('permission_denied');
      expect(error.message).toContain("may only use ids that start with 'ws_a:'");
    });

    it('leaves the other workspace document unchanged', async () => {
      const document = (await bridge(null).call('collections.get', ['widgets', 'ws_b:w2'])) as Document;

      expect(document.data.kind).toBe('chat');
    });

    it('finds only the workspace own documents', async () => {
      const page = (await bridge('ws_a').call('collections.find', ['widgets', { where: { kind: 'chat' } }, EXTENSION])) as { data: Document[] };

      expect(page.data.map((document) => document.id)).toEqual(['ws_a:w1']);
    });

    it('finds every document from a call without workspace', async () => {
      const page = (await bridge(null).call('collections.find', ['widgets', null, EXTENSION])) as { data: Document[] };

      expect(page.data.map((document) => document.id)).toEqual(expect.arrayContaining(['ws_a:w1', 'ws_b:w2']));
    });

    it('keeps extensions apart', async () => {
      expect(await bridge(null, { extensionId: 'acme.other' }).call('collections.get', ['widgets', 'ws_a:w1', EXTENSION])).toBeNull();
    });

    it('rejects an unknown scope', async () => {
      const error = await rejection(bridge('ws_a').call('collections.get', ['widgets', 'ws_a:w1', { scope: 'global' }]));

      expect(error.code).toBe('invalid_argument');
    });
  });
});
