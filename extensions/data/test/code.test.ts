import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension, EXTENSION_FOLDER } from './build.js';

type Json = Record<string, unknown>;
const items = (...values: Json[]) => values.map((json) => ({ json }));

let harness: TestHarness;

async function run(input: Json[], parameters: Json): Promise<Json[]> {
  const out = await harness.runNode('mify.data.code', { items: items(...input), parameters });
  return (out.main ?? []).map((item) => item.json);
}

beforeAll(async () => {
  await buildExtension();
  harness = await createTestHarness({ folder: EXTENSION_FOLDER });
});

afterAll(async () => {
  await harness?.close();
});

describe('code node', () => {
  it('runs code over all items', async () => {
    expect(await run([{ n: 1 }, { n: 2 }], { code: 'return items.map((item) => ({ double: item.json.n * 2 }));' })).toEqual([{ double: 2 }, { double: 4 }]);
  });

  it('runs code per item and drops null results', async () => {
    expect(await run([{ n: 1 }, { n: 2 }, { n: 3 }], { mode: 'eachItem', code: 'if ($json.n === 2) return null;\nreturn { n: $json.n, index };' })).toEqual([{ n: 1, index: 0 }, { n: 3, index: 2 }]);
  });

  it('uses the host code.run method', async () => {
    await run([{ n: 1 }], { code: 'return items;' });
    const calls = await harness.hostCalls();
    expect(calls).toContainEqual({ action: 'host.code.run', allowed: true });
  });

  it('stops an infinite loop', async () => {
    await expect(run([{ n: 1 }], { code: 'while (true) {}', timeoutMs: 100 })).rejects.toThrow(/parameter "code" failed: The code did not finish within its time limit of 100 ms/);
  });

  it('stops a memory bomb', async () => {
    await expect(run([{ n: 1 }], { code: 'const a = []; while (true) a.push("x".repeat(1e5) + a.length);', memoryLimitMb: 16, timeoutMs: 20000 })).rejects.toThrow(/more than its memory limit of 16 MiB/);
  });

  it('reports a thrown error with its line', async () => {
    await expect(run([{ n: 1 }], { code: 'const total = 1;\nthrow new Error("no total");' })).rejects.toThrow(/The code threw Error: no total at line 2, column 7/);
  });

  it('rejects a result that is not JSON', async () => {
    await expect(run([{ n: 1 }], { code: 'return [{ when: new Date(0) }];' })).rejects.toThrow(/the result\[0\]\.when is a Date, which JSON cannot represent; return date\.toISOString\(\)/);
  });

  it('rejects a result that is not an object', async () => {
    await expect(run([{ n: 1 }], { code: 'return [1, 2];' })).rejects.toThrow(/the code returned 1 at index 0, but items are objects/);
  });

  it('rejects a time limit above the maximum', async () => {
    await expect(run([{ n: 1 }], { code: 'return items;', timeoutMs: 60000 })).rejects.toThrow(/parameter "timeoutMs" is 60000, above the maximum of 30000/);
  });
});
