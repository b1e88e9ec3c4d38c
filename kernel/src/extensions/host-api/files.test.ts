import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends } from '../../test-support/databases.js';
import { createHostBridge } from './bridge.js';
import { extensionFilesRoot, MAX_FILE_BYTES } from './files.js';
import { createTestHostServices, rejection, type TestHostServices } from './test-support.js';
import type { HostCallContext, HostServices } from './types.js';

interface FileInfo {
  path: string;
  mimeType: string;
  size: number;
  updatedAt: string;
}

describe.each(databaseBackends)('file host methods on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let host: TestHostServices;
    let services: HostServices;
    let dataDir: string;
    /** A folder outside the data folder, standing for files the extension must never reach. */
    let outside: string;

    function bridge(overrides: Partial<HostCallContext> = {}) {
      return createHostBridge({ extensionId: 'acme.files', permissions: ['files:read', 'files:write'], workspaceId: 'ws_a', collections: [], dataDir, ...overrides }, services);
    }

    beforeAll(async () => {
      host = await createTestHostServices(backend.name);
      services = host.services;
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-files-'));
      outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-outside-'));
      fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside secret');
    });

    afterAll(async () => {
      await host?.close();
      for (const folder of [dataDir, outside]) if (folder) fs.rmSync(folder, { recursive: true, force: true });
    });

    it('writes text and reads it back', async () => {
      const files = bridge();
      const written = (await files.call('files.write', ['reports/summary.md', { text: '# Hällo' }])) as FileInfo;
      const asText = (await files.call('files.read', ['reports/summary.md', { encoding: 'utf8' }])) as FileInfo & { text: string };
      const asBase64 = (await files.call('files.read', ['reports/summary.md'])) as FileInfo & { dataBase64: string };

      expect(written).toMatchObject({ path: 'reports/summary.md', mimeType: 'text/markdown', size: 8 });
      expect(asText.text).toBe('# Hällo');
      expect(Buffer.from(asBase64.dataBase64, 'base64').toString('utf8')).toBe('# Hällo');
      expect(fs.readFileSync(path.join(dataDir, 'extension-files', 'acme.files', 'ws_a', 'reports', 'summary.md'), 'utf8')).toBe('# Hällo');
    });

    it('stores binary data and its MIME type', async () => {
      const files = bridge();
      const bytes = Buffer.from([0, 255, 1, 254]);
      await files.call('files.write', ['blob', { dataBase64: bytes.toString('base64'), mimeType: 'application/x-custom' }]);
      const read = (await files.call('files.read', ['blob'])) as FileInfo & { dataBase64: string };

      expect(Buffer.from(read.dataBase64, 'base64')).toEqual(bytes);
      expect(read.mimeType).toBe('application/x-custom');
    });

    it('refuses to read binary data as text', async () => {
      const error = await rejection(bridge().call('files.read', ['blob', { encoding: 'utf8' }]));

      expect(error.message).toContain(`read it with { encoding: 'base64' }`);
    });

    it('keeps workspaces apart', async () => {
      await bridge({ workspaceId: 'ws_b' }).call('files.write', ['only-b.txt', { text: 'b' }]);
      await bridge({ workspaceId: null }).call('files.write', ['only-global.txt', { text: 'g' }]);

      expect((await rejection(bridge().call('files.read', ['only-b.txt']))).code).toBe('not_found');
      expect(fs.existsSync(path.join(extensionFilesRoot(dataDir, 'acme.files', null), 'only-global.txt'))).toBe(true);
    });

    it.each([
      ['../escape.txt', '"." or ".." segments'],
      ['notes/../../../escape.txt', '"." or ".." segments'],
      ['/etc/passwd', 'must be relative'],
      ['a\\..\\b', 'backslashes'],
      ['a//b', 'empty'],
      ['.mify-meta-blob', 'reserves'],
    ])('rejects the path %s', async (bad, reason) => {
      const error = await rejection(bridge().call('files.write', [bad, { text: 'x' }]));

      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain(reason);
      expect(fs.existsSync(path.join(dataDir, 'extension-files', 'escape.txt'))).toBe(false);
    });

    it('rejects a symbolic link to a file outside', async () => {
      const root = extensionFilesRoot(dataDir, 'acme.files', 'ws_a');
      fs.mkdirSync(root, { recursive: true });
      fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));

      const read = await rejection(bridge().call('files.read', ['link.txt']));
      const write = await rejection(bridge().call('files.write', ['link.txt', { text: 'overwritten' }]));

      expect(read.code).toBe('symlink_rejected');
      expect(write.code).toBe('symlink_rejected');
      expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
    });

    it('rejects a symbolic link to a folder outside', async () => {
      const root = extensionFilesRoot(dataDir, 'acme.files', 'ws_a');
      fs.symlinkSync(outside, path.join(root, 'linked-folder'));

      const error = await rejection(bridge().call('files.write', ['linked-folder/new.txt', { text: 'x' }]));

      expect(error.code).toBe('symlink_rejected');
      expect(fs.existsSync(path.join(outside, 'new.txt'))).toBe(false);
    });

    it('rejects a file over the size limit', async () => {
      const error = await rejection(bridge().call('files.write', ['huge.bin', { dataBase64: Buffer.alloc(MAX_FILE_BYTES + 1).toString('base64') }]));

      expect(error.code).toBe('file_too_large');
      expect(error.status).toBe(413);
    });

    it('lists files by prefix in pages', async () => {
      const files = bridge({ extensionId: 'acme.lister' });
      for (const name of ['logs/2024/b.txt', 'logs/2024/a.txt', 'logs/2025/c.txt', 'other.txt']) await files.call('files.write', [name, { text: name }]);

      const first = (await files.call('files.list', [{ prefix: 'logs/', limit: 2 }])) as { data: FileInfo[]; nextCursor: string | null };
      const second = (await files.call('files.list', [{ prefix: 'logs/', limit: 2, cursor: first.nextCursor }])) as typeof first;
      const everything = (await files.call('files.list', [])) as typeof first;

      expect(first.data.map((file) => file.path)).toEqual(['logs/2024/a.txt', 'logs/2024/b.txt']);
      expect(second.data.map((file) => file.path)).toEqual(['logs/2025/c.txt']);
      expect(second.nextCursor).toBeNull();
      expect(everything.data.map((file) => file.path)).toEqual(['logs/2024/a.txt', 'logs/2024/b.txt', 'logs/2025/c.txt', 'other.txt']);
    });

    it('lists nothing for a prefix that leaves the folder', async () => {
      const page = (await bridge({ extensionId: 'acme.lister' }).call('files.list', [{ prefix: '../acme.files/' }])) as { data: FileInfo[] };

      expect(page.data).toEqual([]);
    });

    it('deletes a file and its empty folders', async () => {
      const files = bridge({ extensionId: 'acme.deleter' });
      await files.call('files.write', ['deep/er/file.txt', { text: 'x', mimeType: 'text/plain' }]);

      expect(await files.call('files.delete', ['deep/er/file.txt'])).toBe(true);
      expect(await files.call('files.delete', ['deep/er/file.txt'])).toBe(false);
      expect(fs.existsSync(path.join(extensionFilesRoot(dataDir, 'acme.deleter', 'ws_a'), 'deep'))).toBe(false);
    });
  });
});
