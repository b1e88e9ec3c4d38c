/**
 * `mify-plugin` commands run in-process: init, validate (manifest, bundle, WASM memory,
 * permissions), build, login and publish errors, and the WASM memory helpers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unpackAndVerify } from '../package.js';
import { credentialsPath } from './credentials.js';
import { runPluginCli } from './main.js';
import { linkDevDependencies } from './test-support.js';
import { readMemoryLimits, setMemoryMaximum } from './wasm-memory.js';

const tempDirs: string[] = [];

function tempDir(prefix = 'mify-plugin-cli-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPluginCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line), env: { HOME: tempDir('mify-home-'), ...env }, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

function isolateManifest(overrides: Record<string, unknown> = {}) {
  return {
    id: 'acme.sample',
    version: '1.0.0',
    name: 'Sample',
    description: 'Sample extension.',
    engines: { mify: '^1.0.0' },
    runtime: 'isolate',
    entry: 'dist/index.js',
    permissions: [],
    contributes: { nodes: [{ type: 'acme.sample.echo', typeVersion: 1, name: 'Echo', description: 'Echo.', category: 'Test', inputs: ['main'], outputs: ['main'], parameters: { type: 'object' }, executionClass: 'deterministic' }] },
    ...overrides,
  };
}

/** Builds a minimal WebAssembly module with one memory (initial 1 page, optional maximum) and the named function exports. */
function wasmModule(options: { maximumPages?: number; exports?: string[] } = {}): Uint8Array {
  const exports = options.exports ?? [];
  const bytes: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]) => bytes.push(id, body.length, ...body);
  section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]);
  section(3, [exports.length, ...exports.map(() => 0x00)]);
  section(5, options.maximumPages === undefined ? [0x01, 0x00, 0x01] : [0x01, 0x01, 0x01, options.maximumPages]);
  const exportBody: number[] = [exports.length];
  exports.forEach((name, index) => exportBody.push(name.length, ...Buffer.from(name), 0x00, index));
  section(7, exportBody);
  section(10, [exports.length, ...exports.flatMap(() => [0x04, 0x00, 0x41, 0x00, 0x0b])]);
  return new Uint8Array(bytes);
}

