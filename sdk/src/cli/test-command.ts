import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { compileExtension, WORK_DIR } from './build.js';
import { PluginCliError } from './io.js';
import { requirePackageDir } from './toolchain.js';

interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}

function listTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTests(full));
    else if (/\.test\.(ts|mts|js|mjs)$/.test(entry.name)) files.push(full);
  }
  return files.sort();
}

/**
 * Builds the extension, bundles each `test/**\/*.test.ts` with esbuild (dependencies stay
 * external, so `@mify/sdk/testing` loads the real kernel sandbox) and runs them with
 * Node's test runner under `--no-node-snapshot`, which isolated-vm needs. Tests find
 * the extension folder in the MIFY_EXTENSION_DIR environment variable.
 *
 * @returns the exit code of the test run.
 */
export async function testExtension(folder: string, options: { log: (line: string) => void; env: Record<string, string | undefined> }): Promise<number> {
  await compileExtension(folder, options);
  const tests = listTests(path.join(folder, 'test'));
  if (tests.length === 0) throw new PluginCliError(`No tests found in ${path.join(folder, 'test')}; add files named *.test.ts that use createTestHarness from @mify/sdk/testing.`);

  const esbuildDir = requirePackageDir(folder, 'esbuild', '0.28.2', 'Bundling the tests');
  const esbuild = createRequire(import.meta.url)(path.join(esbuildDir, 'lib', 'main.js')) as EsbuildApi;
  const outDir = path.join(folder, WORK_DIR, 'test');
  fs.rmSync(outDir, { recursive: true, force: true });
  const outputs: string[] = [];
  for (const test of tests) {
    const outfile = path.join(outDir, path.relative(folder, test).replace(/\.(ts|mts|js|mjs)$/, '.mjs'));
    await esbuild.build({ absWorkingDir: folder, entryPoints: [test], outfile, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' }).catch((error: Error) => {
      throw new PluginCliError(`Bundling ${path.relative(folder, test)} failed: ${error.message}`);
    });
    outputs.push(outfile);
  }

  const child = spawn(process.execPath, ['--no-node-snapshot', '--test', ...outputs], { cwd: folder, env: { ...process.env, ...options.env, MIFY_EXTENSION_DIR: folder }, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') options.log(line);
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
