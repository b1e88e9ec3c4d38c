import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, dropServerDatabase } from '../test-support/databases.js';
import { runCli } from './main.js';

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Folder of the public workflow exports the import tests read; MIFY_IMPORT_FIXTURES overrides it. */
const FIXTURES = process.env.MIFY_IMPORT_FIXTURES ?? path.resolve(REPOSITORY, 'tests/fixtures/imports');

function capture(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env: { MIFY_LOG_LEVEL: 'silent', ...env } }, out, err };
}

describe('mify import', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-cli-import-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    // The importer and the node types of its graphs run from their bundles.
    for (const name of ['import-n8n', 'import-dify', 'control', 'data']) {
      await promisify(execFile)('pnpm', ['--filter', `@mify/ext-${name}`, 'build'], { cwd: REPOSITORY });
    }
  }, 120_000);

  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function setup(env: Record<string, string>) {
    expect(await runCli(['setup', '--email', 'owner@example.com', '--password', 'long-password', '--workspace', 'Ops'], capture(env).io)).toBe(0);
  }

  it('imports an n8n file and prints the report', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    await setup(env);
    const result = capture(env);

    const code = await runCli(['import', 'n8n', path.join(FIXTURES, 'n8n/Workflow_if.json'), '--workspace', 'ops', '--name', 'If test'], result.io);

    expect(code, result.err.join('\n')).toBe(0);
    const output = result.out.join('\n');
    expect(output).toMatch(/^Imported 'If test' as graph graph_\S+ \(n8n workflow\): 2 mapped, 2 approximated, 0 opaque\./);
    expect(output).toMatch(/mapped\s+Code\s+n8n-nodes-base\.code -> mify\.data\.code/);
    expect(output).toContain('schedule hint: 0 0 * * *');
  });

  it('needs confirmation for a newer Dify DSL version', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    await setup(env);
    const file = path.join(tempDir(), 'newer.yml');
    fs.writeFileSync(file, fs.readFileSync(path.join(FIXTURES, 'dify/json-repair.yml'), 'utf8').replace('version: 0.1.2', 'version: 2.0.0'));

    const refused = capture(env);
    expect(await runCli(['import', 'dify', file], refused.io)).toBe(1);
    expect(refused.err.join('\n')).toContain('Dify DSL version 2.0.0');

    const confirmed = capture(env);
    expect(await runCli(['import', 'dify', file, '--confirm-newer-version'], confirmed.io)).toBe(0);
    expect(confirmed.out.join('\n')).toMatch(/opaque\s+代码执行\s+code -> mify\.platform\.dify\.node\s+\[carries-code, needs-python-runtime, needs-platform\]/);
  });

  it('names an unknown platform and a missing file', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    const platform = capture(env);
    expect(await runCli(['import', 'zapier', 'flow.json'], platform.io)).toBe(2);
    expect(platform.err.join('\n')).toContain("Platform 'zapier' is unknown; use one of n8n, flowise, dify, langflow.");

    const missing = capture(env);
    expect(await runCli(['import', 'n8n', path.join(tempDir(), 'nope.json')], missing.io)).toBe(2);
    expect(missing.err.join('\n')).toContain('nope.json does not exist');
  });

  it('reports a file that is not a workflow', async () => {
    const env = { MIFY_DATA_DIR: tempDir() };
    await setup(env);
    const file = path.join(tempDir(), 'hello.json');
    fs.writeFileSync(file, '{"name":"hello"}');
    const result = capture(env);

    expect(await runCli(['import', 'n8n', file], result.io)).toBe(1);
    expect(result.err.join('\n')).toContain('it has no "nodes" list');
  });

  it.skipIf(!process.env.DATABASE_URL)(`honours DATABASE_URL${process.env.DATABASE_URL ? '' : ' (skipped: DATABASE_URL not set)'}`, async () => {
    const url = await createServerDatabase();
    try {
      const env = { DATABASE_URL: url, MIFY_DATA_DIR: tempDir() };
      await setup(env);
      const result = capture(env);
      expect(await runCli(['import', 'n8n', path.join(FIXTURES, 'n8n/Workflow_loop.json')], result.io)).toBe(0);
      expect(result.out[0]).toContain('5 mapped, 0 approximated, 0 opaque');
    } finally {
      await dropServerDatabase(url);
    }
  });
});
