/**
 * The WASM templates end to end: `mify-plugin init`, `build` (AssemblyScript with asc,
 * Go with the Go toolchain and the Extism Go PDK) and `test`, whose tests run the
 * plugin in the kernel's WASM runtime.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPluginCli } from './main.js';
import { linkDevDependencies } from './test-support.js';
import { readMemoryLimits } from './wasm-memory.js';

const tempDirs: string[] = [];
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const goMissing = goVersion.status !== 0 ? 'go is not on PATH' : null;

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], cwd: string) {
  const lines: string[] = [];
  const code = await runPluginCli(argv, { out: (line) => lines.push(line), err: (line) => lines.push(line), env: { ...process.env }, cwd });
  return { code, output: lines.join('\n') };
}

async function initTemplate(template: string, id: string): Promise<string> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), `mify-template-${template}-`));
  tempDirs.push(cwd);
  const created = await run(['init', 'ext', '--template', template, '--id', id], cwd);
  if (created.code !== 0) throw new Error(created.output);
  return path.join(cwd, 'ext');
}

describe('AssemblyScript template', () => {
  it('builds and passes its tests', async () => {
    const folder = await initTemplate('assemblyscript', 'acme.as-template');
    linkDevDependencies(folder, ['assemblyscript', '@extism/as-pdk', 'json-as', 'xjb-as', 'esbuild', '@mify/sdk', '@mify/kernel']);

    const built = await run(['build'], folder);
    const tested = await run(['test'], folder);

    expect(built.code, built.output).toBe(0);
    expect(readMemoryLimits(fs.readFileSync(path.join(folder, 'dist', 'plugin.wasm')))).toEqual([{ source: 'defined', initialPages: expect.any(Number), maximumPages: 256 }]);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output).toContain('# pass 2');
  }, 180_000);
});

describe.skipIf(goMissing !== null)(`Go template${goMissing ? ` (skipped: ${goMissing})` : ''}`, () => {
  it('builds and passes its tests', async () => {
    const folder = await initTemplate('go', 'acme.go-template');
    linkDevDependencies(folder, ['esbuild', '@mify/sdk', '@mify/kernel']);

    const built = await run(['build'], folder);
    const tested = await run(['test'], folder);

    expect(built.code, built.output).toBe(0);
    expect(readMemoryLimits(fs.readFileSync(path.join(folder, 'dist', 'plugin.wasm'))).map((memory) => memory.maximumPages)).toEqual([1024]);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output).toContain('# pass 2');
  }, 300_000);
});
