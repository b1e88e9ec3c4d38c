/**
 * The kernel's guards as the HTTP request node meets them: private addresses are rejected
 * unless MIFY_ALLOW_PRIVATE_NETWORK is set, and hosts outside an extension's `http:fetch`
 * permissions are rejected.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsolateExtension } from '../../../kernel/src/test-support/extensions.js';
import { EXTENSION_FOLDER, startIoKernel, type IoTestKernel } from './support/kernel.js';
import { sendJson, startStubServer, type StubServer } from './support/stub-server.js';

describe('network guards', () => {
  let k: IoTestKernel;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    stub.handle = (_request, response) => sendJson(response, 200, { reached: true });
    k = await startIoKernel({ MIFY_ALLOW_PRIVATE_NETWORK: 'false' });

    // The HTTP request node bundled under another extension id that may fetch only 127.0.0.1.
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_FOLDER, 'mify.extension.json'), 'utf8')) as { contributes: { nodes: Array<Record<string, unknown>> } };
    const httpNode = { ...manifest.contributes.nodes.find((node) => node.type === 'mify.io.http-request')!, type: 'acme.narrow.http-request' };
    const bundle = await build({
      stdin: { contents: `import { executeHttpRequest } from './src/http/node.ts'; export default { nodes: { 'acme.narrow.http-request': { execute: executeHttpRequest } } };`, resolveDir: EXTENSION_FOLDER, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      write: false,
    });
    await k.t.kernel.services.extensionHost.install({
      folder: writeIsolateExtension({ id: 'acme.narrow', code: bundle.outputFiles[0]!.text, manifest: { permissions: ['http:fetch:127.0.0.1'], limits: { memoryLimitMb: 64, timeoutMs: 5000 }, contributes: { nodes: [httpNode] } } }),
    });
  });

  afterAll(async () => {
    await k?.close();
    await stub?.close();
  });

  it('rejects a private address without MIFY_ALLOW_PRIVATE_NETWORK', async () => {
    const error = await k.runNodeError('mify.io.http-request', [{ json: {} }], { url: `${stub.url}/private`, maxRetries: 0 });

    expect(error.message).toContain(`HTTP GET to ${stub.url}/private was blocked`);
    expect(error.message).toContain('127.0.0.1 is a loopback address');
    expect(error.message).toContain('MIFY_ALLOW_PRIVATE_NETWORK=true');
    expect(stub.requests).toHaveLength(0);
  });

  it('rejects the metadata address', async () => {
    const error = await k.runNodeError('mify.io.http-request', [{ json: {} }], { url: 'http://169.254.169.254/latest/meta-data', maxRetries: 3 });

    expect(error.message).toContain('a cloud metadata service address');
    expect(error.message).not.toContain('attempts');
  });

  it('rejects a host outside the permissions', async () => {
    const invoke = (url: string) =>
      k.t.kernel.services.extensionHost.invoke('acme.narrow', { kind: 'node', name: 'acme.narrow.http-request', input: { items: [{ json: {} }], parameters: { url, maxRetries: 0 } } }, { workspaceId: k.workspaceId });

    const error = (await invoke(`http://localhost:${stub.port}/other`).catch((failure: Error) => failure)) as Error;

    expect(error.message).toContain(`HTTP GET to http://localhost:${stub.port}/other is not allowed`);
    expect(error.message).toContain(`without the permission 'http:fetch:localhost'`);
    expect(stub.requests).toHaveLength(0);
  });
});