describe('mify-plugin init', () => {
  it('creates the TypeScript template', async () => {
    const cwd = tempDir();
    const result = await run(['init', 'hello', '--id', 'acme.hello'], cwd);
    const manifest = JSON.parse(fs.readFileSync(path.join(cwd, 'hello', 'mify.extension.json'), 'utf8'));

    expect(result.code).toBe(0);
    expect(manifest.id).toBe('acme.hello');
    expect(manifest.contributes.nodes[0].type).toBe('acme.hello.greet');
    expect(fs.readFileSync(path.join(cwd, 'hello', 'src', 'index.ts'), 'utf8')).toContain("'acme.hello.greet'");
    expect(fs.existsSync(path.join(cwd, 'hello', '.gitignore'))).toBe(true);
  });

  it('derives an id from the folder', async () => {
    const cwd = tempDir();
    await run(['init', 'My Tool'], cwd);

    expect(JSON.parse(fs.readFileSync(path.join(cwd, 'My Tool', 'mify.extension.json'), 'utf8')).id).toBe('local.my-tool');
  });

  it('rejects an unknown template', async () => {
    const result = await run(['init', 'x', '--template', 'rust'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain("Template 'rust' does not exist; choose one of: typescript, assemblyscript, go.");
  });

  it('rejects an invalid id', async () => {
    const result = await run(['init', 'x', '--id', 'Hello'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain('Extension id "Hello" is invalid');
  });

  it('rejects a folder that is not empty', async () => {
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'busy'));
    fs.writeFileSync(path.join(cwd, 'busy', 'file.txt'), 'x');

    const result = await run(['init', 'busy'], cwd);

    expect(result.code).toBe(1);
    expect(result.err).toContain('is not empty');
  });
});

describe('mify-plugin validate', () => {
  it('lists manifest problems with their paths', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest({ engines: { mify: 'one' }, runtime: 'docker' }));

    const result = await run(['validate'], folder);

    expect(result.code).toBe(1);
    expect(result.err).toContain('error: $.engines.mify:');
    expect(result.err).toContain('error: $.runtime:');
  });

  it('reports a missing folder manifest', async () => {
    const result = await run(['validate'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain('mify-plugin init');
  });

  it('asks for a build when the entry is missing', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest());

    const result = await run(['validate'], folder);

    expect(result.code).toBe(1);
    expect(result.err).toContain('run `mify-plugin build` first');
  });

  it('rejects a bundle that imports modules', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest());
    fs.mkdirSync(path.join(folder, 'dist'));
    fs.writeFileSync(path.join(folder, 'dist', 'index.js'), "import fs from 'node:fs';\nexport default { nodes: { 'acme.sample.echo': {} } };\n");

    const result = await run(['validate'], folder);

    expect(result.code).toBe(1);
    expect(result.err).toContain('the bundle imports node:fs');
  });

  it('warns about broad and missing permissions', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest({ permissions: ['http:fetch:*', 'kv:write'] }));
    fs.mkdirSync(path.join(folder, 'dist'));
    fs.writeFileSync(path.join(folder, 'dist', 'index.js'), "const x = { nodes: { 'acme.sample.echo': { execute: (ctx) => ctx.host.credentials.get('k') } } };\nexport { x as default };\n");

    const result = await run(['validate'], folder);

    expect(result.code).toBe(0);
    expect(result.out).toContain('"http:fetch:*" lets the extension call any host');
    expect(result.out).toContain('"kv:write" without "kv:read"');
    expect(result.out).toContain('host API credentials');
    expect(result.out).toContain('Valid, with 3 warning(s).');
  });

  it('rejects a WASM module without a memory maximum', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest({ runtime: 'wasm', entry: 'dist/plugin.wasm', limits: { memoryLimitMb: 16 }, contributes: { nodes: [{ ...isolateManifest().contributes.nodes[0], handler: 'echo' }] } }));
    fs.mkdirSync(path.join(folder, 'dist'));
    fs.writeFileSync(path.join(folder, 'dist', 'plugin.wasm'), wasmModule({ exports: ['other'] }));

    const result = await run(['validate'], folder);

    expect(result.code).toBe(1);
    expect(result.err).toContain('declares no maximum');
    expect(result.err).toContain('256 pages');
    expect(result.err).toContain('exports no function "echo"');
  });

  it('accepts a WASM module with a memory maximum', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest({ runtime: 'wasm', entry: 'dist/plugin.wasm', limits: { memoryLimitMb: 16 }, contributes: { nodes: [{ ...isolateManifest().contributes.nodes[0], handler: 'echo' }] } }));
    fs.mkdirSync(path.join(folder, 'dist'));
    fs.writeFileSync(path.join(folder, 'dist', 'plugin.wasm'), wasmModule({ maximumPages: 16, exports: ['echo'] }));

    const result = await run(['validate'], folder);

    expect(result.code).toBe(0);
  });

  it('warns about concurrency on WASM', async () => {
    const folder = tempDir();
    writeJson(path.join(folder, 'mify.extension.json'), isolateManifest({ runtime: 'wasm', entry: 'dist/plugin.wasm', limits: { memoryLimitMb: 16, concurrency: 4 }, contributes: { nodes: [{ ...isolateManifest().contributes.nodes[0], handler: 'echo' }] } }));
    fs.mkdirSync(path.join(folder, 'dist'));
    fs.writeFileSync(path.join(folder, 'dist', 'plugin.wasm'), wasmModule({ maximumPages: 16, exports: ['echo'] }));

    const result = await run(['validate'], folder);

    expect(result.code).toBe(0);
    expect(result.out).toContain('limits.concurrency is 4, but a WASM extension runs one call at a time');
  });
});

