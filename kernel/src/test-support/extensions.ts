import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes an isolate extension folder: a manifest and a bundled `dist/index.js`.
 * `code` is the body of the bundle, an ES module with a default export.
 */
export function writeIsolateExtension(options: { id?: string; version?: string; code?: string; manifest?: Record<string, unknown>; dir?: string } = {}): string {
  const id = options.id ?? 'acme.echo';
  const folder = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mify-ext-'));
  fs.mkdirSync(path.join(folder, 'dist'), { recursive: true });

  const manifest = {
    id,
    version: options.version ?? '1.0.0',
    name: 'Echo',
    description: 'Echoes its input (test extension).',
    engines: { mify: '^1.0.0' },
    runtime: 'isolate',
    entry: 'dist/index.js',
    permissions: [],
    limits: { memoryLimitMb: 32, timeoutMs: 500 },
    contributes: {
      nodes: [
        {
          type: `${id}.echo`,
          typeVersion: 1,
          name: 'Echo',
          description: 'Returns its input items.',
          category: 'Test',
          inputs: ['main'],
          outputs: ['main'],
          parameters: { type: 'object', properties: { suffix: { type: 'string' } } },
          executionClass: 'deterministic',
        },
      ],
      routes: [{ method: 'GET', path: 'hello/:name', auth: 'public', summary: 'Greets' }],
    },
    ...options.manifest,
  };
  fs.writeFileSync(path.join(folder, 'mify.extension.json'), JSON.stringify(manifest, null, 2));

  const code =
    options.code ??
    `export default {
  nodes: {
    '${id}.echo': { async execute(ctx, input) { return { items: input.items.map((item) => ({ json: { ...item.json, version: '${options.version ?? '1.0.0'}' } })) }; } },
  },
  routes: {
    'GET hello/:name': { async handle(ctx, request) { return { status: 200, body: { greeting: 'hello ' + request.params.name } }; } },
  },
};`;
  fs.writeFileSync(path.join(folder, 'dist', 'index.js'), code);
  return folder;
}
