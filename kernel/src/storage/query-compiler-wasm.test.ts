import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript script without type declarations.
import { patchPrismaClient } from '../../../scripts/prisma-client-patch.mjs';
import { loadQueryCompilerWasm } from './query-compiler-wasm.js';

const wasmApi = (globalThis as unknown as { WebAssembly: { Module: { exports(module: unknown): Array<{ name: string; kind: string }> } } }).WebAssembly;
const GENERATED_CLASS = fileURLToPath(new URL('../generated/prisma/internal/class.ts', import.meta.url));

describe('query compiler WebAssembly', () => {
  const scratch: string[] = [];
  afterEach(() => {
    for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-qc-'));
    scratch.push(dir);
    return dir;
  };

  it('compiles the shipped module', async () => {
    const module = await loadQueryCompilerWasm();
    const exports = wasmApi.Module.exports(module);
    const names = exports.map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['memory', 'querycompiler_new', 'querycompiler_compile']));
  });

  it('names a file without string', async () => {
    const file = path.join(tempDir(), 'broken.mjs');
    fs.writeFileSync(file, 'export const wasm = null;\n');
    await expect(loadQueryCompilerWasm(file)).rejects.toThrow(`${file} does not contain the query compiler as a quoted base64 string`);
  });

  it('generated client uses the loader', () => {
    const source = fs.readFileSync(GENERATED_CLASS, 'utf8');
    expect(source).toContain('(await import("../../../storage/query-compiler-wasm.js")).loadQueryCompilerWasm()');
    expect(source).not.toContain('wasm-base64.mjs');
  });

  it('patch applies once, rejects unknown shape', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'internal'));
    const file = path.join(dir, 'internal', 'class.ts');
    const generated = [
      'config.compilerWasm = {',
      '  getQueryCompilerWasmModule: async () => {',
      '    const { wasm } = await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs")',
      '    return await decodeBase64AsWasm(wasm)',
      '  },',
      '}',
      '',
    ].join('\n');
    fs.writeFileSync(file, generated);

    expect(patchPrismaClient(dir)).toBe(true);
    const patched = fs.readFileSync(file, 'utf8');
    expect(patched).toContain('loadQueryCompilerWasm()');
    expect(patched).not.toContain('wasm-base64.mjs');
    expect(patchPrismaClient(dir)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe(patched);

    fs.writeFileSync(file, 'config.compilerWasm = { getQueryCompilerWasmModule: loadElsewhere }\n');
    expect(() => patchPrismaClient(dir)).toThrow('update GENERATED_LOADER');
  });
});