describe('wasm memory limits', () => {
  it('sets a missing maximum', () => {
    const patched = setMemoryMaximum(wasmModule({ exports: ['echo'] }), 256);
    expect(readMemoryLimits(patched)).toEqual([{ source: 'defined', initialPages: 1, maximumPages: 256 }]);
    const webAssembly = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;

    expect(() => new webAssembly.Module(patched)).not.toThrow();
  });

  it('keeps a lower maximum', () => {
    expect(readMemoryLimits(setMemoryMaximum(wasmModule({ maximumPages: 8 }), 256))[0]!.maximumPages).toBe(8);
  });

  it('rejects bytes that are not WebAssembly', () => {
    expect(() => readMemoryLimits(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a WebAssembly binary/);
  });
});

describe('mify-plugin build', () => {
  it('bundles the TypeScript template and packs it', async () => {
    const cwd = tempDir();
    await run(['init', 'built', '--id', 'acme.built'], cwd);
    const folder = path.join(cwd, 'built');
    linkDevDependencies(folder, ['esbuild', '@mify/sdk']);

    const result = await run(['build'], folder);
    expect(result.code, result.err).toBe(0);
    const verified = await unpackAndVerify(path.join(folder, '.mify', 'acme.built-0.1.0.tgz'));
    const files = fs.readdirSync(verified.folder).sort();
    fs.rmSync(verified.folder, { recursive: true, force: true });

    expect(result.out).toContain('Built acme.built@0.1.0');
    expect(fs.readFileSync(path.join(folder, 'dist', 'index.js'), 'utf8')).not.toMatch(/^import /m);
    expect(files).toEqual(['.gitignore', 'README.md', 'checksums.json', 'dist', 'mify.extension.json', 'package.json', 'tsconfig.json']);
  });

  it('names the missing esbuild dependency', async () => {
    const cwd = tempDir();
    await run(['init', 'bare', '--id', 'acme.bare'], cwd);

    const result = await run(['build'], path.join(cwd, 'bare'));

    expect(result.code).toBe(1);
    expect(result.err).toContain('"esbuild": "0.28.2"');
  });

  it('reports a bundling error with its location', async () => {
    const cwd = tempDir();
    await run(['init', 'broken', '--id', 'acme.broken'], cwd);
    const folder = path.join(cwd, 'broken');
    linkDevDependencies(folder, ['esbuild']);
    fs.appendFileSync(path.join(folder, 'src', 'index.ts'), '\nconst = ;\n');

    const result = await run(['build'], folder);

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/src\/index\.ts:\d+:\d+/);
  });
});

describe('mify-plugin login and publish', () => {
  it('stores credentials under HOME by default', () => {
    expect(credentialsPath({ HOME: '/home/ada' })).toBe('/home/ada/.config/mify/credentials.json');
    expect(credentialsPath({ HOME: '/home/ada', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/mify/credentials.json');
    expect(credentialsPath({ HOME: '/home/ada', MIFY_CONFIG_DIR: '/secrets' })).toBe('/secrets/credentials.json');
  });

  it('asks for a registry before publishing', async () => {
    const result = await run(['publish'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain('mify-plugin login --registry URL');
  });

  it('asks for a login before publishing', async () => {
    const result = await run(['publish', '--registry', 'http://127.0.0.1:9'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain('You are not logged in to http://127.0.0.1:9');
  });

  it('rejects a registry URL that is not http', async () => {
    const result = await run(['login', '--registry', 'ftp://example.com', '--token', 't'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain('must use http or https');
  });

  it('reports an unreachable registry', async () => {
    const result = await run(['login', '--registry', 'http://127.0.0.1:9', '--token', 't'], tempDir());

    expect(result.code).toBe(1);
    expect(result.err).toContain('Could not reach the registry at http://127.0.0.1:9');
  });
});

describe('mify-plugin usage', () => {
  it('lists the commands', async () => {
    const result = await run(['--help'], tempDir());

    for (const command of ['init', 'validate', 'build', 'test', 'dev', 'login', 'publish']) expect(result.out).toContain(`  ${command}`);
  });

  it('rejects an unknown command', async () => {
    const result = await run(['deploy'], tempDir());

    expect(result.code).toBe(2);
    expect(result.err).toContain("Unknown command 'deploy'");
  });
});
